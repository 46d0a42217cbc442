import type { OutputDraft } from "@zk-testnet/actors";
import {
  assignedProver,
  childrenOf,
  isPadding,
  levelWidth,
  nodeAt,
  nodeDeadlineMs,
  provableNodes,
  rootLevel,
  type Assignment,
  type ProtocolParams,
} from "@zk-testnet/mechanisms";
import {
  blockCorrelationId,
  EMPTY_LEAF_PUBLIC_INPUT,
  leafPublicInput,
  mergePublicInput,
  type BlockNumber,
  type EventType,
  type Hash,
  type Level,
  type NodeId,
  type NodeIndex,
  type ProofRecord,
  type ProverId,
  type Timestamp,
  type TxCount,
} from "@zk-testnet/protocol";
import { newNode, stepNode, type NodeEvent, type NodeState } from "./node-machine.ts";

// One block's proof tree in the aggregator's context: pending until its beacon round and an
// eligible set are in, then proving (one NodeState per node that needs a proof), then
// submitted (the tree went to L1; only the root's hash is kept).

/** A proposed block waiting for its beacon round or for an eligible prover. */
export interface PendingBlock {
  readonly phase: "pending";
  readonly slot: number;
  readonly txCount: number;
  readonly txHashes: readonly Hash[];
  /** When the block was proposed (its event's time), ms. */
  readonly time: number;
}

export interface ProvingBlock {
  readonly phase: "proving";
  readonly slot: number;
  readonly txCount: number;
  /** The block's eligible set when its tree was assigned, by id: who may prove a node opened to all. */
  readonly eligible: readonly ProverId[];
  /** Every node that needs a proof, by `positionKey`; padding nodes have none. */
  readonly nodes: Readonly<Record<string, NodeState>>;
}

/** Every node accepted and the tree sent to L1: later proofs of the block are duplicates. */
export interface SubmittedBlock {
  readonly phase: "submitted";
  readonly rootProofHash: Hash;
}

/** Not finalized within its proving window (BlockReorgedOut): no more deadlines, takeovers or proofs. */
export interface ReorgedBlock {
  readonly phase: "reorged";
}

export type BlockTree = PendingBlock | ProvingBlock | SubmittedBlock | ReorgedBlock;

/** What a step of a tree publishes, and the tree after it. */
export interface TreeStep {
  readonly tree: BlockTree;
  readonly drafts: readonly OutputDraft[];
}

/** A draft of one event type as the publish action takes it (one type's draft among all types'). */
export const asDraft = <T extends EventType>(draft: OutputDraft<T>): OutputDraft => draft as unknown as OutputDraft;

/** A node's key within its block: "level/index". */
export const positionKey = (level: number, index: number): string => `${level}/${index}`;

/**
 * The public input of every node, padding included: `levels[l][j]`. A leaf's is its
 * transaction hash, an empty padding leaf's is 32 zero bytes, a merge node's (a padding one
 * too) is SHA-256(left input ‖ right input).
 */
export const treePublicInputs = (txHashes: readonly Hash[], txCount: TxCount): readonly (readonly Hash[])[] => {
  const leaves = Array.from({ length: levelWidth(txCount, 0) }, (_, i) => {
    const tx = txHashes[i];
    return i < txCount && tx !== undefined ? leafPublicInput(tx) : EMPTY_LEAF_PUBLIC_INPUT;
  });
  const levels: Hash[][] = [leaves];
  for (let level = 1; level <= rootLevel(txCount); level++) {
    const below = levels[level - 1] as Hash[];
    levels.push(Array.from({ length: levelWidth(txCount, level) }, (_, j) => mergePublicInput(below[2 * j] as Hash, below[2 * j + 1] as Hash)));
  }
  return levels;
};

export const nodeAssignedDraft = (block: number, level: number, index: number, node: NodeState, slot: number): OutputDraft<"NodeAssigned"> => ({
  type: "NodeAssigned",
  correlationId: blockCorrelationId(block as BlockNumber),
  slot,
  payload: {
    block: block as BlockNumber,
    level: level as Level,
    index: index as NodeIndex,
    prover: node.holder as ProverId,
    deadline: (node.deadline ?? 0) as Timestamp,
    publicInput: node.publicInput,
    childProofHashes: node.childProofHashes,
  },
});

/**
 * Opens a pending block's tree from its assignment: every node that needs a proof gets its
 * prover and public input, and every leaf is handed out at once: its prover's clock starts at
 * `at` (when block, round and epoch were all out), its deadline is D_leaf after `at` or after
 * `clock` (when the aggregator learned of them, live), whichever is later.
 */
export const openTree = (
  block: number,
  pending: PendingBlock,
  assignment: Assignment,
  eligible: readonly ProverId[],
  params: ProtocolParams,
  at: number,
  slot: number,
  clock = 0,
): TreeStep => {
  const txCount = pending.txCount as TxCount;
  const inputs = treePublicInputs(pending.txHashes, txCount);
  const nodes: Record<string, NodeState> = {};
  const drafts: OutputDraft[] = [];
  for (const { level, index } of provableNodes(block as BlockNumber, txCount)) {
    const prover = assignedProver(assignment, { level, index });
    const publicInput = inputs[level]?.[index];
    if (prover === undefined || publicInput === undefined) continue;
    let node = newNode(prover, publicInput);
    if (level === 0) {
      node = stepNode(node, { type: "node.assign", prover, since: at, deadline: Math.max(at, clock) + nodeDeadlineMs(params, 0), childProofHashes: [] });
      drafts.push(asDraft(nodeAssignedDraft(block, level, index, node, slot)));
    }
    nodes[positionKey(level, index)] = node;
  }
  return { tree: { phase: "proving", slot: pending.slot, txCount, eligible, nodes }, drafts };
};

