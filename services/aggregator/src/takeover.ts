import type { OutputDraft } from "@zk-testnet/actors";
import { isPadding, nodeAt, nodeDeadlineMs, parentOf, siblingOf, type ProtocolParams } from "@zk-testnet/mechanisms";
import { blockCorrelationId, type BlockNumber, type Level, type NodeId, type NodeIndex, type PayloadOf, type ProverId, type Timestamp, type TxCount } from "@zk-testnet/protocol";
import type { HandoverStep, NodeState } from "./node-machine.ts";
import { asDraft, nodeAssignedDraft, nodeOf, withNode, type BlockTree, type ProvingBlock, type TreeStep } from "./tree-state.ts";

// The failure path of a node: its deadline on the Clock, what happens when it passes without
// an accepted proof, and how the log's record of that (NodeDeadlineMissed, TakeoverOpened)
// folds back into the tree.
//
// Every hand-out (NodeAssigned, a takeover, an open round) arms one timer,
// `deadline:<block>/<level>/<index>/<attempt>`, at its deadline. When it fires on a node still
// without an accepted proof, the aggregator publishes
//   NodeDeadlineMissed { prover: holder, deadline }      (not for an open round: nobody held it)
//   TakeoverOpened { from, to?, step, deadline: at + D }  (D: D_leaf or D_merge of the node's level)
//   NodeAssigned { prover: to, deadline: at + D, ... }    (for a step with a taker)
// and arms the next attempt's timer. `at` is when the timer fires: the deadline itself, or
// the aggregator's start if it was down when the deadline passed (the taker still gets D).
//
// A fired deadline is a decision no input of the log records, so its two facts are folded
// back from the log (see `applyFact`): live they were applied when decided and the read-back
// changes nothing; in a replay (where no timer fires) they rebuild the same node.

/** The machine event a deadline timer delivers. */
export interface DeadlineFired {
  readonly type: "deadline";
  readonly block: number;
  readonly level: number;
  readonly index: number;
  /** The hand-out whose deadline this is (NodeState.attempt): a later one makes the timer stale. */
  readonly attempt: number;
  /** When it fires, ms: the deadline, or later (a restart); the next holder's clock starts here. */
  readonly at: number;
}

/** The id of a node's deadline timer: unique per hand-out, so the outputs it causes have ids of their own. */
export const deadlineTimerId = (block: number, level: number, index: number, attempt: number): string => `deadline:${block}/${level}/${index}/${attempt}`;

/** A node with a running deadline: what a timer stands for. */
export interface RunningDeadline {
  readonly block: number;
  readonly level: number;
  readonly index: number;
  readonly attempt: number;
  /** Who must prove it by then; null for an open round. */
  readonly prover: ProverId | null;
  readonly deadline: number;
}

/** Whether a node is handed out and waits for a proof: its deadline runs. */
export const hasRunningDeadline = (node: NodeState): boolean =>
  (node.status === "proving" || node.status === "takeover" || node.status === "open") && node.deadline !== null;

/** The running deadlines of one block's tree, in tree order (leaves first). */
export const treeDeadlines = (block: number, tree: BlockTree | undefined): readonly RunningDeadline[] =>
  tree?.phase !== "proving"
    ? []
    : Object.entries(tree.nodes).flatMap(([key, node]) => {
        if (!hasRunningDeadline(node)) return [];
        const [level, index] = key.split("/").map(Number) as [number, number];
        return [{ block, level, index, attempt: node.attempt, prover: node.holder, deadline: node.deadline as number }];
      });

/** The next step of the takeover chain, and its taker (none for an open round). */
export interface NextStep {
  readonly step: HandoverStep | "open";
  readonly to?: ProverId;
}

const CHAIN: readonly HandoverStep[] = ["sibling", "parent"];

/**
 * The step after the node's current one: its sibling's prover, then its parent's, then an open
 * round. The provers are the tree-VRF's picks for those positions. A step is skipped when its
 * prover already missed this node (`missedBy`, which holds the one that just did) or when it
 * has none: a padding sibling, the root's missing sibling and parent.
 */
