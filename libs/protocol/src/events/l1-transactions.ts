import { Schema } from "effect";
import { defineEvent, described, payloadOf } from "../envelope.ts";
import { Amount, BlockNumber, Hash, nodeFields, ProverId, PublicKey } from "../ids.ts";
import { ProofRecord } from "../proof.ts";

// Commands to the mock L1 (l1-settlement). Each is applied or refused by the L1 in the order
// of the l1.transactions topic; what it did is told on l1.events.

export const RegisterProver = defineEvent(
  "RegisterProver",
  1,
  payloadOf("RegisterProver", { prover: ProverId, publicKey: PublicKey, stake: Amount }, "A request to join the prover registry."),
  "L1 transaction: register `prover` with Ed25519 key `publicKey`, bonding `stake`. Answered by ProverRegistered.",
);

export const DepositStake = defineEvent(
  "DepositStake",
  1,
  payloadOf("DepositStake", { prover: ProverId, amount: Amount }, "A request to add to a prover's stake."),
  "L1 transaction: add `amount` to the stake of `prover`. Answered by StakeChanged (reason deposit).",
);

export const Unbond = defineEvent(
  "Unbond",
  1,
  payloadOf("Unbond", { prover: ProverId, amount: Amount }, "A request to withdraw stake."),
  "L1 transaction: move `amount` of the stake of `prover` to its balance. Answered by StakeChanged (reason unbond); may lead to ProverEjected.",
);

export const SubmitRoot = defineEvent(
  "SubmitRoot",
  1,
  payloadOf(
    "SubmitRoot",
    {
      block: BlockNumber,
      proofHash: described(Hash, "The hash of the root node's proof."),
      contributors: Schema.Array(ProverId).annotations({ description: "The provers whose proofs are in the tree, each once." }),
      proofs: Schema.Array(ProofRecord).annotations({ description: "Every accepted proof of the tree, leaves first, level by level, left to right." }),
    },
    "A block's complete proof tree, for verification and settlement.",
  ),
  "L1 transaction: the aggregator submits the proof tree of block `block`. The L1 verifies every proof and finalizes the block (BlockFinalized, then RewardPaid).",
);

const receiptFields = { ...nodeFields, prover: ProverId, proofHash: Hash } as const;

export const PostReceipt = defineEvent(
  "PostReceipt",
  1,
  payloadOf("PostReceipt", receiptFields, "A receipt of a valid proof, before its deadline."),
  "L1 transaction: `prover` records the hash `proofHash` of its proof of node (block, level, index). Posted before the deadline, it protects the prover from a missed-deadline slash.",
);

export const ClaimUncle = defineEvent(
  "ClaimUncle",
  1,
  payloadOf("ClaimUncle", receiptFields, "A claim of an uncle reward."),
  "L1 transaction: `prover`, holding a receipt for proof `proofHash` of node (block, level, index) that was left out of the finalized tree, claims its uncle reward. Answered by UncleRewardPaid.",
);
