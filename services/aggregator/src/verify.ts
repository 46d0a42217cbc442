import { verifyProof } from "@zk-testnet/crypto";
import type { ProtocolParams } from "@zk-testnet/mechanisms";
import { proofHash, type Hash, type PayloadOf, type ProofRecord, type ProofStatement, type ProverId, type PublicKey, type RejectionReason } from "@zk-testnet/protocol";
import { clockStartOf, mayProve, windowOf, type NodeState } from "./node-machine.ts";
import { isProvable, nodeOf, type BlockTree } from "./tree-state.ts";

/** A registered prover as the aggregator knows it from l1.events. */
export interface RegisteredProver {
  readonly publicKey: PublicKey;
  readonly stake: bigint;
  /** The slot of its ProverRegistered: it is eligible for blocks of epochs that start at or after it. */
  readonly registeredSlot: number;
}

export type Submission = PayloadOf<"ProofSubmitted">;

/** What to do with a submitted proof. */
export type Judgement =
  | { readonly verdict: "accept"; readonly proofHash: Hash; readonly record: ProofRecord }
  | { readonly verdict: "reject"; readonly reason: RejectionReason };

const reject = (reason: RejectionReason): Judgement => ({ verdict: "reject", reason });

const sameHashes = (a: readonly Hash[], b: readonly Hash[]): boolean => a.length === b.length && a.every((h, i) => h === b[i]);

export interface ProofCase {
  readonly registry: Readonly<Record<string, RegisteredProver>>;
  readonly tree: BlockTree | undefined;
  readonly submission: Submission;
  /** When the proof was submitted (its event's time), ms. */
  readonly time: number;
  readonly params: ProtocolParams;
}

/**
 * Whether `prover` may prove the node with a proof made at `at`: it held the node then (before
 * the deadline it had: a proof on its way when its deadline fired still counts), or the node
 * was open then and the prover is in the block's eligible set. Judged by the proof's time, not
 * by when it is folded, so a replay judges as the live run did.
 */
export const mayProveNode = (node: NodeState, prover: ProverId, at: number, eligible: readonly ProverId[]): boolean =>
  mayProve(node, prover, at) && (windowOf(node, prover, at) !== undefined || eligible.includes(prover));

/**
 * Verifies a submitted proof, in this order: a registered prover; (for a tree already submitted,
 * its signature decides between duplicate and bad-signature); a node it may prove at the
 * proof's time (mayProveNode); its signature (and the proof hash it claims); the node's public
 * input; the accepted children; a node without an accepted proof yet; not sooner than M after
 * the prover's clock started (its hand-out, or the open round's start).
 * A signed but wrong proof is rejected with its own reason even on an accepted node: it is
 * evidence. So is a second, different signed proof of an accepted node (`duplicate`: by its own
 * prover, equivocation).
 */
export const judgeProof = ({ registry, tree, submission, time, params }: ProofCase): Judgement => {
  const registered = registry[submission.prover];
  if (registered === undefined) return reject("unknown-prover");
  if (tree === undefined || tree.phase === "pending" || tree.phase === "reorged") return reject("not-assigned");
  const statement: ProofStatement = {
    block: submission.block,
    level: submission.level,
    index: submission.index,
    prover: submission.prover,
    publicInput: submission.publicInput,
    childProofHashes: submission.childProofHashes,
  };
  // A proof is named by its hash everywhere; one that misnames itself is malformed.
  const signed = verifyProof(registered.publicKey, statement, submission.signature) && proofHash(statement, submission.signature) === submission.proofHash;
  // A "duplicate" is evidence against its prover (equivocation): never say it of a proof it did not sign.
  if (tree.phase === "submitted") return reject(signed ? "duplicate" : "bad-signature");
  const node = isProvable(tree.txCount, submission) ? nodeOf(tree, submission.level, submission.index) : undefined;
  if (node === undefined) return reject("not-assigned");
  if (node.status !== "accepted" && !mayProveNode(node, submission.prover, time, tree.eligible)) return reject("not-assigned");
  if (!signed) return reject("bad-signature");
  const hash = submission.proofHash;
  if (submission.publicInput !== node.publicInput) return reject("wrong-public-input");
  if (!sameHashes(submission.childProofHashes, node.childProofHashes)) return reject("wrong-children");
  if (node.status === "accepted") return reject("duplicate");
  const clockStart = clockStartOf(node, submission.prover, time);
  if (clockStart !== null && time < clockStart + params.minProvingTimeMs) return reject("too-early");
  const record: ProofRecord = {
    level: submission.level,
    index: submission.index,
    prover: submission.prover,
    publicInput: submission.publicInput,
    childProofHashes: submission.childProofHashes,
    signature: submission.signature,
  };
  return { verdict: "accept", proofHash: hash, record };
};
