import type { BlockNumber, NodeId, TxCount } from "@zk-testnet/protocol";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  childrenOf,
  isInTree,
  isPadding,
  isRoot,
  levelWidth,
  nodeAt,
  nodeWeight,
  parentOf,
  provableNodes,
  provableWidth,
  rootLevel,
  rootOf,
  siblingOf,
  treeWidth,
} from "./tree.ts";

const block = 12 as BlockNumber;
const tx = (n: number): TxCount => n as TxCount;
const txCounts = fc.integer({ min: 1, max: 300 }).map(tx);

/** Any position of the tree of T transactions, padding included. */
const positionIn = (txCount: TxCount) =>
  fc.integer({ min: 0, max: rootLevel(txCount) }).chain((level) =>
    fc.integer({ min: 0, max: levelWidth(txCount, level) - 1 }).map((index) => nodeAt(block, level, index)),
  );
const treeAndNode = txCounts.chain((txCount) => positionIn(txCount).map((node) => ({ txCount, node })));

describe("tree geometry", () => {
  it.each([
    [1, 1, 0],
    [2, 2, 1],
    [3, 4, 2],
    [8, 8, 3],
    [9, 16, 4],
    [1024, 1024, 10],
  ])("T = %i has width %i and the root at level %i", (t, width, root) => {
    expect(treeWidth(tx(t))).toBe(width);
    expect(rootLevel(tx(t))).toBe(root);
    expect(rootOf(block, tx(t))).toEqual({ block, level: root, index: 0 });
    expect(levelWidth(tx(t), root)).toBe(1);
    expect(levelWidth(tx(t), root + 1)).toBe(0);
  });

  it("a one-transaction block's root is its only leaf", () => {
    const root = rootOf(block, tx(1));
    expect(isRoot(tx(1), root)).toBe(true);
    expect(childrenOf(root)).toBeUndefined();
    expect(parentOf(tx(1), root)).toBeUndefined();
    expect(provableNodes(block, tx(1))).toEqual([root]);
  });

  it("T = 5: leaves 5..7 and merge (1, 3) are padding; (1, 2) and (2, 1) are not", () => {
    const t = tx(5);
    expect([0, 1, 2, 3, 4, 5, 6, 7].map((i) => isPadding(t, { level: 0, index: i }))).toEqual([false, false, false, false, false, true, true, true]);
    expect([0, 1, 2, 3].map((i) => isPadding(t, { level: 1, index: i }))).toEqual([false, false, false, true]);
    expect([0, 1].map((i) => isPadding(t, { level: 2, index: i }))).toEqual([false, false]);
    expect(provableNodes(block, t).map((n) => `${n.level}/${n.index}`)).toEqual(["0/0", "0/1", "0/2", "0/3", "0/4", "1/0", "1/1", "1/2", "2/0", "2/1", "3/0"]);
  });

  it("children, parent and sibling agree everywhere", () => {
    fc.assert(
      fc.property(treeAndNode, ({ txCount, node }) => {
        const parent = parentOf(txCount, node);
        const sibling = siblingOf(txCount, node);
        if (isRoot(txCount, node)) {
          expect(parent).toBeUndefined();
          expect(sibling).toBeUndefined();
        } else {
          const pair = childrenOf(parent as NodeId);
          expect(pair).toContainEqual(node);
          expect(pair).toContainEqual(sibling);
          expect(sibling).not.toEqual(node);
          expect(siblingOf(txCount, sibling as NodeId)).toEqual(node);
        }
        for (const child of childrenOf(node) ?? []) {
          expect(isInTree(txCount, child)).toBe(true);
          expect(parentOf(txCount, child)).toEqual(node);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("a merge node is padding exactly when both children are; a leaf exactly when index ≥ T", () => {
    fc.assert(
      fc.property(treeAndNode, ({ txCount, node }) => {
        const children = childrenOf(node);
        if (children === undefined) expect(isPadding(txCount, node)).toBe(node.index >= txCount);
        else expect(isPadding(txCount, node)).toBe(children.every((c) => isPadding(txCount, c)));
      }),
      { numRuns: 300 },
    );
  });

  it("the provable nodes are ceil(T / 2^l) per level, the root last", () => {
    fc.assert(
      fc.property(txCounts, (txCount) => {
        const nodes = provableNodes(block, txCount);
        let expected = 0;
        for (let level = 0; level <= rootLevel(txCount); level++) {
          expect(nodes.filter((n) => n.level === level)).toHaveLength(provableWidth(txCount, level));
          expected += Math.ceil(txCount / 2 ** level);
        }
        expect(nodes).toHaveLength(expected);
        expect(nodes.at(-1)).toEqual(rootOf(block, txCount));
        expect(nodes.every((n) => !isPadding(txCount, n))).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it("positions outside the tree are not in it", () => {
    expect(isInTree(tx(5), { level: 0, index: 8 })).toBe(false);
    expect(isInTree(tx(5), { level: 4, index: 0 })).toBe(false);
    expect(isInTree(tx(5), { level: -1, index: 0 })).toBe(false);
    expect(isInTree(tx(5), { level: 1, index: -1 })).toBe(false);
    expect(isInTree(tx(5), { level: 0, index: 7 })).toBe(true);
  });

  it("weighs a leaf 1, a merge node w, padding 0", () => {
    expect(nodeWeight(tx(5), { level: 0, index: 0 })).toBe(1n);
    expect(nodeWeight(tx(5), { level: 2, index: 1 })).toBe(1n);
    expect(nodeWeight(tx(5), { level: 2, index: 1 }, { leafWeight: 1, mergeWeight: 3 })).toBe(3n);
    expect(nodeWeight(tx(5), { level: 0, index: 6 }, { leafWeight: 1, mergeWeight: 3 })).toBe(0n);
    expect(nodeWeight(tx(5), { level: 1, index: 3 }, { leafWeight: 1, mergeWeight: 3 })).toBe(0n);
  });
});
