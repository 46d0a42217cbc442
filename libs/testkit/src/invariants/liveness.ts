import { childrenOf, epochOf, isPadding, provableNodes, provingWindowSlots, rootLevel } from "@zk-testnet/mechanisms";
import type { BlockNumber, EventOf, ProverId, TxCount } from "@zk-testnet/protocol";
import type { BlockAssignment } from "../assignment.ts";
import type { Honesty } from "../honesty.ts";
import type { RunLog } from "../run-log.ts";
import { violation, type Violation } from "../violation.ts";

// Invariant 5, liveness: if every sibling group of a block (the children of each of its merge
// nodes; for a one-leaf block, that leaf) keeps at least one prover that was honest for the
// whole of the block's proving window, the block is finalized within that window. A block
// whose window had not passed when the run ended is pending, not a violation; one whose
// sibling groups did not all keep an honest prover is not checked.

export interface UncheckedBlock {
  readonly block: number;
  /** Why the premise failed, e.g. "node 3/1/0: no honest prover among prover-2". */
  readonly reason: string;
}

export interface LivenessSummary {
  readonly windowMs: number;
  /** Finalized within their window. */
  readonly finalizedInWindow: readonly number[];
  /** Not finalized, their window still open when the run ended. */
  readonly pending: readonly number[];
  /** Not finalized in their window, but some sibling group had no honest prover: the premise does not hold. */
  readonly unchecked: readonly UncheckedBlock[];
}

export interface LivenessCheck {
  readonly summary: LivenessSummary;
  readonly violations: readonly Violation[];
}

/** The sibling groups of a block: the assignees of the children (padding aside) of each merge node, or of the lone leaf. */
const siblingGroups = (proposed: EventOf<"BlockProposed">, assignment: BlockAssignment): readonly { readonly name: string; readonly provers: readonly ProverId[] }[] => {
  const { block, txCount } = proposed.payload;
  const count = txCount as TxCount;
  if (rootLevel(count) === 0) return [{ name: `leaf ${block}/0/0`, provers: assignment.assigneesOf(0, 0) }];
  return provableNodes(block as BlockNumber, count)
    .filter((node) => node.level > 0)
    .map((node) => ({
      name: `children of ${block}/${node.level}/${node.index}`,
      provers: [...new Set((childrenOf(node) ?? []).filter((child) => !isPadding(count, child)).flatMap((child) => assignment.assigneesOf(child.level, child.index)))],
    }));
};

/** Why the liveness premise fails for a block, or undefined when it holds. */
const premiseFails = (log: RunLog, proposed: EventOf<"BlockProposed">, assignment: BlockAssignment, honesty: Honesty, until: number): string | undefined => {
  const honestNow = (prover: string) => honesty.honestDuring(prover, proposed.time, until);
  // Liveness is the provers' promise: a testnet service down during the window voids it.
  if (honesty.outageDuring(proposed.time, until)) return "a testnet service was down during its proving window";
  if (assignment.recomputed === undefined && assignment.logged.size === 0) {
    // Never assigned: the premise needs an honest prover eligible for it at all.
    const { params } = log.network;
    const eligible = log.registry.eligibleFor(params, epochOf(params, proposed.payload.slot));
    if (eligible === undefined) return `the L1 never started epoch ${epochOf(params, proposed.payload.slot)}`;
    return eligible.some((p) => honestNow(p.prover)) ? undefined : "no honest prover was eligible for it";
  }
  const broken = siblingGroups(proposed, assignment).find((group) => !group.provers.some(honestNow));
  return broken === undefined ? undefined : `${broken.name}: no honest prover among ${broken.provers.join(", ") || "none"}`;
};

export const checkLiveness = (log: RunLog, honesty: Honesty, assignmentOf: (block: number) => BlockAssignment): LivenessCheck => {
  const { params } = log.network;
  const windowMs = provingWindowSlots(params) * params.slotMs;
  const finalizedInWindow: number[] = [];
  const pending: number[] = [];
  const unchecked: UncheckedBlock[] = [];
  const violations: Violation[] = [];
  for (const [block, proposed] of log.blocks) {
    const deadline = proposed.time + windowMs;
    const finalized = log.finalized.get(block);
    if (finalized !== undefined && finalized.time <= deadline) {
      finalizedInWindow.push(block);
      continue;
    }
    const reorged = log.reorged.get(block);
    if (finalized === undefined && reorged === undefined && log.endTime < deadline) {
      pending.push(block);
      continue;
    }
    const reason = premiseFails(log, proposed, assignmentOf(block), honesty, Math.min(deadline, log.endTime));
    if (reason !== undefined) {
      unchecked.push({ block, reason });
      continue;
    }
    const outcome =
      finalized !== undefined
        ? `finalized only at ${finalized.time}`
        : reorged !== undefined
          ? `reorged out at ${reorged.time}`
          : `still not finalized when the run ended at ${log.endTime}`;
    violations.push(
      violation(
        5,
        "not-finalized-in-window",
        `block ${block}, proposed at ${proposed.time}, was not finalized within its proving window (until ${deadline}): ${outcome}, though every sibling group kept an honest prover`,
        [proposed.id, finalized?.id, reorged?.id],
      ),
    );
  }
  return { summary: { windowMs, finalizedInWindow, pending, unchecked }, violations };
};
