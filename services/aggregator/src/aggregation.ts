import { Either } from "effect";
import type { OutputDraft } from "@zk-testnet/actors";
import { assignTreeVrf, epochOf, epochStartSlot, type EligibleProver, type ProtocolParams } from "@zk-testnet/mechanisms";
import {
  blockCorrelationId,
  type BlockNumber,
  type EventOf,
  type Hash,
  type ProtocolEvent,
  type ProverId,
  type Slot,
  type TxCount,
} from "@zk-testnet/protocol";
import { isValidRound } from "./beacon.ts";
import { decided, readBack, unpublished, type Outbox } from "./outbox.ts";
import { advanceTree, asDraft, openTree, withNode, type BlockTree, type ProvingBlock } from "./tree-state.ts";
import { judgeProof, type RegisteredProver } from "./verify.ts";

// The aggregator's decisions as one pure fold: (context, consumed event) -> (context, output
// drafts). The XState machine (machine.ts) calls it for every `input` event; the unit tests
// call it through the machine's `transition`. Decisions depend on the protocol's inputs only
// (blocks, rounds, registry, proofs), never on the aggregator's own outputs read back: those
// only settle the outbox. So a replay, in whatever order equal times put the topics, decides
// exactly what the live run decided.

/** What the aggregator needs of the network; the machine's input. */
export interface AggregatorInput {
  readonly params: ProtocolParams;
  /** The beacon's BLS public key (compressed G2, hex), derived from the network seed. */
  readonly beaconPublicKey: string;
}

/** A verified beacon round that no block has used yet. */
export interface PendingRound {
  readonly randomness: Hash;
  /** When it was published (its event's time), ms. */
  readonly time: number;
}

export interface AggregatorContext {
  readonly config: AggregatorInput;
  /** Registered provers by id, from ProverRegistered and StakeChanged. */
  readonly registry: Readonly<Record<string, RegisteredProver>>;
  /** Verified rounds waiting for their block (block of slot s uses round s + 1), by round. */
  readonly rounds: Readonly<Record<string, PendingRound>>;
  /** Every block seen, by block number. */
  readonly blocks: Readonly<Record<string, BlockTree>>;
  /** Decided outputs not read back from the log yet (see outbox.ts). */
  readonly outbox: Outbox;
}

/** A fold step: the context after the event and what it publishes. */
export interface Decision {
  readonly context: AggregatorContext;
  readonly drafts: readonly OutputDraft[];
}

export const initialContext = (input: AggregatorInput): AggregatorContext => ({ config: input, registry: {}, rounds: {}, blocks: {}, outbox: {} });

const unchanged = (context: AggregatorContext): Decision => ({ context, drafts: [] });

/**
 * The eligible set of a block proposed in `slot`: registered provers with at least the
 * minimum stake, registered no later than the first slot of the block's epoch.
 */
export const eligibleSet = (context: AggregatorContext, slot: number): readonly EligibleProver[] => {
  const { params } = context.config;
  const start = epochStartSlot(params, epochOf(params, slot as Slot));
  return Object.entries(context.registry)
    .filter(([, p]) => p.stake >= params.minimumStake && p.registeredSlot <= start)
    .map(([prover, p]) => ({ prover: prover as ProverId, stake: p.stake }));
};

