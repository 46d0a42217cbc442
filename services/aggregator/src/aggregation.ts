import { Either } from "effect";
import { setEntry, type OutputDraft } from "@zk-testnet/actors";
import { assignTreeVrf, epochOf, type EligibleProver, type ProtocolParams } from "@zk-testnet/mechanisms";
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
import type { BeaconSchemeId } from "@zk-testnet/crypto";
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
  /** The beacon's public key (hex) in its scheme, derived from the network seed. */
  readonly beaconPublicKey: string;
  /** The scheme the beacon signs in; absent: drand's bls-unchained-g1-rfc9380 (a compressed G2 key). */
  readonly beaconScheme?: BeaconSchemeId;
}

/** A verified beacon round that no block has used yet. */
export interface PendingRound {
  readonly randomness: Hash;
  /** When it was published (its event's time), ms. */
  readonly time: number;
}

export interface AggregatorContext {
  readonly config: AggregatorInput;
  /** Registered provers by id, from ProverRegistered and StakeChanged; updated with `setEntry` (structure shared). */
  readonly registry: Readonly<Record<string, RegisteredProver>>;
  /** Ejected provers (ProverEjected): the epoch from which they are out of every eligible set. */
  readonly ejected: Readonly<Record<string, number>>;
  /** The eligible set of each epoch the L1 started (EpochStarted), with when: the registry as of the epoch's start. */
  readonly epochs: Readonly<Record<string, EpochSet>>;
  /** Verified rounds waiting for their block (block of slot s uses round s + 1), by round. */
  readonly rounds: Readonly<Record<string, PendingRound>>;
  /** Every block seen, by block number. */
  readonly blocks: Readonly<Record<string, BlockTree>>;
  /** Decided outputs not read back from the log yet (see outbox.ts). */
  readonly outbox: Outbox;
  /**
   * The griefing fault in force (FaultInjected { grief } on the aggregator): the provers whose
   * valid proofs it drops ("*": everyone's). Empty when it is honest.
   */
  readonly griefing: readonly string[];
}

/** An epoch's eligible set, fixed when the L1 started the epoch. */
export interface EpochSet {
  readonly eligible: readonly EligibleProver[];
  /** When the L1 started it (its EpochStarted's time), ms. */
  readonly time: number;
}

/** A fold step: the context after the event and what it publishes. */
export interface Decision {
  readonly context: AggregatorContext;
  readonly drafts: readonly OutputDraft[];
}

export const initialContext = (input: AggregatorInput): AggregatorContext => ({ config: input, registry: {}, ejected: {}, epochs: {}, rounds: {}, blocks: {}, outbox: {}, griefing: [] });

const unchanged = (context: AggregatorContext): Decision => ({ context, drafts: [] });

/**
 * The eligible set of an epoch as the registry stands: registered provers with at least the
 * minimum stake, not ejected in an epoch up to it. Taken when the L1 starts the epoch
 * (EpochStarted), after every registry event of the L1 before it and none after.
 */
export const registryEligible = (context: AggregatorContext, epoch: number): readonly EligibleProver[] => {
  const { params } = context.config;
  return Object.entries(context.registry)
    .filter(([prover, p]) => p.stake >= params.minimumStake && (context.ejected[prover] ?? Number.POSITIVE_INFINITY) > epoch)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([prover, p]) => ({ prover: prover as ProverId, stake: p.stake }));
};

/** The eligible set of a block proposed in `slot`: its epoch's, once the L1 has started that epoch. */
export const eligibleSet = (context: AggregatorContext, slot: number): readonly EligibleProver[] | undefined =>
  context.epochs[String(epochOf(context.config.params, slot as Slot))]?.eligible;