/** The node at a position of a proving tree; undefined for padding or outside the tree. */
export const nodeOf = (tree: ProvingBlock, level: number, index: number): NodeState | undefined => tree.nodes[positionKey(level, index)];

export const withNode = (tree: ProvingBlock, level: number, index: number, event: NodeEvent): ProvingBlock => {
  const node = nodeOf(tree, level, index);
  if (node === undefined) return tree;
  const next = stepNode(node, event);
  return next === node ? tree : { ...tree, nodes: { ...tree.nodes, [positionKey(level, index)]: next } };
};

/** What a merge node's children hand up once every one that needs a proof has one accepted. */
export interface AcceptedChildren {
  /** Their proof hashes, left then right; none for a padding child. */
  readonly hashes: readonly Hash[];
  /** When the later of them was submitted: the merge node's deadline clock starts there. */
  readonly at: number;
}

/** The accepted children of a merge node; undefined while one that needs a proof has none. */
export const acceptedChildren = (tree: ProvingBlock, node: NodeId): AcceptedChildren | undefined => {
  const children = childrenOf(node);
  if (children === undefined) return undefined;
  const hashes: Hash[] = [];
  let at = 0;
  for (const child of children) {
    if (isPadding(tree.txCount as TxCount, child)) continue;
    const state = nodeOf(tree, child.level, child.index);
    if (state?.status !== "accepted" || state.proofHash === null || state.acceptedAt === null) return undefined;
    hashes.push(state.proofHash);
    at = Math.max(at, state.acceptedAt);
  }
  return { hashes, at };
};

/** Every accepted proof of the tree, leaves first, level by level, left to right; undefined while one is missing. */
export const treeRecords = (block: number, tree: ProvingBlock): readonly ProofRecord[] | undefined => {
  const records: ProofRecord[] = [];
  for (const { level, index } of provableNodes(block as BlockNumber, tree.txCount as TxCount)) {
    const record = nodeOf(tree, level, index)?.record;
    if (record === null || record === undefined) return undefined;
    records.push(record);
  }
  return records;
};

const rootDrafts = (block: number, rootProofHash: Hash, records: readonly ProofRecord[], slot: number): readonly OutputDraft[] => {
  const contributors = [...new Set(records.map((r) => r.prover))];
  const correlationId = blockCorrelationId(block as BlockNumber);
  const root: OutputDraft<"RootProofSubmitted"> = {
    type: "RootProofSubmitted",
    correlationId,
    slot,
    payload: { block: block as BlockNumber, proofHash: rootProofHash, contributors },
  };
  const submit: OutputDraft<"SubmitRoot"> = {
    type: "SubmitRoot",
    correlationId,
    slot,
    payload: { block: block as BlockNumber, proofHash: rootProofHash, contributors, proofs: records },
  };
  return [asDraft(root), asDraft(submit)];
};

/**
 * Moves a proving tree as far as its accepted proofs allow: every merge node whose children
 * are all in is handed out (deadline D_merge after the later child, or after `now`, the
 * aggregator's Clock when it decides live, if later), and a tree whose root is
 * accepted is submitted (RootProofSubmitted, then the SubmitRoot transaction with every proof).
 * Times come from the proofs, so the same proofs give the same tree in any order of arrival.
 */
export const advanceTree = (block: number, tree: ProvingBlock, params: ProtocolParams, slot: number, now = 0): TreeStep => {
  let current = tree;
  const drafts: OutputDraft[] = [];
  const txCount = tree.txCount as TxCount;
  for (const { level, index } of provableNodes(block as BlockNumber, txCount)) {
    const node = nodeOf(current, level, index);
    if (level === 0 || node?.status !== "assigned") continue;
    const children = acceptedChildren(current, nodeAt(block as BlockNumber, level, index));
    if (children === undefined) continue;
    // The prover's clock starts with its last child (it may have started on the merge then);
    // the deadline runs from when the aggregator learns of the children, if that is later (it
    // was behind, or down): a prover never gets less than D_merge from the hand-out.
    current = withNode(current, level, index, {
      type: "node.assign",
      prover: node.assignee,
      since: children.at,
      deadline: Math.max(children.at, now) + nodeDeadlineMs(params, level),
      childProofHashes: children.hashes,
    });
    drafts.push(asDraft(nodeAssignedDraft(block, level, index, nodeOf(current, level, index) as NodeState, slot)));
  }
  const root = nodeOf(current, rootLevel(txCount), 0);
  const records = treeRecords(block, current);
  if (root?.status === "accepted" && root.proofHash !== null && records !== undefined) {
    return { tree: { phase: "submitted", rootProofHash: root.proofHash }, drafts: [...drafts, ...rootDrafts(block, root.proofHash, records, slot)] };
  }
  return { tree: current, drafts };
};

/** Whether a node needs a proof in a block of `txCount` transactions. */
export const isProvable = (txCount: number, node: { readonly level: number; readonly index: number }): boolean =>
  node.level >= 0 && node.index >= 0 && node.index < levelWidth(txCount as TxCount, node.level) && !isPadding(txCount as TxCount, node);
