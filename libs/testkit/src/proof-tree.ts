import { verifyProof } from "@zk-testnet/crypto";
import { isInTree, isPadding, levelWidth, provableNodes, rootLevel } from "@zk-testnet/mechanisms";
import {
  EMPTY_LEAF_PUBLIC_INPUT,
  leafPublicInput,
  mergePublicInput,
  proofHash,
  type BlockNumber,
  type Hash,
  type PayloadOf,
  type ProofRecord,
  type ProofStatement,
  type ProverId,
  type PublicKey,
  type TxCount,
} from "@zk-testnet/protocol";

// An independent check of a submitted proof tree (SubmitRoot) against the block it proves:
// every node that needs a proof has exactly one, signed with its prover's registered key over
// the public input that chains up from the block's transaction hashes and over the hashes of
// its children's proofs, and the root's hash is the one submitted.

/** One proof of a verified tree, with the hash that names it. */
export interface TreeNode {
  readonly level: number;
  readonly index: number;
  readonly prover: ProverId;
  readonly proofHash: Hash;
}

export type TreeCheck = { readonly ok: true; readonly nodes: readonly TreeNode[] } | { readonly ok: false; readonly defect: string };

/** The public input of every node, padding included: `levels[l][j]`. */
export const treePublicInputs = (txHashes: readonly Hash[]): readonly (readonly Hash[])[] => {
  const txCount = Math.max(1, txHashes.length) as TxCount;
  const levels: Hash[][] = [Array.from({ length: levelWidth(txCount, 0) }, (_, i) => (txHashes[i] === undefined ? EMPTY_LEAF_PUBLIC_INPUT : leafPublicInput(txHashes[i])))];
  for (let level = 1; level <= rootLevel(txCount); level++) {
    const below = levels[level - 1] as Hash[];
    levels.push(Array.from({ length: levelWidth(txCount, level) }, (_, j) => mergePublicInput(below[2 * j] as Hash, below[2 * j + 1] as Hash)));
  }
  return levels;
};

const at = (level: number, index: number): string => `${level}/${index}`;

const statementOf = (block: BlockNumber, proof: ProofRecord): ProofStatement => ({
  block,
  level: proof.level,
  index: proof.index,
  prover: proof.prover,
  publicInput: proof.publicInput,
  childProofHashes: proof.childProofHashes,
});

/** The hash of each proof of a submitted tree, as the tree names it (no verification). */
export const submittedProofHashes = (root: PayloadOf<"SubmitRoot">): readonly Hash[] =>
  root.proofs.map((proof) => proofHash(statementOf(root.block, proof), proof.signature));

/**
 * Verifies a SubmitRoot against its block's transaction hashes, with the registry's keys;
 * the first defect found, from the leaves up, is the answer.
 */
export const verifySubmittedTree = (
  root: PayloadOf<"SubmitRoot">,
  txHashes: readonly Hash[],
  publicKeyOf: (prover: ProverId) => PublicKey | undefined,
): TreeCheck => {
  if (txHashes.length === 0) return { ok: false, defect: "its block has no transactions" };
  const txCount = txHashes.length as TxCount;
  const byPosition = new Map<string, ProofRecord>();
  for (const proof of root.proofs) {
    if (!isInTree(txCount, proof) || isPadding(txCount, proof)) return { ok: false, defect: `node ${at(proof.level, proof.index)} is not a node that needs a proof` };
    if (byPosition.has(at(proof.level, proof.index))) return { ok: false, defect: `node ${at(proof.level, proof.index)} has two proofs` };
    byPosition.set(at(proof.level, proof.index), proof);
  }
  const inputs = treePublicInputs(txHashes);
  const hashes = new Map<string, Hash>();
  const nodes: TreeNode[] = [];
  for (const { level, index } of provableNodes(root.block, txCount)) {
    const proof = byPosition.get(at(level, index));
    const name = `node ${at(level, index)}`;
    if (proof === undefined) return { ok: false, defect: `${name} has no proof` };
    const publicKey = publicKeyOf(proof.prover);
    if (publicKey === undefined) return { ok: false, defect: `${name} is signed by ${proof.prover}, not a registered prover` };
    const statement = statementOf(root.block, proof);
    if (!verifyProof(publicKey, statement, proof.signature)) return { ok: false, defect: `${name}: the signature does not verify under ${proof.prover}'s registered key` };
    if (proof.publicInput !== inputs[level]?.[index]) return { ok: false, defect: `${name}: its public input does not chain from the block's transactions` };
    const children = level === 0 ? [] : [2 * index, 2 * index + 1].filter((j) => !isPadding(txCount, { level: level - 1, index: j }));
    const expected = children.map((j) => hashes.get(at(level - 1, j)));
    if (expected.length !== proof.childProofHashes.length || expected.some((hash, k) => hash !== proof.childProofHashes[k])) {
      return { ok: false, defect: `${name}: its child proof hashes are not the hashes of its children's proofs` };
    }
    const hash = proofHash(statement, proof.signature);
    hashes.set(at(level, index), hash);
    nodes.push({ level, index, prover: proof.prover, proofHash: hash });
  }
  const rootHash = hashes.get(at(rootLevel(txCount), 0));
  if (rootHash !== root.proofHash) return { ok: false, defect: `the root proof's hash is ${rootHash ?? "missing"}, not the submitted ${root.proofHash}` };
  return { ok: true, nodes };
};
