import { Schema } from "effect";
import { defineEvent, described, payloadOf } from "../envelope.ts";
import { Amount, BlockNumber, Epoch, EventId, Level, NodeIndex, nodeFields, ProverId, PublicKey, SignedAmount, Slot } from "../ids.ts";

export const ProverRegistered = defineEvent(
  "ProverRegistered",
  1,
  payloadOf(
    "ProverRegistered",
    { prover: ProverId, stake: Amount, publicKey: PublicKey },
    "A prover entered the registry.",
  ),
  "The L1 registered `prover` with Ed25519 key `publicKey` and initial stake `stake`. It becomes eligible at the start of the next epoch if its stake is at least the minimum.",
);

export const StakeChangeReason = Schema.Literal("deposit", "unbond", "slash", "release").annotations({
  identifier: "StakeChangeReason",
  title: "StakeChangeReason",
  description:
    "Why a stake moved: a deposit (DepositStake), an unbonding (Unbond, the amount moves to the balance), a slash (see ProverSlashed; a missed deadline's is held in escrow until its block settles) or a release (a held missed-deadline slash given back: the prover's receipt from before the deadline reached the L1 after the miss).",
});

export const StakeChanged = defineEvent(
  "StakeChanged",
  1,
  payloadOf(
    "StakeChanged",
    {
      prover: ProverId,
      stake: described(Amount, "The prover's stake after the change."),
      delta: SignedAmount,
      reason: StakeChangeReason,
    },
    "A prover's stake moved.",
  ),
  "The stake of `prover` moved by `delta` to `stake`, for `reason`.",
);

export const BlockFinalized = defineEvent(
  "BlockFinalized",
  1,
  payloadOf("BlockFinalized", { block: BlockNumber, slot: Slot }, "A block final on L1."),
  "The L1 verified the root proof of block `block` (SubmitRoot) and finalized it in slot `slot`. Rewards (RewardPaid) follow.",
);

export const BlockReorgedOut = defineEvent(
  "BlockReorgedOut",
  1,
  payloadOf(
    "BlockReorgedOut",
    {
      block: BlockNumber,
      slot: Slot,
      reason: Schema.Literal("proving-window-expired").annotations({ description: "Why the block was dropped." }),
    },
    "A block dropped for want of a proof.",
  ),
  "Block `block` was not proven within its proving window (default 4 epochs) and was dropped in slot `slot`: its fees go unpaid and the sequencer re-proposes its transactions.",
);

const rewardPayload = Schema.Struct({
  block: BlockNumber,
  prover: ProverId,
  amount: Amount,
  level: Schema.optionalWith(Level, { exact: true }),
  index: Schema.optionalWith(NodeIndex, { exact: true }),
}).pipe(
  Schema.filter((reward) => (reward.level === undefined) === (reward.index === undefined), {
    message: () => "level and index are both present (a node's reward) or both absent (a block-level payment)",
    jsonSchema: { dependencies: { level: ["index"], index: ["level"] } },
  }),
  Schema.annotations({ identifier: "RewardPaidPayload", title: "RewardPaidPayload", description: "A reward credited to a prover's balance." }),
);

export const RewardPaid = defineEvent(
  "RewardPaid",
  1,
  rewardPayload,
  [
    "`amount` was credited to the balance of `prover` for finalized block `block`: for node (block, level, index) when `level` and `index` are present,",
    "else a block-level payment. A node is paid at most once.",
  ].join(" "),
);

export const SlashReason = Schema.Literal("missed", "invalid").annotations({
  identifier: "SlashReason",
  title: "SlashReason",
  description: "missed: an assigned node's deadline passed with no accepted proof and no receipt (slashMissed); invalid: the prover signed an invalid proof (slashInvalid).",
});
export type SlashReason = typeof SlashReason.Type;

export const ProverSlashed = defineEvent(
  "ProverSlashed",
  1,
  payloadOf(
    "ProverSlashed",
    {
      prover: ProverId,
      amount: described(Amount, "The amount taken from the prover's stake."),
      reason: SlashReason,
      ...nodeFields,
      evidence: Schema.Array(EventId).annotations({
        description: "The ids of the events that prove the fault: the NodeDeadlineMissed, or the ProofSubmitted and its ProofRejected.",
      }),
      bounty: Schema.optionalWith(
        Schema.Struct({ prover: ProverId, amount: Amount }).annotations({
          description: "The part of the slash paid to the prover that took the node over; the rest of `amount` is burned.",
        }),
        { exact: true },
      ),
    },
    "A prover's stake cut for an attributable fault.",
  ),
  [
    "`prover` lost `amount` of its stake for fault `reason` at node (block, level, index), shown by the events in `evidence`.",
    "`bounty`, when present, went to the taker's balance; the rest of `amount` is burned. A fault is slashed at most once.",
  ].join(" "),
);

export const UncleRewardPaid = defineEvent(
  "UncleRewardPaid",
  1,
  payloadOf("UncleRewardPaid", { block: BlockNumber, prover: ProverId, amount: Amount, level: Level, index: NodeIndex }, "An uncle reward for a receipted proof left out of the tree."),
  "`prover` had posted a receipt for a valid proof of node (block, level, index) that was left out of the tree, and claimed it (ClaimUncle): `amount` was credited to its balance.",
);

export const ProverEjected = defineEvent(
  "ProverEjected",
  1,
  payloadOf(
    "ProverEjected",
    { prover: ProverId, epoch: Epoch, stake: described(Amount, "The stake left, below the minimum.") },
    "A prover removed from the eligible set.",
  ),
  "The stake of `prover` fell below the minimum: from epoch `epoch` on it is not eligible for assignments.",
);

export const EpochStarted = defineEvent(
  "EpochStarted",
  1,
  payloadOf(
    "EpochStarted",
    {
      epoch: Epoch,
      slot: described(Slot, "The epoch's first slot."),
      eligible: described(Schema.Number.pipe(Schema.int(), Schema.nonNegative()), "How many provers the registry holds eligible for the epoch."),
    },
    "The L1 entered an epoch: the registry as of its start is fixed.",
  ),
  [
    "The L1 crossed into epoch `epoch` (its first input timed at or after the epoch's first slot).",
    "The eligible set of every block of the epoch is the registry as the l1.events before this record leave it:",
    "registered provers with at least the minimum stake, not ejected. Emitted once per epoch, in order, after the epoch's ProverEjected records.",
  ].join(" "),
);
