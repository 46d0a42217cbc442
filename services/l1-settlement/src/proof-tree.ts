import { Either } from "effect";
import { verifyProof } from "@zk-testnet/crypto";
import { isInTree, isPadding, provableNodes, rootLevel, treeWidth, type ProducedNode } from "@zk-testnet/mechanisms";
import {
  EMPTY_LEAF_PUBLIC_INPUT,
  leafPublicInput,
  mergePublicInput,
  proofHash,
  type BlockNumber,
  type Hash,
  type ProofRecord,
  type ProofStatement,
  type ProverId,
  type PublicKey,
  type TxCount,
} from "@zk-testnet/protocol";

// What the L1 checks of a submitted proof tree before it finalizes a block: every node that
// needs a proof has exactly one, each signed by a registered prover over the right public
// input and the hashes of the proofs of its children, and the root is the one submitted.

/** Why a submitted tree was refused; a later issue turns the attributable ones into slashing evidence. */
export type TreeDefectReason =
  | "incomplete-tree"
  | "unknown-prover"
  | "bad-signature"
  | "wrong-public-input"
  | "wrong-children"
  | "wrong-root"
  | "wrong-contributors";

export interface TreeDefect {
  readonly reason: TreeDefectReason;
  /** The node at fault, when there is one. */
  readonly level: number | null;
  readonly index: number | null;
  readonly prover: ProverId | null;
}

export interface VerifiedTree {
  /** Who produced each node that needed a proof, leaves first, each level from the left. */
  readonly producers: readonly ProducedNode[];
}

export interface TreeSubmission {
  readonly block: BlockNumber;
  /** The block's transaction hashes, as proposed: its tree has one leaf per transaction. */
  readonly txHashes: readonly Hash[];
  readonly rootProofHash: Hash;
  readonly contributors: readonly ProverId[];
  readonly proofs: readonly ProofRecord[];
  /** The registered key of a prover, undefined for one the registry does not know. */
  readonly publicKeyOf: (prover: ProverId) => PublicKey | undefined;
}

/**
 * The public input of every node of a block's tree, padding included: `levels[l][i]`. A
 * leaf's is its transaction hash (32 zero bytes for a padding leaf), a merge node's is
 * mergePublicInput of its children's, padding children included.
 */
export const treePublicInputs = (txHashes: readonly Hash[]): readonly (readonly Hash[])[] => {
  const width = treeWidth(Math.max(1, txHashes.length) as TxCount);
  const leaves = Array.from({ length: width }, (_, i) => {
    const tx = txHashes[i];
    return tx === undefined ? EMPTY_LEAF_PUBLIC_INPUT : leafPublicInput(tx);
  });
  const levels: Hash[][] = [leaves];
  for (let below = leaves; below.length > 1; ) {
    const children = below;
    const level = Array.from({ length: children.length / 2 }, (_, i) => mergePublicInput(children[2 * i] as Hash, children[2 * i + 1] as Hash));
    levels.push(level);
    below = level;
  }
  return levels;
};

const at = (level: number, index: number) => `${level}/${index}`;

const defect = (reason: TreeDefectReason, node?: { readonly level: number; readonly index: number; readonly prover?: ProverId | undefined }): TreeDefect => ({
  reason,
  level: node?.level ?? null,
  index: node?.index ?? null,
  prover: node?.prover ?? null,
});

/** Verifies a submitted tree against its block; the first defect found, from the leaves up, refuses it. */
export const verifyProofTree = (submission: TreeSubmission): Either.Either<VerifiedTree, TreeDefect> => {
  const { block, txHashes, proofs } = submission;
  if (txHashes.length === 0) return Either.left(defect("incomplete-tree"));
  const txCount = txHashes.length as TxCount;

  const byNode = new Map<string, ProofRecord>();
  for (const proof of proofs) {
    if (!isInTree(txCount, proof) || isPadding(txCount, proof) || byNode.has(at(proof.level, proof.index))) return Either.left(defect("incomplete-tree", proof));
    byNode.set(at(proof.level, proof.index), proof);
  }
  // Every node that needs a proof, leaves first: children are checked before their parent.
  const tree: ProofRecord[] = [];
  for (const node of provableNodes(block, txCount)) {
    const proof = byNode.get(at(node.level, node.index));
    if (proof === undefined) return Either.left(defect("incomplete-tree", node));
    tree.push(proof);
  }

  const inputs = treePublicInputs(txHashes);
  const hashes = new Map<string, Hash>();
  for (const proof of tree) {
    const publicKey = submission.publicKeyOf(proof.prover);
    if (publicKey === undefined) return Either.left(defect("unknown-prover", proof));
    const statement: ProofStatement = {
      block,
      level: proof.level,
      index: proof.index,
      prover: proof.prover,
      publicInput: proof.publicInput,
      childProofHashes: proof.childProofHashes,
    };
    if (!verifyProof(publicKey, statement, proof.signature)) return Either.left(defect("bad-signature", proof));
    if (proof.publicInput !== inputs[proof.level]?.[proof.index]) return Either.left(defect("wrong-public-input", proof));
    const left = at(proof.level - 1, 2 * proof.index);
    const right = at(proof.level - 1, 2 * proof.index + 1);
    const children = proof.level === 0 ? [] : isPadding(txCount, { level: proof.level - 1, index: 2 * proof.index + 1 }) ? [left] : [left, right];
    const childHashes = children.map((child) => hashes.get(child));
    if (childHashes.length !== proof.childProofHashes.length || childHashes.some((hash, k) => hash !== proof.childProofHashes[k])) {
      return Either.left(defect("wrong-children", proof));
    }
    hashes.set(at(proof.level, proof.index), proofHash(statement, proof.signature));
  }

  const root = tree[tree.length - 1];
  if (root === undefined || root.level !== rootLevel(txCount) || hashes.get(at(root.level, root.index)) !== submission.rootProofHash) {
    return Either.left(defect("wrong-root", root));
  }

  const provers = new Set(proofs.map((p) => p.prover));
  const named = new Set(submission.contributors);
  if (named.size !== submission.contributors.length || named.size !== provers.size || [...provers].some((p) => !named.has(p))) {
    return Either.left(defect("wrong-contributors"));
  }
  return Either.right({ producers: tree.map((proof) => ({ level: proof.level, index: proof.index, prover: proof.prover, takeover: false })) });
};
