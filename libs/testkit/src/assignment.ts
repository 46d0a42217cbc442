import { Either } from "effect";
import { assignedProver, assignTreeVrf, epochOf, provableNodes, type Assignment } from "@zk-testnet/mechanisms";
import { nodeKey, type BlockNumber, type EventOf, type ProverId, type TxCount } from "@zk-testnet/protocol";
import type { RunLog } from "./run-log.ts";
import { violation, type Violation } from "./violation.ts";

// Who each node of a block was assigned to. Tree-VRF is a pure function of the beacon round of
// the block's slot + 1 and of the eligible set, so the assignment is recomputed from the log
// and checked against the aggregator's NodeAssigned events (the first one of each node; later
// ones hand a missed node to a taker).
//
// The eligible set is the block's epoch's, as the L1 fixed it with EpochStarted (see
// registry.ts); a tree assigned before its epoch started is a violation of its own.

export interface BlockAssignment {
  readonly block: number;
  /** The recomputed assignment; undefined without a (valid) beacon round or an eligible set. */
  readonly recomputed: Assignment | undefined;
  readonly round: EventOf<"BeaconRound"> | undefined;
  /** The first NodeAssigned of each node, by "level/index". */
  readonly logged: ReadonlyMap<string, EventOf<"NodeAssigned">>;
  /** The assignee of a node: the recomputed one, else the logged one. */
  readonly assigneeOf: (level: number, index: number) => ProverId | undefined;
  /** Provers a node may legitimately be produced by without a takeover: the recomputed and the logged assignee. */
  readonly assigneesOf: (level: number, index: number) => readonly ProverId[];
  /** Where the recomputation and the NodeAssigned events disagree (invariant 1). */
  readonly disagreements: readonly Violation[];
}

const at = (level: number, index: number): string => `${level}/${index}`;

/** Tree-VRF over the block's round and its epoch's eligible set; undefined before the epoch started or with nobody eligible. */
const recompute = (log: RunLog, proposed: EventOf<"BlockProposed">, round: EventOf<"BeaconRound">): Assignment | undefined => {
  const { params } = log.network;
  const { block, slot, txCount } = proposed.payload;
  const eligible = log.registry.eligibleFor(params, epochOf(params, slot));
  if (eligible === undefined) return undefined;
  const result = assignTreeVrf({ randomness: round.payload.randomness, eligible, block, txCount: txCount as TxCount, weighting: params.weighting });
  return Either.isRight(result) ? result.right : undefined;
};

export const assignmentOf = (log: RunLog, block: number): BlockAssignment => {
  const proposed = log.blocks.get(block);
  const logged = new Map<string, EventOf<"NodeAssigned">>();
  if (proposed !== undefined) {
    for (const node of provableNodes(block as BlockNumber, proposed.payload.txCount)) {
      const first = log.assigned.get(nodeKey(node))?.[0];
      if (first !== undefined) logged.set(at(node.level, node.index), first);
    }
  }
  const round = proposed === undefined ? undefined : log.roundOf(proposed.payload.slot + 1);
  const recomputed = proposed === undefined || round === undefined ? undefined : recompute(log, proposed, round);

  const disagreements: Violation[] = [];
  const epoch = proposed === undefined ? undefined : epochOf(log.network.params, proposed.payload.slot);
  const started = epoch === undefined ? undefined : log.registry.epochStart(epoch);
  for (const event of logged.values()) {
    if (epoch !== undefined && (started === undefined || started.position > log.position(event.id))) {
      disagreements.push(
        violation(1, "assigned-before-epoch", `node ${block}/${event.payload.level}/${event.payload.index} was assigned before the L1 started epoch ${epoch}: its eligible set was not fixed yet`, [event.id]),
      );
    }
  }
  if (recomputed !== undefined) {
    for (const event of logged.values()) {
      const expected = assignedProver(recomputed, event.payload);
      if (expected !== event.payload.prover) {
        const node = `${block}/${event.payload.level}/${event.payload.index}`;
        disagreements.push(
          violation(
            1,
            "assignment-disagrees",
            `node ${node} was assigned to ${event.payload.prover}, but tree-VRF over beacon round ${round?.payload.round} and the eligible set gives ${expected ?? "no prover"}`,
            [event.id, round?.id],
          ),
        );
      }
    }
  }

  const assigneesOf = (level: number, index: number): readonly ProverId[] => {
    const fromVrf = recomputed === undefined ? undefined : assignedProver(recomputed, { level, index });
    const fromLog = logged.get(at(level, index))?.payload.prover;
    return [...new Set([fromVrf, fromLog].filter((p): p is ProverId => p !== undefined))];
  };
  return {
    block,
    recomputed,
    round,
    logged,
    assigneeOf: (level, index) => (recomputed === undefined ? undefined : assignedProver(recomputed, { level, index })) ?? logged.get(at(level, index))?.payload.prover,
    assigneesOf,
    disagreements,
  };
};
