import { Schema } from "effect";
import { defineEvent, described, payloadOf } from "../envelope.ts";
import { BlockNumber, Hash, nodeFields, ProverId, Timestamp } from "../ids.ts";
import { ChildProofHashes } from "../proof.ts";

const deadline = described(Timestamp, "The deadline, in ms since the Unix epoch: a proof must be accepted by then.");

export const NodeAssigned = defineEvent(
  "NodeAssigned",
  1,
  payloadOf(
    "NodeAssigned",
    {
      ...nodeFields,
      prover: ProverId,
      deadline,
      publicInput: described(Hash, "The public input the proof must have."),
      childProofHashes: ChildProofHashes,
    },
    "A node of a proof tree assigned to a prover.",
  ),
  [
    "The aggregator assigned node (block, level, index) to `prover`, who must have a proof accepted before `deadline`.",
    "Leaves are assigned when their block is proposed (deadline = assignment time + D_leaf); a merge node is assigned when both its children are accepted",
    "(deadline = that time + D_merge), so `publicInput` and `childProofHashes` are always known: everything needed to build the proof.",
    "Assignment is a pure function of the beacon round, the eligible prover set, the block and its tx count.",
  ].join(" "),
);

export const NodeDeadlineMissed = defineEvent(
  "NodeDeadlineMissed",
  1,
  payloadOf("NodeDeadlineMissed", { ...nodeFields, prover: ProverId, deadline }, "A node whose deadline passed without an accepted proof."),
  [
    "The deadline of node (block, level, index) passed without an accepted proof from `prover`, its assignee or taker at the time.",
    "Unless the prover posted a receipt for the node before the deadline, this is a slashable fault (slashMissed); a TakeoverOpened follows.",
  ].join(" "),
);

export const TakeoverStep = Schema.Literal("sibling", "parent", "open").annotations({
  identifier: "TakeoverStep",
  title: "TakeoverStep",
  description: "The step of the takeover chain: the sibling's prover, then the parent's prover, then an open round for every eligible prover.",
});
export type TakeoverStep = typeof TakeoverStep.Type;

export const TakeoverOpened = defineEvent(
  "TakeoverOpened",
  1,
  payloadOf(
    "TakeoverOpened",
    {
      ...nodeFields,
      from: described(ProverId, "The prover that missed the node."),
      to: Schema.optionalWith(ProverId, { exact: true }).annotations({ description: "The prover taking the node over; absent for an open round." }),
      step: TakeoverStep,
      deadline,
    },
    "A missed node handed to another prover, or opened to all.",
  ),
  [
    "Node (block, level, index), missed by `from`, is taken over at step `step` by `to` with a fresh `deadline`.",
    "The chain is sibling -> parent -> open; a step whose prover is the one that just failed, or that does not exist, is skipped.",
    "For step \"open\" `to` is absent: every eligible prover may submit and the first valid proof wins.",
  ].join(" "),
);

const acceptedFields = { ...nodeFields, prover: ProverId, proofHash: Hash } as const;

export const ProofAccepted = defineEvent(
  "ProofAccepted",
  1,
  payloadOf("ProofAccepted", acceptedFields, "A proof verified and taken into the tree."),
  [
    "The aggregator verified the proof `proofHash` of node (block, level, index) by `prover` (signature of a registered prover, correct public input,",
    "children equal to the accepted child proofs) and took it into the block's tree. The first valid proof of a node wins; later ones are rejected as duplicates.",
  ].join(" "),
);

export const RejectionReason = Schema.Literal(
  "bad-signature",
  "wrong-public-input",
  "wrong-children",
  "unknown-prover",
  "not-assigned",
  "too-early",
  "duplicate",
).annotations({
  identifier: "RejectionReason",
  title: "RejectionReason",
  description: [
    "Why a proof was rejected: bad-signature (not a valid Ed25519 signature of the prover's registered key over canonicalProofBytes),",
    "wrong-public-input, wrong-children (child proof hashes differ from the accepted children), unknown-prover (not registered),",
    "not-assigned (the prover is neither assignee nor taker of the node), too-early (before the minimum proving time), duplicate (the node already has an accepted proof).",
  ].join(" "),
});
export type RejectionReason = typeof RejectionReason.Type;

export const ProofRejected = defineEvent(
  "ProofRejected",
  1,
  payloadOf("ProofRejected", { ...acceptedFields, reason: RejectionReason }, "A proof refused, with the reason."),
  [
    "The aggregator refused the proof `proofHash` of node (block, level, index) by `prover` for `reason`.",
    "A signed proof rejected for wrong-public-input or wrong-children is evidence of an invalid proof (slashInvalid).",
  ].join(" "),
);

export const RootProofSubmitted = defineEvent(
  "RootProofSubmitted",
  1,
  payloadOf(
    "RootProofSubmitted",
    {
      block: BlockNumber,
      proofHash: described(Hash, "The hash of the root node's accepted proof."),
      contributors: Schema.Array(ProverId).annotations({ description: "The provers whose proofs are in the tree, each once, in order of first appearance from the leaves up." }),
    },
    "A block's proof tree complete and sent to L1.",
  ),
  "Every node of block `block` has an accepted proof; the aggregator sent the tree to L1 (SubmitRoot) with the root proof `proofHash`.",
);
