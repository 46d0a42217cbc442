import type { BlockNumber, Level, NodeId, NodeIndex, TxCount } from "@zk-testnet/protocol";

// The geometry of a block's proof tree. With T transactions the tree has width W = the next
// power of two ≥ T leaves at level 0, W / 2^l nodes at level l, and the root at level
// L = log2(W) (a one-transaction block's root is its only leaf). Leaves T..W−1 are empty
// padding leaves that need no proof, and a merge node is padding when both of its children
// are: since padding leaves are a suffix, exactly when its leftmost leaf is padding.

/** A node's place in its block's tree. */
export interface TreePosition {
  readonly level: number;
  readonly index: number;
}

/** The number of leaves: the next power of two ≥ txCount. */
export const treeWidth = (txCount: TxCount): number => {
  let width = 1;
  while (width < txCount) width *= 2;
  return width;
};

/** The root's level L: the tree has levels 0..L. */
export const rootLevel = (txCount: TxCount): Level => {
  let level = 0;
  while (2 ** level < txCount) level++;
  return level as Level;
};

/** How many nodes (padding included) level `level` holds; 0 above the root. */
export const levelWidth = (txCount: TxCount, level: number): number => {
  const root = rootLevel(txCount);
  return level < 0 || level > root ? 0 : treeWidth(txCount) / 2 ** level;
};

/** Name a node (block, level, index). */
export const nodeAt = (block: BlockNumber, level: number, index: number): NodeId => ({
  block,
  level: level as Level,
  index: index as NodeIndex,
});

/** The root of block `block`'s tree. */
export const rootOf = (block: BlockNumber, txCount: TxCount): NodeId => nodeAt(block, rootLevel(txCount), 0);

/** Whether a position lies in the tree at all (padding included). */
export const isInTree = (txCount: TxCount, node: TreePosition): boolean =>
  Number.isInteger(node.level) && Number.isInteger(node.index) && node.index >= 0 && node.index < levelWidth(txCount, node.level);

/** The first leaf under a node. */
const leftmostLeaf = (node: TreePosition): number => node.index * 2 ** node.level;

/** Whether a node of the tree is padding: an empty leaf, or a merge over padding only. */
export const isPadding = (txCount: TxCount, node: TreePosition): boolean => leftmostLeaf(node) >= txCount;

/** Whether a node is a leaf (level 0). */
export const isLeaf = (node: TreePosition): boolean => node.level === 0;

/** Whether a node is its block's root. */
export const isRoot = (txCount: TxCount, node: TreePosition): boolean => node.level === rootLevel(txCount) && node.index === 0;

/** The two children of a merge node, left first; undefined for a leaf. */
export const childrenOf = (node: NodeId): readonly [NodeId, NodeId] | undefined =>
  node.level === 0
    ? undefined
    : [nodeAt(node.block, node.level - 1, node.index * 2), nodeAt(node.block, node.level - 1, node.index * 2 + 1)];

/** A node's parent; undefined for the root. */
export const parentOf = (txCount: TxCount, node: NodeId): NodeId | undefined =>
  node.level >= rootLevel(txCount) ? undefined : nodeAt(node.block, node.level + 1, Math.floor(node.index / 2));

/** The other child of a node's parent; undefined for the root. */
export const siblingOf = (txCount: TxCount, node: NodeId): NodeId | undefined =>
  node.level >= rootLevel(txCount) ? undefined : nodeAt(node.block, node.level, node.index ^ 1);

/** Every node of the tree that needs a proof, leaves first, each level from the left. */
export const provableNodes = (block: BlockNumber, txCount: TxCount): readonly NodeId[] => {
  const nodes: NodeId[] = [];
  for (let level = 0; level <= rootLevel(txCount); level++) {
    const width = levelWidth(txCount, level);
    for (let index = 0; index < width; index++) {
      if (!isPadding(txCount, { level, index })) nodes.push(nodeAt(block, level, index));
    }
  }
  return nodes;
};

/** How many nodes of a level need a proof: ceil(T / 2^level). */
export const provableWidth = (txCount: TxCount, level: number): number =>
  levelWidth(txCount, level) === 0 ? 0 : Math.ceil(txCount / 2 ** level);

/** Relative payment weights of a leaf and of a merge node (integers, so a split is exact). */
export interface NodeWeights {
  readonly leafWeight: number;
  readonly mergeWeight: number;
}

/** The default weights of the protocol: leaf 1, merge w = 1. */
export const DEFAULT_NODE_WEIGHTS: NodeWeights = { leafWeight: 1, mergeWeight: 1 };

/** A node's payment weight: leafWeight for a leaf, mergeWeight for a merge node, 0 for padding. */
export const nodeWeight = (txCount: TxCount, node: TreePosition, weights: NodeWeights = DEFAULT_NODE_WEIGHTS): bigint =>
  isPadding(txCount, node) ? 0n : BigInt(node.level === 0 ? weights.leafWeight : weights.mergeWeight);