/** Opens a pending block's tree once its round and its epoch's eligible set are in; otherwise keeps it waiting. */
const tryOpen = (context: AggregatorContext, block: string, trigger: { readonly slot: number }, clock: number): Decision => {
  const pending = context.blocks[block];
  if (pending?.phase !== "pending") return unchanged(context);
  const roundKey = String(pending.slot + 1);
  const round = context.rounds[roundKey];
  if (round === undefined) return unchanged(context);
  const epoch = context.epochs[String(epochOf(context.config.params, pending.slot as Slot))];
  if (epoch === undefined) return unchanged(context);
  const eligible = epoch.eligible;
  const assignment = assignTreeVrf({
    randomness: round.randomness,
    eligible,
    block: Number(block) as BlockNumber,
    txCount: pending.txCount as TxCount,
    weighting: context.config.params.weighting,
  });
  // An empty eligible set (or zero stake) cannot be assigned: the block waits for its window to close.
  if (Either.isLeft(assignment)) return unchanged(context);
  // Assigned when block, round and epoch are all out, whichever came last: the same inputs
  // give the same tree in any order of arrival. Live, the deadlines run from when the
  // aggregator itself learns of them if that is later (`clock`: its Clock, 0 in a replay,
  // which reads the deadline back from its NodeAssigned instead).
  const at = Math.max(pending.time, round.time, epoch.time);
  const ids = eligible.map((p) => p.prover);
  const opened = openTree(Number(block), pending, assignment.right, ids, context.config.params, at, Math.max(trigger.slot, pending.slot), clock);
  const { [roundKey]: _used, ...rounds } = context.rounds;
  return { context: { ...context, rounds, blocks: { ...context.blocks, [block]: opened.tree } }, drafts: opened.drafts };
};