/** Opens a pending block's tree once its round and an eligible set are in; otherwise keeps it waiting. */
const tryOpen = (context: AggregatorContext, block: string, trigger: { readonly slot: number }): Decision => {
  const pending = context.blocks[block];
  if (pending?.phase !== "pending") return unchanged(context);
  const roundKey = String(pending.slot + 1);
  const round = context.rounds[roundKey];
  if (round === undefined) return unchanged(context);
  const assignment = assignTreeVrf({
    randomness: round.randomness,
    eligible: eligibleSet(context, pending.slot),
    block: Number(block) as BlockNumber,
    txCount: pending.txCount as TxCount,
    weighting: context.config.params.weighting,
  });
  // An empty eligible set (or zero stake) keeps the block waiting for the registry.
  if (Either.isLeft(assignment)) return unchanged(context);
  // Assigned when both block and round are out, whichever came last and whatever the registry
  // did meanwhile: the same inputs give the same deadlines in any order of arrival.
  const now = Math.max(pending.time, round.time);
  const opened = openTree(Number(block), pending, assignment.right, context.config.params, now, Math.max(trigger.slot, pending.slot));
  const { [roundKey]: _used, ...rounds } = context.rounds;
  return { context: { ...context, rounds, blocks: { ...context.blocks, [block]: opened.tree } }, drafts: opened.drafts };
};

/** Retries every waiting block (in block order), e.g. after the registry changed. */
const retryPending = (context: AggregatorContext, trigger: { readonly slot: number }, slot?: number): Decision => {
  let current = context;
  const drafts: OutputDraft[] = [];
  for (const [block, tree] of Object.entries(context.blocks)) {
    if (tree.phase !== "pending" || (slot !== undefined && tree.slot !== slot)) continue;
    const step = tryOpen(current, block, trigger);
    current = step.context;
    drafts.push(...step.drafts);
  }
  return { context: current, drafts };
};

const withTree = (context: AggregatorContext, block: number, tree: BlockTree): AggregatorContext => ({
  ...context,
  blocks: { ...context.blocks, [String(block)]: tree },
});

/** Advances a tree that changed, and stores it. */
const settle = (context: AggregatorContext, block: number, tree: ProvingBlock, event: ProtocolEvent, drafts: readonly OutputDraft[]): Decision => {
  const step = advanceTree(block, tree, context.config.params, event.slot);
  return { context: withTree(context, block, step.tree), drafts: [...drafts, ...step.drafts] };
};

const onBlockProposed = (context: AggregatorContext, event: EventOf<"BlockProposed">): Decision => {
  const { block, slot, txCount, txHashes } = event.payload;
  // A block is folded once; one whose hashes do not match its count cannot be proven.
  if (context.blocks[String(block)] !== undefined || txHashes.length !== txCount) return unchanged(context);
  const pending: BlockTree = { phase: "pending", slot, txCount, txHashes, time: event.time };
  return tryOpen(withTree(context, block, pending), String(block), event);
};

const onBeaconRound = (context: AggregatorContext, event: EventOf<"BeaconRound">): Decision => {
  const { round, randomness } = event.payload;
  if (round === 0 || context.rounds[String(round)] !== undefined) return unchanged(context);
  // A round that does not verify under the beacon's key is ignored: a valid one may follow.
  if (!isValidRound(context.config.beaconPublicKey, event.payload)) return unchanged(context);
  const withRound = { ...context, rounds: { ...context.rounds, [String(round)]: { randomness, time: event.time } } };
  return retryPending(withRound, event, round - 1);
};

const onProverRegistered = (context: AggregatorContext, event: EventOf<"ProverRegistered">): Decision => {
  const { prover, stake, publicKey } = event.payload;
  if (context.registry[prover] !== undefined) return unchanged(context);
  const registry = { ...context.registry, [prover]: { publicKey, stake, registeredSlot: event.slot } };
  return retryPending({ ...context, registry }, event);
};

const onStakeChanged = (context: AggregatorContext, event: EventOf<"StakeChanged">): Decision => {
  const { prover, stake } = event.payload;
  const registered = context.registry[prover];
  if (registered === undefined || registered.stake === stake) return unchanged(context);
  const registry = { ...context.registry, [prover]: { ...registered, stake } };
  return retryPending({ ...context, registry }, event);
};

