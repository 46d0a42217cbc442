import { createHash } from "node:crypto";
import { Either } from "effect";
import { describe, expect, it } from "vitest";
import { provableNodes } from "@zk-testnet/mechanisms";
import { EMPTY_LEAF_PUBLIC_INPUT, mergePublicInput, type BlockNumber, type Hash, type ProofRecord, type ProverId, type PublicKey, type TxCount } from "@zk-testnet/protocol";
import { keyOf, roundRobin, signTree, testNetwork, txHashesOf, type SignedTree, type Tamper } from "./fixtures.ts";
import { treePublicInputs, verifyProofTree, type TreeDefect } from "./proof-tree.ts";

const network = testNetwork(4);
const provers = network.provers.map((p) => p.id);
const [p0] = provers as [ProverId, ProverId, ProverId, ProverId];
const registered = new Map<string, PublicKey>(provers.map((p) => [p, keyOf(network, p).publicKey]));

const verify = (txHashes: readonly Hash[], tree: SignedTree, publicKeyOf = (p: ProverId) => registered.get(p)) =>
  verifyProofTree({ block: tree.block, txHashes, rootProofHash: tree.proofHash, contributors: tree.contributors, proofs: tree.proofs, publicKeyOf });

const defectOf = (result: Either.Either<unknown, TreeDefect>): TreeDefect | undefined => (Either.isLeft(result) ? result.left : undefined);

const flipHex = (hex: string): string => (hex[0] === "0" ? "1" : "0") + hex.slice(1);

describe("tree public inputs", () => {
  it("leaves are the transaction hashes, padding leaves zero, merges hash their children", () => {
    const txs = txHashesOf(1, 3);
    const [t0, t1, t2] = txs as [Hash, Hash, Hash];
    const levels = treePublicInputs(txs);
    expect(levels.map((l) => l.length)).toEqual([4, 2, 1]);
    expect(levels[0]).toEqual([...txs, EMPTY_LEAF_PUBLIC_INPUT]);
    const [m0, m1] = [mergePublicInput(t0, t1), mergePublicInput(t2, EMPTY_LEAF_PUBLIC_INPUT)];
    expect(levels[1]).toEqual([m0, m1]);
    expect(levels[2]).toEqual([createHash("sha256").update(Buffer.from(m0 + m1, "hex")).digest("hex")]);
  });

  it("a one-transaction block's root is its leaf", () => {
    const txs = txHashesOf(2, 1);
    expect(treePublicInputs(txs)).toEqual([txs]);
  });
});

describe("verifyProofTree", () => {
  it.each([1, 2, 3, 5, 8, 13])("accepts a complete, honestly signed tree of %i transactions, producers in node order", (txCount) => {
    const txs = txHashesOf(7, txCount);
    const tree = signTree(network, 7, txs, roundRobin(provers, txCount));
    const result = verify(txs, tree);
    expect(defectOf(result)).toBeUndefined();
    const producers = Either.getOrThrow(result).producers;
    expect(producers.map((p) => `${p.level}/${p.index}`)).toEqual(provableNodes(7 as BlockNumber, txCount as TxCount).map((n) => `${n.level}/${n.index}`));
    expect(producers.every((p) => !p.takeover)).toBe(true);
  });

  const txs = txHashesOf(3, 5);
  const tampered = (tamper: Tamper) => verify(txs, signTree(network, 3, txs, roundRobin(provers, 5), tamper));

  it("refuses a proof whose signature does not verify", () => {
    expect(defectOf(tampered({ level: 0, index: 2, resign: false, change: (p) => ({ ...p, signature: flipHex(p.signature) as never }) }))).toEqual({
      reason: "bad-signature",
      level: 0,
      index: 2,
      prover: provers[2],
    });
  });

  it("refuses a proof signed by a prover other than the one it names", () => {
    expect(defectOf(tampered({ level: 1, index: 1, resign: false, change: (p) => ({ ...p, prover: p0 }) }))?.reason).toBe("bad-signature");
  });

  it("refuses a well-signed proof over the wrong public input", () => {
    expect(defectOf(tampered({ level: 0, index: 4, resign: true, change: (p) => ({ ...p, publicInput: flipHex(p.publicInput) as Hash }) }))).toEqual({
      reason: "wrong-public-input",
      level: 0,
      index: 4,
      prover: provers[0],
    });
  });

  it("refuses a well-signed merge proof over a wrong child hash, or without its right child", () => {
    const wrongChild = tampered({ level: 1, index: 0, resign: true, change: (p) => ({ ...p, childProofHashes: [p.childProofHashes[0] as Hash, flipHex(p.childProofHashes[1] as Hash) as Hash] }) });
    expect(defectOf(wrongChild)?.reason).toBe("wrong-children");
    expect(defectOf(tampered({ level: 2, index: 0, resign: true, change: (p) => ({ ...p, childProofHashes: p.childProofHashes.slice(0, 1) }) }))?.reason).toBe("wrong-children");
    // Node (1, 2) has only a left child (leaf 4); its right child is padding.
    expect(defectOf(tampered({ level: 1, index: 2, resign: true, change: (p) => ({ ...p, childProofHashes: [...p.childProofHashes, p.childProofHashes[0] as Hash] }) }))?.reason).toBe("wrong-children");
  });

  it("refuses a proof by a prover the registry does not know", () => {
    const tree = signTree(network, 3, txs, roundRobin(provers, 5));
    expect(defectOf(verify(txs, tree, (p) => (p === provers[1] ? undefined : registered.get(p))))?.reason).toBe("unknown-prover");
  });

  it("refuses a tree with a missing node, a duplicate, or a proof of a padding node", () => {
    const tree = signTree(network, 3, txs, roundRobin(provers, 5));
    const [leaf] = tree.proofs as [ProofRecord];
    expect(defectOf(verify(txs, { ...tree, proofs: tree.proofs.slice(1) }))).toMatchObject({ reason: "incomplete-tree", level: 0, index: 0 });
    expect(defectOf(verify(txs, { ...tree, proofs: [...tree.proofs, leaf] }))?.reason).toBe("incomplete-tree");
    expect(defectOf(verify(txs, { ...tree, proofs: [...tree.proofs, { ...leaf, index: 6 as never }] }))?.reason).toBe("incomplete-tree");
    expect(defectOf(verify(txs, { ...tree, proofs: [...tree.proofs, { ...leaf, level: 9 as never }] }))?.reason).toBe("incomplete-tree");
  });

  it("refuses a tree whose root is not the submitted root proof", () => {
    const tree = signTree(network, 3, txs, roundRobin(provers, 5));
    expect(defectOf(verify(txs, { ...tree, proofHash: flipHex(tree.proofHash) as Hash }))?.reason).toBe("wrong-root");
  });

  it("refuses contributors that are not exactly the provers of the tree", () => {
    const tree = signTree(network, 3, txs, roundRobin(provers, 5));
    expect(defectOf(verify(txs, { ...tree, contributors: tree.contributors.slice(1) }))?.reason).toBe("wrong-contributors");
    expect(defectOf(verify(txs, { ...tree, contributors: [...tree.contributors, "prover-99" as ProverId] }))?.reason).toBe("wrong-contributors");
    expect(defectOf(verify(txs, { ...tree, contributors: [...tree.contributors].reverse() }))).toBeUndefined();
  });

  it("checks the tree against the block it names: another block's transactions fail", () => {
    const tree = signTree(network, 3, txs, roundRobin(provers, 5));
    expect(defectOf(verify(txHashesOf(4, 5), tree))?.reason).toBe("wrong-public-input");
  });
});