/** Retries every waiting block (in block order), e.g. after the registry changed. */
const retryPending = (context: AggregatorContext, trigger: { readonly slot: number }, clock: number, slot?: number): Decision => {
  let current = context;
  const drafts: OutputDraft[] = [];
  for (const [block, tree] of Object.entries(context.blocks)) {
    if (tree.phase !== "pending" || (slot !== undefined && tree.slot !== slot)) continue;
    const step = tryOpen(current, block, trigger, clock);
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
const settle = (context: AggregatorContext, block: number, tree: ProvingBlock, event: ProtocolEvent, drafts: readonly OutputDraft[], clock: number): Decision => {
  const step = advanceTree(block, tree, context.config.params, event.slot, clock);
  return { context: withTree(context, block, step.tree), drafts: [...drafts, ...step.drafts] };
};

const onBlockProposed = (context: AggregatorContext, event: EventOf<"BlockProposed">, clock: number): Decision => {
  const { block, slot, txCount, txHashes } = event.payload;
  // A block is folded once; one whose hashes do not match its count cannot be proven.
  if (context.blocks[String(block)] !== undefined || txHashes.length !== txCount) return unchanged(context);
  const pending: BlockTree = { phase: "pending", slot, txCount, txHashes, time: event.time };
  return tryOpen(withTree(context, block, pending), String(block), event, clock);
};

const onBeaconRound = (context: AggregatorContext, event: EventOf<"BeaconRound">, clock: number): Decision => {
  const { round, randomness } = event.payload;
  if (round === 0 || context.rounds[String(round)] !== undefined) return unchanged(context);
  // A round that does not verify under the beacon's key is ignored: a valid one may follow.
  if (!isValidRound(context.config, event.payload)) return unchanged(context);
  const withRound = { ...context, rounds: { ...context.rounds, [String(round)]: { randomness, time: event.time } } };
  return retryPending(withRound, event, clock, round - 1);
};

const onProverRegistered = (context: AggregatorContext, event: EventOf<"ProverRegistered">): Decision => {
  const { prover, stake, publicKey } = event.payload;
  if (context.registry[prover] !== undefined) return unchanged(context);
  // Eligibility changes only at the next EpochStarted; the key serves proofs at once.
  return unchanged({ ...context, registry: setEntry(context.registry, prover, { publicKey, stake, registeredSlot: event.slot }) });
};

const onStakeChanged = (context: AggregatorContext, event: EventOf<"StakeChanged">): Decision => {
  const { prover, stake } = event.payload;
  const registered = context.registry[prover];
  if (registered === undefined || registered.stake === stake) return unchanged(context);
  return unchanged({ ...context, registry: setEntry(context.registry, prover, { ...registered, stake }) });
};

const onEpochStarted = (context: AggregatorContext, event: EventOf<"EpochStarted">, clock: number): Decision => {
  const { epoch } = event.payload;
  if (context.epochs[String(epoch)] !== undefined) return unchanged(context);
  const epochs = { ...context.epochs, [String(epoch)]: { eligible: registryEligible(context, epoch), time: event.time } };
  return retryPending({ ...context, epochs }, event, clock);
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

/** Whether a griefing aggregator drops this prover's proofs. */
const griefs = (context: AggregatorContext, prover: string): boolean =>
  context.griefing.includes("*") || context.griefing.includes(prover);

/** A fault on the aggregator itself: `grief` (drop valid proofs of `params.prover`, or of everyone) until healed. */
const onFault = (context: AggregatorContext, event: EventOf<"FaultInjected"> | EventOf<"FaultHealed">): Decision => {
  if (event.payload.target !== "aggregator" || event.payload.fault !== "grief") return unchanged(context);
  if (event.type === "FaultHealed") return unchanged({ ...context, griefing: [] });
  const victim = event.payload.params["prover"] ?? "*";
  return unchanged({ ...context, griefing: [...new Set([...context.griefing, victim])].sort() });
};

const onProofSubmitted = (context: AggregatorContext, event: EventOf<"ProofSubmitted">, clock: number): Decision => {
  const submission = event.payload;
  const { block, level, index, prover } = submission;
  const tree = context.blocks[String(block)];
  const judgement = judgeProof({ registry: context.registry, tree, submission, time: event.time, params: context.config.params });
  // Griefing: a valid proof is dropped as if it never came (no verdict); the prover's receipt is its defence.
  if (judgement.verdict === "accept" && griefs(context, prover)) return unchanged(context);
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
      return settle(context, block, next, event, [asDraft(accepted)], clock);
    }
    default:
      return absurd(judgement);
  }
};

/** The decision an input event calls for; `clock` is the aggregator's Clock when it decides live (0 in a replay). */
const decide = (context: AggregatorContext, event: ProtocolEvent, clock: number): Decision => {
  switch (event.type) {
    case "BlockProposed":
      return onBlockProposed(context, event, clock);
    case "BeaconRound":
      return onBeaconRound(context, event, clock);
    case "ProverRegistered":
      return onProverRegistered(context, event);
    case "StakeChanged":
      return onStakeChanged(context, event);
    case "ProofSubmitted":
      return onProofSubmitted(context, event, clock);
    case "ProverEjected":
      return onProverEjected(context, event);
    case "EpochStarted":
      return onEpochStarted(context, event, clock);
    case "FaultInjected":
    case "FaultHealed":
      return onFault(context, event);
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
    // Not the aggregator's business: receipts and money are l1-settlement's (faults on the aggregator itself are folded above).
    case "ProofReceiptPosted":
    case "BlockFinalized":
    case "RewardPaid":
    case "ProverSlashed":
    case "UncleRewardPaid":
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
  if (!recordsDeadline(context, event)) return retimed({ ...context, outbox: readBack(context.outbox, event) }, event);
  const outbox = settled(context.outbox, event);
  if (event.type !== "NodeDeadlineMissed" && event.type !== "TakeoverOpened") return { ...context, outbox };
  const block = event.payload.block;
  const tree = context.blocks[String(block)];
  if (tree?.phase !== "proving") return { ...context, outbox };
  const next = applyFact(tree, event, context.config.params);
  return { ...(next === tree ? context : withTree(context, block, next)), outbox };
};

/**
 * A first hand-out read back: its recorded deadline is the one that counts. Live it is the one
 * decided; a replay, which has no Clock, decided it from the inputs' times and takes it from here.
 */
const retimed = (context: AggregatorContext, event: ProtocolEvent): AggregatorContext => {
  if (event.type !== "NodeAssigned") return context;
  const { block, level, index, prover, deadline } = event.payload;
  const tree = context.blocks[String(block)];
  if (tree?.phase !== "proving") return context;
  const next = withNode(tree, level, index, { type: "node.retime", prover, deadline });
  return next === tree ? context : withTree(context, block, next);
};

/** Counts a decision's outputs in the outbox. */
const counted = (decision: Decision): Decision =>
  decision.drafts.length === 0 ? decision : { context: { ...decision.context, outbox: decided(decision.context.outbox, decision.drafts) }, drafts: decision.drafts };

/**
 * Folds one consumed event: the aggregator's whole decision logic, and the outbox's bookkeeping.
 * `clock` is its Clock when it handles the event live (0 in a replay): nothing is handed out before it.
 */
export const foldInput = (context: AggregatorContext, event: ProtocolEvent, clock = 0): Decision => {
  if (ownOutputTypes.has(event.type)) return { context: readBackOwn(context, event), drafts: [] };
  return counted(decide(context, event, clock));
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
  "EpochStarted",
  "BlockReorgedOut",
  "ProofSubmitted",
  "FaultInjected",
  "FaultHealed",
  ...ownOutputTypes,
]);

const absurd = (value: never): never => {
  throw new Error(`unexpected ${JSON.stringify(value)}`);
};