const onProofSubmitted = (context: AggregatorContext, event: EventOf<"ProofSubmitted">): Decision => {
  const submission = event.payload;
  const { block, level, index, prover } = submission;
  const tree = context.blocks[String(block)];
  const judgement = judgeProof({ registry: context.registry, tree, submission, time: event.time, params: context.config.params });
  const correlationId = blockCorrelationId(block);
  switch (judgement.verdict) {
    case "reject": {
      const rejected: OutputDraft<"ProofRejected"> = {
        type: "ProofRejected",
        correlationId,
        slot: event.slot,
        payload: { block, level, index, prover, proofHash: submission.proofHash, reason: judgement.reason },
      };
      return { context, drafts: [asDraft(rejected)] };
    }
    case "accept": {
      if (tree?.phase !== "proving") return unchanged(context);
      const next = withNode(tree, level, index, { type: "node.accept", prover, proofHash: judgement.proofHash, record: judgement.record, at: event.time });
      const accepted: OutputDraft<"ProofAccepted"> = {
        type: "ProofAccepted",
        correlationId,
        slot: event.slot,
        payload: { block, level, index, prover, proofHash: judgement.proofHash },
      };
      return settle(context, block, next, event, [asDraft(accepted)]);
    }
    default:
      return absurd(judgement);
  }
};

/** The decision an input event calls for. */
const decide = (context: AggregatorContext, event: ProtocolEvent): Decision => {
  switch (event.type) {
    case "BlockProposed":
      return onBlockProposed(context, event);
    case "BeaconRound":
      return onBeaconRound(context, event);
    case "ProverRegistered":
      return onProverRegistered(context, event);
    case "StakeChanged":
      return onStakeChanged(context, event);
    case "ProofSubmitted":
      return onProofSubmitted(context, event);
    // Its own outputs, read back: they only settle the outbox (see foldInput).
    case "NodeAssigned":
    case "ProofAccepted":
    case "ProofRejected":
    case "RootProofSubmitted":
    case "SubmitRoot":
      return unchanged(context);
    // The failure path (deadlines, takeovers, receipts, slashes, reorgs) folds these later.
    case "NodeDeadlineMissed":
    case "TakeoverOpened":
    case "ProofReceiptPosted":
    case "BlockFinalized":
    case "BlockReorgedOut":
    case "RewardPaid":
    case "ProverSlashed":
    case "UncleRewardPaid":
    case "ProverEjected":
    case "FaultInjected":
    case "FaultHealed":
    case "RegisterProver":
    case "DepositStake":
    case "Unbond":
    case "PostReceipt":
    case "ClaimUncle":
      return unchanged(context);
    default:
      return absurd(event);
  }
};

/** Its own output types: read back from proving.assignments and l1.transactions. */
export const ownOutputTypes: ReadonlySet<ProtocolEvent["type"]> = new Set(["NodeAssigned", "ProofAccepted", "ProofRejected", "RootProofSubmitted", "SubmitRoot"]);

/** Folds one consumed event: the aggregator's whole decision logic, and the outbox's bookkeeping. */
export const foldInput = (context: AggregatorContext, event: ProtocolEvent): Decision => {
  if (ownOutputTypes.has(event.type)) return { context: { ...context, outbox: readBack(context.outbox, event) }, drafts: [] };
  const decision = decide(context, event);
  if (decision.drafts.length === 0) return decision;
  return { context: { ...decision.context, outbox: decided(decision.context.outbox, decision.drafts) }, drafts: decision.drafts };
};

/** Outputs decided but never published (the aggregator was down, or stopped mid-step): what `host.started` publishes. */
export const unpublishedOutputs = (context: AggregatorContext): readonly OutputDraft[] => unpublished(context.outbox);

/** The event types `foldInput` acts on; the host folds no others. */
export const foldedTypes: ReadonlySet<ProtocolEvent["type"]> = new Set([
  "BlockProposed",
  "BeaconRound",
  "ProverRegistered",
  "StakeChanged",
  "ProofSubmitted",
  ...ownOutputTypes,
]);

const absurd = (value: never): never => {
  throw new Error(`unexpected ${JSON.stringify(value)}`);
};
