import { createHash } from "node:crypto";
import { Schema } from "effect";
import { BlockNumber, Hash, Level, NodeIndex, ProofSignature, ProverId } from "./ids.ts";

/** What a proof's signature covers: the node, the prover, the public input and the child proofs. */
export interface ProofStatement {
  readonly block: BlockNumber;
  readonly level: Level;
  readonly index: NodeIndex;
  readonly prover: ProverId;
  readonly publicInput: Hash;
  /** Left child first, then right; empty for a leaf. */
  readonly childProofHashes: readonly Hash[];
}

/** The domain tag that opens every canonical proof encoding; a new layout gets a new tag. */
export const PROOF_ENCODING_TAG = "zk-testnet/proof/v1";

/**
 * The canonical proof encoding, the one source of the bytes a prover signs with Ed25519.
 * UTF-8 text, one field a line, each line ending in "\n", in this order:
 *
 *   zk-testnet/proof/v1
 *   block:<block, decimal>
 *   level:<level, decimal>
 *   index:<index, decimal>
 *   prover:<prover id>
 *   publicInput:<64 lowercase hex>
 *   children:<left child proof hash>,<right child proof hash>   (nothing after ":" for a leaf)
 *
 * No field value contains "," or a newline, and a line's label ends at its first ":", so
 * nothing needs escaping.
 */
export const canonicalProofBytes = (statement: ProofStatement): Uint8Array =>
  new TextEncoder().encode(canonicalProofText(statement));

export const canonicalProofText = (statement: ProofStatement): string =>
  [
    PROOF_ENCODING_TAG,
    `block:${statement.block}`,
    `level:${statement.level}`,
    `index:${statement.index}`,
    `prover:${statement.prover}`,
    `publicInput:${statement.publicInput}`,
    `children:${statement.childProofHashes.join(",")}`,
  ]
    .map((line) => `${line}\n`)
    .join("");

/**
 * A proof's hash, which names it everywhere (children, receipts, roots): SHA-256 over the
 * canonical proof bytes followed by the 64 raw signature bytes, as lowercase hex.
 */
export const proofHash = (statement: ProofStatement, signature: ProofSignature): Hash =>
  createHash("sha256")
    .update(canonicalProofBytes(statement))
    .update(Buffer.from(signature, "hex"))
    .digest("hex") as Hash;

/** A leaf's public input is the hash of its transaction. */
export const leafPublicInput = (txHash: Hash): Hash => txHash;

/** The public input of an empty padding leaf (no transaction, no proof): 32 zero bytes. */
export const EMPTY_LEAF_PUBLIC_INPUT = "0".repeat(64) as Hash;

/** A merge node's public input: SHA-256 over the raw 32 bytes of the left input, then the right. */
export const mergePublicInput = (left: Hash, right: Hash): Hash =>
  createHash("sha256").update(Buffer.from(left, "hex")).update(Buffer.from(right, "hex")).digest("hex") as Hash;

/** A proof's child proof hashes: left then right; none for a leaf, one where the right child is an empty padding leaf. */
export const ChildProofHashes = Schema.Array(Hash).pipe(
  Schema.maxItems(2),
  Schema.annotations({
    description: "The hashes of the accepted child proofs, left then right: none for a leaf, only the left one where the right child is an empty padding leaf.",
  }),
);

/**
 * A proof as the L1 receives it in SubmitRoot: the signed statement (the block is the
 * root's) and its signature; the proof hash is recomputed from them.
 */
export const ProofRecord = Schema.Struct({
  level: Level,
  index: NodeIndex,
  prover: ProverId,
  publicInput: Hash,
  childProofHashes: ChildProofHashes,
  signature: ProofSignature,
}).annotations({
  identifier: "ProofRecord",
  title: "ProofRecord",
  description: "One accepted proof of a block's tree, minimal: its node, prover, public input, child proof hashes and signature. Its hash is recomputed with proofHash.",
});
export type ProofRecord = typeof ProofRecord.Type;
