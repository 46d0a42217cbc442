import { Either } from "effect";
import { assignedProver, assignTreeVrf, epochOf, epochStartSlot, provableNodes, type Assignment, type EligibleProver } from "@zk-testnet/mechanisms";
import { slotStart } from "@zk-testnet/network";
import { nodeKey, type BlockNumber, type EventOf, type ProverId, type TxCount } from "@zk-testnet/protocol";
import type { RunLog } from "./run-log.ts";
import { violation, type Violation } from "./violation.ts";

// Who each node of a block was assigned to. Tree-VRF is a pure function of the beacon round of
// the block's slot + 1 and of the eligible set, so the assignment is recomputed from the log
// and checked against the aggregator's NodeAssigned events (the first one of each node; later
// ones hand a missed node to a taker).
//
// Which stakes the eligible set weighs is read at three moments: the start of the block's
// epoch (the protocol's rule), the time the tree could open (block and round both out), and
// the time of the block's first NodeAssigned. The first of them whose assignment agrees with
// the NodeAssigned events is taken; with none agreeing, the epoch start's is, and the
// disagreement is reported.

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

const sameSet = (a: readonly EligibleProver[], b: readonly EligibleProver[]): boolean =>
  a.length === b.length && a.every((p, i) => p.prover === b[i]?.prover && p.stake === b[i]?.stake);

const agreesWith = (assignment: Assignment, logged: ReadonlyMap<string, EventOf<"NodeAssigned">>): boolean =>
  [...logged.values()].every((event) => assignedProver(assignment, event.payload) === event.payload.prover);

const byProver = (a: EligibleProver, b: EligibleProver): number => (a.prover < b.prover ? -1 : a.prover > b.prover ? 1 : 0);

/** Tree-VRF over the block's round, with the eligible set's stakes read at each moment in turn: the first that agrees with the log, else the epoch start's. */
const recompute = (
  log: RunLog,
  proposed: EventOf<"BlockProposed">,
  round: EventOf<"BeaconRound">,
  logged: ReadonlyMap<string, EventOf<"NodeAssigned">>,
): Assignment | undefined => {
  const { params } = log.network;
  const { block, slot, txCount } = proposed.payload;
  const epochStart = slotStart(log.network, epochStartSlot(params, epochOf(params, slot)));
  const firstAssigned = Math.min(...[...logged.values()].map((e) => e.time));
  const moments = [epochStart, Math.max(proposed.time, round.time), ...(Number.isFinite(firstAssigned) ? [firstAssigned] : [])];
  const sets: EligibleProver[][] = [];
  for (const moment of moments) {
    const set = [...log.registry.eligibleAt(params, slot, moment)].sort(byProver);
    if (!sets.some((known) => sameSet(known, set))) sets.push(set);
  }
  const candidates = sets.flatMap((eligible) => {
    const result = assignTreeVrf({ randomness: round.payload.randomness, eligible, block, txCount: txCount as TxCount, weighting: params.weighting });
    return Either.isRight(result) ? [result.right] : [];
  });
  return candidates.find((candidate) => agreesWith(candidate, logged)) ?? candidates[0];
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
  const recomputed = proposed === undefined || round === undefined ? undefined : recompute(log, proposed, round, logged);

  const disagreements: Violation[] = [];
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