export const nextStep = (block: number, tree: ProvingBlock, level: number, index: number, node: NodeState): NextStep => {
  const txCount = tree.txCount as TxCount;
  const here = nodeAt(block as BlockNumber, level, index);
  const done = node.step === null ? 0 : node.step === "open" ? CHAIN.length : CHAIN.indexOf(node.step) + 1;
  for (const step of CHAIN.slice(done)) {
    const position: NodeId | undefined = step === "sibling" ? siblingOf(txCount, here) : parentOf(txCount, here);
    const prover = position === undefined || isPadding(txCount, position) ? undefined : nodeOf(tree, position.level, position.index)?.assignee;
    if (prover === undefined || node.missedBy.includes(prover)) continue;
    return { step, to: prover };
  }
  return { step: "open" };
};

/** A fact of the failure path as the log holds it (an event, or the draft it was published from). */
export type DeadlineFact =
  | { readonly type: "NodeDeadlineMissed"; readonly payload: PayloadOf<"NodeDeadlineMissed"> }
  | { readonly type: "TakeoverOpened"; readonly payload: PayloadOf<"TakeoverOpened"> };
type FactDraft = OutputDraft<"NodeDeadlineMissed"> | OutputDraft<"TakeoverOpened">;

/**
 * Folds a fact into the tree; idempotent (a fact already applied, or one about a node that was
 * accepted meanwhile and already records it, leaves the tree as it is). A takeover's clock
 * starts D before its deadline: where the live decision started it.
 */
export const applyFact = (tree: ProvingBlock, fact: DeadlineFact, params: ProtocolParams): ProvingBlock => {
  if (fact.type === "NodeDeadlineMissed") {
    const { level, index, prover, deadline } = fact.payload;
    return withNode(tree, level, index, { type: "node.deadlinePassed", at: deadline, prover });
  }
  const { level, index, step, to, deadline } = fact.payload;
  const since = deadline - nodeDeadlineMs(params, level);
  if (step === "open") return withNode(tree, level, index, { type: "node.open", since, deadline });
  return to === undefined ? tree : withNode(tree, level, index, { type: "node.takeover", step, prover: to, since, deadline });
};

/**
 * What a fired deadline decides: nothing when the timer is stale (the node was accepted, taken
 * over or opened since, or its block is gone); otherwise the miss (if the node had a holder),
 * the takeover's next step with its fresh deadline, and the NodeAssigned to the taker, all
 * applied to the tree.
 */
export const decideDeadline = (block: number, tree: ProvingBlock, fired: DeadlineFired, params: ProtocolParams, slot: number): TreeStep | undefined => {
  const { level, index } = fired;
  const node = nodeOf(tree, level, index);
  if (node === undefined || node.attempt !== fired.attempt || !hasRunningDeadline(node) || node.deadline === null) return undefined;
  const at = Math.max(fired.at, node.deadline);
  const deadline = (at + nodeDeadlineMs(params, level)) as Timestamp;
  const position = { block: block as BlockNumber, level: level as Level, index: index as NodeIndex };
  const correlationId = blockCorrelationId(position.block);
  const facts: FactDraft[] = [];
  let from: ProverId;
  let next: NextStep;
  if (node.status === "open" || node.holder === null) {
    // An open round that timed out: nobody held it, nobody missed it; the next round opens.
    from = node.missedBy[node.missedBy.length - 1] ?? node.assignee;
    next = { step: "open" };
  } else {
    from = node.holder;
    facts.push({ type: "NodeDeadlineMissed", correlationId, slot, payload: { ...position, prover: from, deadline: node.deadline as Timestamp } });
    next = nextStep(block, tree, level, index, { ...node, missedBy: [...node.missedBy, from] });
  }
  facts.push({
    type: "TakeoverOpened",
    correlationId,
    slot,
    payload: { ...position, from, ...(next.to === undefined ? {} : { to: next.to }), step: next.step, deadline },
  });
  const after = facts.reduce<ProvingBlock>((current, fact) => applyFact(current, fact, params), tree);
  const drafts: OutputDraft[] = facts.map((fact) => (fact.type === "NodeDeadlineMissed" ? asDraft(fact) : asDraft(fact)));
  const taken = nodeOf(after, level, index);
  if (next.to !== undefined && taken !== undefined) drafts.push(asDraft(nodeAssignedDraft(block, level, index, taken, slot)));
  return { tree: after, drafts };
};
