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
import { decided, readBack, settled, unpublished, type Outbox } from "./outbox.ts";
import { applyFact, decideDeadline, type DeadlineFired } from "./takeover.ts";
import { advanceTree, asDraft, nodeOf, openTree, withNode, type BlockTree, type ProvingBlock } from "./tree-state.ts";
import { judgeProof, type RegisteredProver } from "./verify.ts";

// The aggregator's decisions as one pure fold: (context, consumed event) -> (context, output
// drafts). The XState machine (machine.ts) calls it for every `input` event and every fired
// deadline; the unit tests call it through the machine's `transition`. Decisions depend on the
// protocol's inputs (blocks, rounds, registry, ejections, reorgs, proofs) and on the deadlines
// that fired; its own outputs read back only settle the outbox, except the record of a fired
// deadline (NodeDeadlineMissed, TakeoverOpened), which a replay folds in place of the timer
// (see takeover.ts). Proofs are judged by their own time, so a replay, in whatever order
// equal times put the topics, decides exactly what the live run decided.

/** What the aggregator needs of the network; the machine's input. */
export interface AggregatorInput {
  readonly params: ProtocolParams;
  /** Start of slot 0, ms: the slot of what a fired deadline publishes. */
  readonly genesisMs: number;
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
  /** Ejected provers (ProverEjected): the epoch from which they are out of every eligible set. */
  readonly ejected: Readonly<Record<string, number>>;
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

export const initialContext = (input: AggregatorInput): AggregatorContext => ({ config: input, registry: {}, ejected: {}, rounds: {}, blocks: {}, outbox: {} });

const unchanged = (context: AggregatorContext): Decision => ({ context, drafts: [] });

/**
 * The eligible set of a block proposed in `slot`: registered provers with at least the
 * minimum stake, registered no later than the first slot of the block's epoch, and not
 * ejected in an epoch up to the block's.
 */
export const eligibleSet = (context: AggregatorContext, slot: number): readonly EligibleProver[] => {
  const { params } = context.config;
  const epoch = epochOf(params, slot as Slot);
  const start = epochStartSlot(params, epoch);
  return Object.entries(context.registry)
    .filter(([prover, p]) => p.stake >= params.minimumStake && p.registeredSlot <= start && (context.ejected[prover] ?? Number.POSITIVE_INFINITY) > epoch)
    .map(([prover, p]) => ({ prover: prover as ProverId, stake: p.stake }));
};

/** Opens a pending block's tree once its round and an eligible set are in; otherwise keeps it waiting. */
const tryOpen = (context: AggregatorContext, block: string, trigger: { readonly slot: number }): Decision => {
  const pending = context.blocks[block];
  if (pending?.phase !== "pending") return unchanged(context);
  const roundKey = String(pending.slot + 1);
  const round = context.rounds[roundKey];
  if (round === undefined) return unchanged(context);
  const eligible = eligibleSet(context, pending.slot);
  const assignment = assignTreeVrf({
    randomness: round.randomness,
    eligible,
    block: Number(block) as BlockNumber,
    txCount: pending.txCount as TxCount,
    weighting: context.config.params.weighting,
  });
  // An empty eligible set (or zero stake) keeps the block waiting for the registry.
  if (Either.isLeft(assignment)) return unchanged(context);
  // Assigned when both block and round are out, whichever came last and whatever the registry
  // did meanwhile: the same inputs give the same deadlines in any order of arrival.
  const now = Math.max(pending.time, round.time);
  const ids = eligible.map((p) => p.prover);
  const opened = openTree(Number(block), pending, assignment.right, ids, context.config.params, now, Math.max(trigger.slot, pending.slot));
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

const onProverEjected = (context: AggregatorContext, event: EventOf<"ProverEjected">): Decision => {
  const { prover, epoch } = event.payload;
  const known = context.ejected[prover];
  if (known !== undefined && known <= epoch) return unchanged(context);
  // Only eligible sets taken from now on change: trees already assigned keep theirs.
  return unchanged({ ...context, ejected: { ...context.ejected, [prover]: epoch } });
};

const onBlockReorgedOut = (context: AggregatorContext, event: EventOf<"BlockReorgedOut">): Decision => {
  const { block } = event.payload;
  if (context.blocks[String(block)]?.phase === "reorged") return unchanged(context);
  // Its deadlines stop (the machine cancels them) and no takeover follows; a block not seen
  // yet is marked too, so that it is never opened.
  return unchanged(withTree(context, block, { phase: "reorged" }));
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
    case "ProverEjected":
      return onProverEjected(context, event);
    case "BlockReorgedOut":
      return onBlockReorgedOut(context, event);
    // Its own outputs, read back: foldInput handles them (see readBackOwn).
    case "NodeAssigned":
    case "NodeDeadlineMissed":
    case "TakeoverOpened":
    case "ProofAccepted":
    case "ProofRejected":
    case "RootProofSubmitted":
    case "SubmitRoot":
      return unchanged(context);
    // Not the aggregator's business: receipts and money are l1-settlement's, faults the provers'.
    case "ProofReceiptPosted":
    case "BlockFinalized":
    case "RewardPaid":
    case "ProverSlashed":
    case "UncleRewardPaid":
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
export const ownOutputTypes: ReadonlySet<ProtocolEvent["type"]> = new Set([
  "NodeAssigned",
  "NodeDeadlineMissed",
  "TakeoverOpened",
  "ProofAccepted",
  "ProofRejected",
  "RootProofSubmitted",
  "SubmitRoot",
]);

/**
 * Whether an output read back records a fired deadline: a miss, a takeover, or the NodeAssigned
 * of a taker (any but the assignee's; or one whose block is no longer being proven, where only
 * a decision of this life can be waiting for it).
 */
const recordsDeadline = (context: AggregatorContext, event: ProtocolEvent): boolean => {
  if (event.type === "NodeDeadlineMissed" || event.type === "TakeoverOpened") return true;
  if (event.type !== "NodeAssigned") return false;
  const { block, level, index, prover } = event.payload;
  const tree = context.blocks[String(block)];
  return tree?.phase !== "proving" || nodeOf(tree, level, index)?.assignee !== prover;
};

/**
 * One of its own outputs read back. Most only settle the outbox: a decision counts +1 under its
 * output's identity, the output read back −1. The record of a fired deadline is also folded
 * into the tree (idempotent: live it was applied when decided), and counts −1 only against a
 * decision of this life (see outbox.ts `settled`).
 */
const readBackOwn = (context: AggregatorContext, event: ProtocolEvent): AggregatorContext => {
  if (!recordsDeadline(context, event)) return { ...context, outbox: readBack(context.outbox, event) };
  const outbox = settled(context.outbox, event);
  if (event.type !== "NodeDeadlineMissed" && event.type !== "TakeoverOpened") return { ...context, outbox };
  const block = event.payload.block;
  const tree = context.blocks[String(block)];
  if (tree?.phase !== "proving") return { ...context, outbox };
  const next = applyFact(tree, event, context.config.params);
  return { ...(next === tree ? context : withTree(context, block, next)), outbox };
};

/** Counts a decision's outputs in the outbox. */
const counted = (decision: Decision): Decision =>
  decision.drafts.length === 0 ? decision : { context: { ...decision.context, outbox: decided(decision.context.outbox, decision.drafts) }, drafts: decision.drafts };

/** Folds one consumed event: the aggregator's whole decision logic, and the outbox's bookkeeping. */
export const foldInput = (context: AggregatorContext, event: ProtocolEvent): Decision => {
  if (ownOutputTypes.has(event.type)) return { context: readBackOwn(context, event), drafts: [] };
  return counted(decide(context, event));
};

/** The slot a time falls in (0 before genesis). */
const slotAt = (config: AggregatorInput, time: number): number => Math.max(0, Math.floor((time - config.genesisMs) / config.params.slotMs));

/**
 * A node's deadline fired (see takeover.ts): the miss, the next step of the takeover chain and
 * the taker's NodeAssigned, or nothing when the timer is stale (the node was accepted, taken
 * over or opened since, or its block was submitted or reorged out).
 */
export const foldDeadline = (context: AggregatorContext, fired: DeadlineFired): Decision => {
  const tree = context.blocks[String(fired.block)];
  if (tree?.phase !== "proving") return unchanged(context);
  const step = decideDeadline(fired.block, tree, fired, context.config.params, slotAt(context.config, fired.at));
  if (step === undefined) return unchanged(context);
  return counted({ context: withTree(context, fired.block, step.tree), drafts: step.drafts });
};

/** Outputs decided but never published (the aggregator was down, or stopped mid-step): what `host.started` publishes. */
export const unpublishedOutputs = (context: AggregatorContext): readonly OutputDraft[] => unpublished(context.outbox);

/** The event types `foldInput` acts on; the host folds no others. */
export const foldedTypes: ReadonlySet<ProtocolEvent["type"]> = new Set([
  "BlockProposed",
  "BeaconRound",
  "ProverRegistered",
  "StakeChanged",
  "ProverEjected",
  "BlockReorgedOut",
  "ProofSubmitted",
  ...ownOutputTypes,
]);

const absurd = (value: never): never => {
  throw new Error(`unexpected ${JSON.stringify(value)}`);
};
