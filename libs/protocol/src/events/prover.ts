import { defineEvent, described, payloadOf } from "../envelope.ts";
import { Hash, nodeFields, ProofSignature, ProverId } from "../ids.ts";
import { ChildProofHashes } from "../proof.ts";

export const ProofSubmitted = defineEvent(
  "ProofSubmitted",
  1,
  payloadOf(
    "ProofSubmitted",
    {
      ...nodeFields,
      prover: ProverId,
      publicInput: Hash,
      childProofHashes: ChildProofHashes,
      signature: ProofSignature,
      proofHash: described(Hash, "SHA-256(canonicalProofBytes || raw signature bytes), lowercase hex."),
    },
    "A signed proof of one node.",
  ),
  [
    "`prover` submits its proof of node (block, level, index). `signature` is Ed25519 (RFC 8032, the prover's registered key) over canonicalProofBytes, UTF-8 text,",
    "one field a line, each line ending in \\n: `zk-testnet/proof/v1`, `block:<decimal>`, `level:<decimal>`, `index:<decimal>`, `prover:<prover id>`,",
    "`publicInput:<64 hex>`, `children:<left hash>,<right hash>` (nothing after the colon for a leaf; only the left hash when the right child is an empty padding leaf).",
    "`proofHash` = SHA-256(canonicalProofBytes || the 64 raw signature bytes). The aggregator answers with ProofAccepted or ProofRejected.",
    "An external prover needs only this topic, proving.assignments (what to prove), l2.blocks and l1.transactions (to register and stake).",
  ].join(" "),
);

export const ProofReceiptPosted = defineEvent(
  "ProofReceiptPosted",
  1,
  payloadOf("ProofReceiptPosted", { ...nodeFields, prover: ProverId, proofHash: Hash }, "A prover's announcement that it posted a receipt to L1."),
  [
    "`prover` posted to L1 (PostReceipt) a receipt for its valid proof `proofHash` of node (block, level, index) before the node's deadline.",
    "The L1 record is what protects it: it is never slashed for that node, and may claim an uncle reward (ClaimUncle) if its proof is left out of the tree.",
  ].join(" "),
);
