import { Either } from "effect";
import { enqueueActions, setup } from "xstate";
import { setEntry, type CancelParams, type HostActorFailed, type HostInput, type HostPublishFailed, type HostRepublish, type HostStarted, type OutputDraft, type PublishParams, REPUBLISH_AFTER_MS, republishLater, type RepublishParams, type RunParams, type ScheduleParams } from "@zk-testnet/actors";
import { blockPayout, epochOf, epochStartSlot, provingWindowSlots, slashForFault, splitBlockReward, splitSlash, uncleReward } from "@zk-testnet/mechanisms";
import { slotAt, type NetworkConfig } from "@zk-testnet/network";
import {
  blockCorrelationId,
  type BlockNumber,
  type Epoch,
  type EventId,
  type EventOf,
  type EventType,
  type Hash,
  type Level,
  type NodeIndex,
  type PayloadOf,
  type ProtocolEvent,
  type ProverId,
  type PublicKey,
  type RejectionReason,
  type Slot,
  type SlashReason,
  type TxCount,
} from "@zk-testnet/protocol";
import { addProof, addReceipt, assign, bookOf, deadlineOf, hasReceiptBy, nodeKey, withBook, type BlockBooks } from "./evidence.ts";
import { bond, burnStake, genesisLedger, mintTo, releaseEscrow, returnStake, stakeOf, takeStake, type Ledger } from "./ledger.ts";
import { verifyProofTree, type TreeDefect } from "./proof-tree.ts";

export { checkLedger, type Ledger } from "./ledger.ts";
export type { BlockBooks, NodeBook, Receipt, SeenProof } from "./evidence.ts";

// The mock L1: applies the transactions of l1.transactions in order and says what it did on
// l1.events. Its state is a fold of its inputs (proposed blocks, the aggregator's statements on
// proving.assignments, transactions), plus the one decision a timer makes: a block reorged out
// at the end of its proving window. That one it reads back from l1.events (BlockReorgedOut),
// so a replay rebuilds the state exactly; host.started re-arms the window of every block
// still pending.

export interface Registration {
  readonly publicKey: PublicKey;
  readonly slot: Slot;
}

/** A proposed block the L1 has not finalized (or reorged out) yet: what its proof tree is checked against. */
export interface ProposedBlock {
  readonly block: BlockNumber;
  readonly slot: Slot;
  readonly time: number;
  readonly txHashes: readonly Hash[];
  readonly fees: bigint;
}

/** A SubmitRoot transaction, kept while its block is not known yet. */
export interface RootSubmission {
  readonly txId: EventId;
  readonly time: number;
  readonly root: PayloadOf<"SubmitRoot">;
}

/** A refused SubmitRoot and why. */
export interface RootRejection extends TreeDefect {
  readonly block: BlockNumber;
  readonly proofHash: Hash;
  readonly txId: EventId;
}

export interface FinalizedBlock {
  readonly slot: Slot;
  readonly proofHash: Hash;
  /** What its producers were paid, in total. */
  readonly paid: bigint;
}

/** A node of a finalized tree: who produced it, its share of the payout, and whether that share was paid. */
export interface SettledNode {
  readonly prover: ProverId;
  readonly reward: bigint;
  /** Produced by someone other than the node's first assignee. */
  readonly takeover: boolean;
  /** False for a takeover node while `takeoverPaid` is off: its reward was withheld (never minted). */
  readonly paid: boolean;
}

/** A missed-deadline slash in escrow until its block is finalized (bounty and burn) or reorged out (all burned). */
export interface HeldSlash {
  readonly prover: ProverId;
  readonly amount: bigint;
  readonly level: Level;
  readonly index: NodeIndex;
  /** The deadline the prover missed: a receipt of it from before then, read later, releases the slash. */
  readonly deadline: number;
  /** The NodeDeadlineMissed it follows. */
  readonly evidence: readonly EventId[];
}

export interface L1Context {
  readonly network: NetworkConfig;
  readonly ledger: Ledger;
  /** By prover; updated with `setEntry` (structure shared: registering N provers is not quadratic). */
  readonly registry: Readonly<Record<string, Registration>>;
  /** Proposed and neither finalized nor reorged out yet, by block number. */
  readonly blocks: Readonly<Record<string, ProposedBlock>>;
  /** Submissions waiting for their block's BlockProposed, by block number, in arrival order. */
  readonly waiting: Readonly<Record<string, readonly RootSubmission[]>>;
  /** By block number: a block is finalized (and paid) at most once. */
  readonly finalized: Readonly<Record<string, FinalizedBlock>>;
  readonly rejections: readonly RootRejection[];
  /** By block number, then `level/index`: assignments, deadlines, receipts and judged proofs of each node. */
  readonly books: Readonly<Record<string, BlockBooks>>;
  /** The escrow: missed-deadline slashes by block number, until the block is settled. */
  readonly held: Readonly<Record<string, readonly HeldSlash[]>>;
  /** Every fault slashed, by `reason:prover:block/level/index`, with its amount: a fault is slashed once. */
  readonly slashes: Readonly<Record<string, bigint>>;
  /** The nodes of each finalized block, by block number then `level/index`. */
  readonly trees: Readonly<Record<string, Readonly<Record<string, SettledNode>>>>;
  /** Uncle rewards paid, by `prover:block/level/index`: at most one per prover and node. */
  readonly uncles: Readonly<Record<string, bigint>>;
  /** Blocks reorged out at the end of their proving window, by block number: never finalized afterwards. */
  readonly reorged: Readonly<Record<string, { readonly slot: Slot }>>;
  /** Provers ejected for a stake below the minimum, with the epoch they were ejected at. */
  readonly ejected: Readonly<Record<string, Epoch>>;
  /** The epoch of the latest input (-1 before genesis): the boundary into a later one checks every stake and closes the registry. */
  readonly epoch: number;
}

export interface L1Input {
  readonly network: NetworkConfig;
}

/** The `window:<b>` timer: block b's proving window is over. */
export interface WindowClosed {
  readonly type: "windowClosed";
  readonly block: BlockNumber;
  /** The end of the window, ms: the decision's time. */
  readonly at: number;
}

export type L1Event = HostInput<ProtocolEvent> | HostStarted | HostActorFailed | HostPublishFailed | HostRepublish | WindowClosed | { readonly type: "rejectionReported" };

/**
 * The types of protocol events the L1 folds: the transactions sent to it, the blocks, the
 * aggregator's statements it takes as evidence, and its own BlockReorgedOut read back.
 */
export const isFolded = (event: ProtocolEvent): boolean =>
  event.type === "BlockProposed" ||
  event.type === "RegisterProver" ||
  event.type === "DepositStake" ||
  event.type === "Unbond" ||
  event.type === "SubmitRoot" ||
  event.type === "PostReceipt" ||
  event.type === "ClaimUncle" ||
  event.type === "NodeAssigned" ||
  event.type === "NodeDeadlineMissed" ||
  event.type === "TakeoverOpened" ||
  event.type === "ProofAccepted" ||
  event.type === "ProofRejected" ||
  event.type === "BlockReorgedOut";

type L1Action =
  | { readonly type: "publish"; readonly params: PublishParams }
  | { readonly type: "run"; readonly params: RunParams }
  | { readonly type: "schedule"; readonly params: ScheduleParams<WindowClosed> }
  | { readonly type: "cancel"; readonly params: CancelParams };

export interface L1Step {
  readonly context: L1Context;
  readonly actions: readonly L1Action[];
}

const unchanged = (context: L1Context): L1Step => ({ context, actions: [] });

/** An output draft of any one event type. */
type Draft = { readonly [T in EventType]: OutputDraft<T> }[EventType];

const publish = (events: readonly Draft[]): readonly L1Action[] =>
  events.length === 0 ? [] : [{ type: "publish", params: { events: events as readonly OutputDraft[] } }];

const slotOf = (network: NetworkConfig, time: number): Slot => Math.max(0, slotAt(network, time)) as Slot;

/** The end of a block's proving window: its proposal time + provingWindowEpochs × epochSlots × slotMs. */
export const windowEndOf = (network: NetworkConfig, block: Pick<ProposedBlock, "time">): number =>
  block.time + provingWindowSlots(network.params) * network.params.slotMs;

export const windowTimerId = (block: number): string => `window:${block}`;

const windowTimer = (network: NetworkConfig, block: ProposedBlock): L1Action => {
  const at = windowEndOf(network, block);
  return { type: "schedule", params: { id: windowTimerId(block.block), at, event: { type: "windowClosed", block: block.block, at } } };
};

const faultKey = (reason: SlashReason, prover: string, node: { readonly block: number; readonly level: number; readonly index: number }): string =>
  `${reason}:${prover}:${node.block}/${node.level}/${node.index}`;

export const initialContext = (input: L1Input): L1Context => ({
  network: input.network,
  ledger: genesisLedger(input.network.provers),
  registry: {},
  blocks: {},
  waiting: {},
  finalized: {},
  rejections: [],
  books: {},
  held: {},
  slashes: {},
  trees: {},
  uncles: {},
  reorged: {},
  ejected: {},
  epoch: -1,
});

const stakeChanged = (ledger: Ledger, prover: ProverId, delta: bigint, correlationId: string, slot: Slot, reason: "slash" | "release" = "slash"): OutputDraft<"StakeChanged"> => ({
  type: "StakeChanged",
  correlationId,
  slot,
  payload: { prover, stake: stakeOf(ledger, prover), delta, reason },
});

/** Applies steps one after the other, gathering their actions. */
const chain = (context: L1Context, steps: readonly ((context: L1Context) => L1Step)[]): L1Step =>
  steps.reduce<L1Step>((done, next) => {
    const step = next(done.context);
    return { context: step.context, actions: [...done.actions, ...step.actions] };
  }, unchanged(context));

/**
 * RegisterProver: bond the stake from the prover's balance and record its key. A prover
 * already registered, or one whose balance cannot cover the stake, is ignored (no event).
 */
const onRegister = (context: L1Context, tx: EventOf<"RegisterProver">): L1Step => {
  const { prover, publicKey, stake } = tx.payload;
  if (context.registry[prover] !== undefined) return unchanged(context);
  const ledger = bond(context.ledger, prover, stake);
  if (ledger === undefined) return unchanged(context);
  const slot = slotOf(context.network, tx.time);
  const events = [
    { type: "ProverRegistered", correlationId: tx.correlationId, slot, payload: { prover, stake, publicKey } } satisfies OutputDraft<"ProverRegistered">,
    {
      type: "StakeChanged",
      correlationId: tx.correlationId,
      slot,
      payload: { prover, stake: stakeOf(ledger, prover), delta: stake, reason: "deposit" },
    } satisfies OutputDraft<"StakeChanged">,
  ];
  return {
    context: { ...context, ledger, registry: setEntry(context.registry, prover, { publicKey, slot }) },
    actions: publish(events),
  };
};

/**
 * Settles missed-deadline slashes of a block that is now finalized or reorged out: for each,
 * bountyBps to the node's producer when that is another prover (a finalized block only), the
 * rest burned, told by one ProverSlashed (with `bounty` when there is a taker). The caller
 * has taken the amounts out of escrow (or never put them there).
 */
const settleHeld = (context: L1Context, block: BlockNumber, entries: readonly HeldSlash[], slot: Slot): { readonly ledger: Ledger; readonly events: readonly Draft[] } => {
  const tree = context.trees[String(block)];
  let ledger = context.ledger;
  const events: Draft[] = [];
  for (const entry of entries) {
    const producer = tree?.[nodeKey(entry)]?.prover;
    const taker = producer !== undefined && producer !== entry.prover ? producer : undefined;
    const { bounty } = splitSlash(entry.amount, context.network.params, taker !== undefined);
    ledger = releaseEscrow(ledger, entry.amount, taker === undefined ? undefined : { prover: taker, amount: bounty });
    events.push({
      type: "ProverSlashed",
      correlationId: blockCorrelationId(block),
      slot,
      payload: {
        prover: entry.prover,
        amount: entry.amount,
        reason: "missed",
        block,
        level: entry.level,
        index: entry.index,
        evidence: entry.evidence,
        ...(taker === undefined ? {} : { bounty: { prover: taker, amount: bounty } }),
      },
    } satisfies OutputDraft<"ProverSlashed">);
  }
  return { ledger, events };
};

/**
 * Verifies a submitted tree against its known block: finalize and pay, or refuse. The
 * decision's time is the later of the block's and the submission's, so the order they
 * arrived in does not change it. A submission at or after the end of the block's proving
 * window is ignored (the block is, or is about to be, reorged out).
 */
const settleRoot = (context: L1Context, block: ProposedBlock, submission: RootSubmission): L1Step => {
  if (submission.time >= windowEndOf(context.network, block)) return unchanged(context);
  const { root } = submission;
  const key = String(block.block);
  const verdict = verifyProofTree({
    block: block.block,
    txHashes: block.txHashes,
    rootProofHash: root.proofHash,
    contributors: root.contributors,
    proofs: root.proofs,
    publicKeyOf: (prover: ProverId) => context.registry[prover]?.publicKey,
  });
  // A node produced by anyone but its first assignee is a takeover; with no assignment on
  // record (no evidence), the producer counts as the assignee.
  const books = context.books[key] ?? {};
  const split = Either.flatMap(verdict, (tree) =>
    splitBlockReward({
      block: block.block,
      txCount: block.txHashes.length as TxCount,
      amount: blockPayout(block.fees, context.network.params).distributed,
      producers: tree.producers.map((p) => {
        const assignee = books[nodeKey(p)]?.assignee ?? null;
        return { ...p, takeover: assignee !== null && assignee !== p.prover };
      }),
      params: context.network.params,
    }).pipe(Either.mapLeft((): TreeDefect => ({ reason: "incomplete-tree", level: null, index: null, prover: null }))),
  );
  if (Either.isLeft(split)) {
    const rejection: RootRejection = { ...split.left, block: block.block, proofHash: root.proofHash, txId: submission.txId };
    return {
      context: { ...context, rejections: [...context.rejections, rejection] },
      // Logged by an actor so that a replay, which runs no action, does not log it again.
      actions: [{ type: "run", params: { id: `rejected:${submission.txId}`, actor: "reportRejection", input: rejection } }],
    };
  }
  const slot = slotOf(context.network, Math.max(block.time, submission.time));
  const payments = split.right.rewards.filter((r) => r.paid);
  const correlationId = blockCorrelationId(block.block);
  const finalizedEvents = [
    { type: "BlockFinalized", correlationId, slot, payload: { block: block.block, slot } } satisfies OutputDraft<"BlockFinalized">,
    ...payments.map(
      (r) =>
        ({
          type: "RewardPaid",
          correlationId,
          slot,
          payload: { block: block.block, prover: r.prover, amount: r.amount, level: r.node.level, index: r.node.index },
        }) satisfies OutputDraft<"RewardPaid">,
    ),
  ];
  const { [key]: _settled, ...blocks } = context.blocks;
  const { [key]: escrowed = [], ...held } = context.held;
  const tree = Object.fromEntries(
    split.right.rewards.map((r): [string, SettledNode] => [nodeKey(r.node), { prover: r.prover, reward: r.amount, takeover: r.takeover, paid: r.paid }]),
  );
  const paid: L1Context = {
    ...context,
    ledger: mintTo(context.ledger, payments),
    blocks,
    held,
    finalized: { ...context.finalized, [key]: { slot, proofHash: root.proofHash, paid: split.right.paid } },
    trees: { ...context.trees, [key]: tree },
  };
  const slashes = settleHeld(paid, block.block, escrowed, slot);
  return {
    context: { ...paid, ledger: slashes.ledger },
    actions: [...publish([...finalizedEvents, ...slashes.events]), { type: "cancel", params: { id: windowTimerId(block.block) } }],
  };
};

const onSubmitRoot = (context: L1Context, tx: EventOf<"SubmitRoot">): L1Step => {
  const key = String(tx.payload.block);
  // A block is finalized once, and never after it was reorged out: a later SubmitRoot for it changes nothing.
  if (context.finalized[key] !== undefined || context.reorged[key] !== undefined) return unchanged(context);
  const submission: RootSubmission = { txId: tx.id, time: tx.time, root: tx.payload };
  const block = context.blocks[key];
  if (block === undefined) return unchanged({ ...context, waiting: { ...context.waiting, [key]: [...(context.waiting[key] ?? []), submission] } });
  return settleRoot(context, block, submission);
};

const onBlockProposed = (context: L1Context, event: EventOf<"BlockProposed">): L1Step => {
  const key = String(event.payload.block);
  if (context.blocks[key] !== undefined || context.finalized[key] !== undefined || context.reorged[key] !== undefined) return unchanged(context);
  const block: ProposedBlock = { block: event.payload.block, slot: event.payload.slot, time: event.time, txHashes: event.payload.txHashes, fees: event.payload.fees };
  const { [key]: early = [], ...waiting } = context.waiting;
  const known: L1Context = { ...context, blocks: { ...context.blocks, [key]: block }, waiting };
  // The proving window starts now; then the submissions that came before their block, in arrival order, until one finalizes it.
  return chain(known, [
    (c) => ({ context: c, actions: [windowTimer(c.network, block)] }),
    ...early.map((submission) => (c: L1Context) => (c.finalized[key] !== undefined ? unchanged(c) : settleRoot(c, block, submission))),
  ]);
};

/**
 * Drops a pending block: it can never be finalized afterwards, and its escrow is burned (one
 * ProverSlashed each, without bounty). `announce` when the window timer decides it (live);
 * not when folding the BlockReorgedOut that said so before (replay, or its echo).
 */
const reorgOut = (context: L1Context, block: BlockNumber, slot: Slot, announce: boolean): L1Step => {
  const key = String(block);
  if (context.blocks[key] === undefined || context.finalized[key] !== undefined || context.reorged[key] !== undefined) return unchanged(context);
  const { [key]: _dropped, ...blocks } = context.blocks;
  const { [key]: escrowed = [], ...held } = context.held;
  const dropped: L1Context = { ...context, blocks, held, reorged: { ...context.reorged, [key]: { slot } } };
  const slashes = settleHeld(dropped, block, escrowed, slot);
  const reorged: OutputDraft<"BlockReorgedOut"> = { type: "BlockReorgedOut", correlationId: blockCorrelationId(block), slot, payload: { block, slot, reason: "proving-window-expired" } };
  return { context: { ...dropped, ledger: slashes.ledger }, actions: announce ? publish([reorged, ...slashes.events]) : [] };
};

/** The `window:<b>` timer: a block still pending at the end of its proving window is reorged out. */
export const onWindowClosed = (context: L1Context, event: WindowClosed): L1Step =>
  reorgOut(context, event.block, slotOf(context.network, event.at), true);

/** Every timer the state needs: the proving window of each pending block (re-armed on host.started). */
export const pendingTimers = (context: L1Context): readonly L1Action[] => Object.values(context.blocks).map((block) => windowTimer(context.network, block));

/** NodeAssigned: the first one names the node's assignee; each gives its prover's deadline. */
const onNodeAssigned = (context: L1Context, event: EventOf<"NodeAssigned">): L1Step => {
  const { prover, deadline } = event.payload;
  return unchanged({ ...context, books: withBook(context.books, event.payload, (book) => assign(book, prover, deadline)) });
};

/** TakeoverOpened: the taker's deadline, or the open round's when there is no `to`. */
const onTakeoverOpened = (context: L1Context, event: EventOf<"TakeoverOpened">): L1Step => {
  const { from, to, deadline } = event.payload;
  return unchanged({
    ...context,
    books: withBook(context.books, event.payload, (book) => ({
      ...book,
      assignee: book.assignee ?? from,
      deadlines: to === undefined ? book.deadlines : { ...book.deadlines, [to]: deadline },
      openDeadline: to === undefined ? deadline : book.openDeadline,
    })),
  });
};

/**
 * PostReceipt: recorded in the node's book, at the time it was posted. The receipt and the
 * aggregator's NodeDeadlineMissed come on different topics, so a receipt posted before the
 * deadline may be read after the miss (a slow link from its prover): a slash of that miss
 * still in escrow is then given back (StakeChanged, reason release) and the fault forgotten,
 * which leaves the state a replay in time order (receipt first, no slash) rebuilds. A miss
 * whose block was settled already stays slashed.
 */
const onPostReceipt = (context: L1Context, tx: EventOf<"PostReceipt">): L1Step => {
  const { block, level, index, prover, proofHash } = tx.payload;
  const recorded: L1Context = { ...context, books: withBook(context.books, tx.payload, (book) => addReceipt(book, prover, { proofHash, time: tx.time, txId: tx.id })) };
  const blockKey = String(block);
  const entries = recorded.held[blockKey] ?? [];
  const excused = entries.find((e) => e.prover === prover && e.level === level && e.index === index && tx.time < e.deadline);
  if (excused === undefined) return unchanged(recorded);
  const { [faultKey("missed", prover, tx.payload)]: _released, ...slashes } = recorded.slashes;
  const rest = entries.filter((e) => e !== excused);
  const { [blockKey]: _held, ...others } = recorded.held;
  const ledger = returnStake(recorded.ledger, prover, excused.amount);
  const released: L1Context = { ...recorded, ledger, slashes, held: rest.length === 0 ? others : { ...others, [blockKey]: rest } };
  const slot = slotOf(context.network, tx.time);
  return { context: released, actions: publish(excused.amount === 0n ? [] : [stakeChanged(ledger, prover, excused.amount, blockCorrelationId(block), slot, "release")]) };
};

/**
 * NodeDeadlineMissed: slashMissedBps of the prover's stake, once per (prover, node), unless it
 * posted a receipt for the node by the deadline (that millisecond included). The stake moves now
 * (StakeChanged, reason slash) into escrow; ProverSlashed says where it went when the block
 * is settled. A block already settled settles it at once.
 */
const onDeadlineMissed = (context: L1Context, event: EventOf<"NodeDeadlineMissed">): L1Step => {
  const { block, level, index, prover, deadline } = event.payload;
  const key = faultKey("missed", prover, event.payload);
  if (context.registry[prover] === undefined || context.slashes[key] !== undefined) return unchanged(context);
  if (hasReceiptBy(bookOf(context.books, event.payload), prover, deadline)) return unchanged(context);
  const amount = slashForFault("missed", stakeOf(context.ledger, prover), context.network.params);
  const slot = slotOf(context.network, event.time);
  const entry: HeldSlash = { prover, amount, level, index, deadline, evidence: [event.id] };
  const taken: L1Context = { ...context, ledger: takeStake(context.ledger, prover, amount), slashes: { ...context.slashes, [key]: amount } };
  const moved = amount === 0n ? [] : [stakeChanged(taken.ledger, prover, -amount, blockCorrelationId(block), slot)];
  const blockKey = String(block);
  if (context.finalized[blockKey] !== undefined || context.reorged[blockKey] !== undefined) {
    const settled = settleHeld(taken, block, [entry], slot);
    return { context: { ...taken, ledger: settled.ledger }, actions: publish([...settled.events, ...moved]) };
  }
  return { context: { ...taken, held: { ...taken.held, [blockKey]: [...(taken.held[blockKey] ?? []), entry] } }, actions: publish(moved) };
};

/** Rejections whose proof the aggregator found well signed: each is a signed statement of its prover. */
const signedRejections: ReadonlySet<RejectionReason> = new Set(["wrong-public-input", "wrong-children", "too-early", "duplicate"]);

/** A signed invalid proof: slashInvalidBps of the stake, once per (prover, node), burned. */
const slashInvalid = (context: L1Context, event: EventOf<"ProofRejected">, evidence: readonly EventId[]): L1Step => {
  const { block, level, index, prover } = event.payload;
  const key = faultKey("invalid", prover, event.payload);
  if (context.registry[prover] === undefined || context.slashes[key] !== undefined) return unchanged(context);
  const amount = slashForFault("invalid", stakeOf(context.ledger, prover), context.network.params);
  const ledger = burnStake(context.ledger, prover, amount);
  const slot = slotOf(context.network, event.time);
  const correlationId = blockCorrelationId(block);
  const slashed: OutputDraft<"ProverSlashed"> = { type: "ProverSlashed", correlationId, slot, payload: { prover, amount, reason: "invalid", block, level, index, evidence } };
  return {
    context: { ...context, ledger, slashes: { ...context.slashes, [key]: amount } },
    actions: publish([slashed, ...(amount === 0n ? [] : [stakeChanged(ledger, prover, -amount, correlationId, slot)])]),
  };
};

/**
 * ProofRejected: wrong-public-input or wrong-children is a signed invalid proof; duplicate is
 * an equivocation when the same prover has another signed proof of the node with a different
 * hash on record (a lost race or a resubmission of the same proof is not). Evidence: the
 * other proof's event, the ProofSubmitted (the rejection's cause) and the ProofRejected.
 */
const onProofRejected = (context: L1Context, event: EventOf<"ProofRejected">): L1Step => {
  const { prover, proofHash, reason } = event.payload;
  const before = bookOf(context.books, event.payload);
  const recorded: L1Context = signedRejections.has(reason)
    ? { ...context, books: withBook(context.books, event.payload, (book) => addProof(book, prover, { proofHash, eventId: event.id })) }
    : context;
  const submitted = event.causationId === null ? [] : [event.causationId];
  switch (reason) {
    case "wrong-public-input":
    case "wrong-children":
      return slashInvalid(recorded, event, [...submitted, event.id]);
    case "duplicate": {
      const other = (before.proofs[prover] ?? []).find((p) => p.proofHash !== proofHash);
      return other === undefined ? unchanged(recorded) : slashInvalid(recorded, event, [other.eventId, ...submitted, event.id]);
    }
    case "bad-signature":
    case "unknown-prover":
    case "not-assigned":
    case "too-early":
      return unchanged(recorded);
    default:
      return absurd(reason);
  }
};

const onProofAccepted = (context: L1Context, event: EventOf<"ProofAccepted">): L1Step => {
  const { prover, proofHash } = event.payload;
  return unchanged({ ...context, books: withBook(context.books, event.payload, (book) => addProof(book, prover, { proofHash, eventId: event.id })) });
};

/**
 * ClaimUncle, applied in transaction order: paid (uncleRewardBps of the node's reward,
 * minted) when the block is finalized, the node was produced by another prover, and the
 * claimant posted a receipt with that proof hash by its deadline for the node
 * (its assignment's or the open round's). Once per (prover, node); anything else is ignored.
 */
const onClaimUncle = (context: L1Context, tx: EventOf<"ClaimUncle">): L1Step => {
  const { block, level, index, prover, proofHash } = tx.payload;
  const node = context.trees[String(block)]?.[nodeKey(tx.payload)];
  const paidKey = `${prover}:${block}/${level}/${index}`;
  if (node === undefined || node.prover === prover || context.uncles[paidKey] !== undefined) return unchanged(context);
  const book = bookOf(context.books, tx.payload);
  const deadline = deadlineOf(book, prover);
  if (deadline === undefined || !(book.receipts[prover] ?? []).some((r) => r.proofHash === proofHash && r.time < deadline)) return unchanged(context);
  const amount = uncleReward(node.reward, context.network.params);
  const slot = slotOf(context.network, tx.time);
  const paid: OutputDraft<"UncleRewardPaid"> = { type: "UncleRewardPaid", correlationId: blockCorrelationId(block), slot, payload: { block, prover, amount, level, index } };
  return {
    context: { ...context, ledger: mintTo(context.ledger, [{ prover, amount }]), uncles: { ...context.uncles, [paidKey]: amount } },
    actions: publish([paid]),
  };
};

/** The epoch a time falls in; -1 before genesis. */
const epochAtTime = (network: NetworkConfig, time: number): number => {
  const slot = slotAt(network, time);
  return slot < 0 ? -1 : epochOf(network.params, slot as Slot);
};

/**
 * The first input timed in a later epoch crosses the boundary first, one epoch at a time:
 * every registered prover whose stake is below the minimum, not ejected yet, is ejected
 * (ProverEjected, once) from that epoch on; then EpochStarted closes the epoch's registry.
 * The eligible set of the epoch's blocks is what the l1.events before it leave the registry,
 * so every reader of this one-partition topic agrees on it, whatever arrives later.
 */
const crossEpoch = (context: L1Context, time: number): L1Step => {
  const { params } = context.network;
  const target = epochAtTime(context.network, time);
  if (target <= context.epoch) return unchanged(context);
  let ejected = context.ejected;
  const events: Draft[] = [];
  for (let epoch = context.epoch + 1; epoch <= target; epoch++) {
    const slot = epochStartSlot(params, epoch as Epoch);
    const registered = Object.keys(context.registry).sort();
    const below = registered.filter((prover) => ejected[prover] === undefined && stakeOf(context.ledger, prover) < params.minimumStake);
    for (const prover of below) {
      events.push({ type: "ProverEjected", correlationId: `epoch-${epoch}`, slot, payload: { prover: prover as ProverId, epoch: epoch as Epoch, stake: stakeOf(context.ledger, prover) } });
    }
    ejected = { ...ejected, ...Object.fromEntries(below.map((prover) => [prover, epoch as Epoch])) };
    const eligible = registered.filter((prover) => ejected[prover] === undefined).length;
    events.push({ type: "EpochStarted", correlationId: `epoch-${epoch}`, slot, payload: { epoch: epoch as Epoch, slot, eligible } });
  }
  return { context: { ...context, epoch: target, ejected }, actions: publish(events) };
};

/** Folds one event of a type the L1 takes, within the current epoch. */
const apply = (context: L1Context, event: ProtocolEvent): L1Step => {
  switch (event.type) {
    case "RegisterProver":
      return onRegister(context, event);
    case "SubmitRoot":
      return onSubmitRoot(context, event);
    case "BlockProposed":
      return onBlockProposed(context, event);
    case "PostReceipt":
      return onPostReceipt(context, event);
    case "ClaimUncle":
      return onClaimUncle(context, event);
    case "NodeAssigned":
      return onNodeAssigned(context, event);
    case "NodeDeadlineMissed":
      return onDeadlineMissed(context, event);
    case "TakeoverOpened":
      return onTakeoverOpened(context, event);
    case "ProofAccepted":
      return onProofAccepted(context, event);
    case "ProofRejected":
      return onProofRejected(context, event);
    // Its own BlockReorgedOut, read back: it only confirms (or, in a replay, repeats) what the window timer did.
    case "BlockReorgedOut":
      return reorgOut(context, event.payload.block, event.payload.slot, false);
    // Not applied yet: DepositStake, Unbond. The rest are not on the L1's input topics.
    case "DepositStake":
    case "Unbond":
    case "BeaconRound":
    case "ProofSubmitted":
    case "ProofReceiptPosted":
    case "RootProofSubmitted":
    case "ProverRegistered":
    case "StakeChanged":
    case "BlockFinalized":
    case "RewardPaid":
    case "ProverSlashed":
    case "UncleRewardPaid":
    case "ProverEjected":
    case "EpochStarted":
    case "FaultInjected":
    case "FaultHealed":
      return unchanged(context);
    default:
      return absurd(event);
  }
};

/**
 * Folds one consumed event. An event the L1 takes first crosses into its epoch (its own
 * BlockReorgedOut read back does not: it is not news).
 */
export const onInput = (context: L1Context, event: ProtocolEvent): L1Step => {
  if (!isFolded(event)) return unchanged(context);
  if (event.type === "BlockReorgedOut") return apply(context, event);
  return chain(context, [(c) => crossEpoch(c, event.time), (c) => apply(c, event)]);
};

const absurd = (value: never): never => {
  throw new Error(`unexpected ${JSON.stringify(value)}`);
};

export const machine = setup({
  types: { context: {} as L1Context, events: {} as L1Event, input: {} as L1Input },
  actions: {
    publish: (_, _params: PublishParams) => {
      // carried out by the host (libs/actors), never while replaying
    },
    republish: (_, _params: RepublishParams) => undefined,
    run: (_, _params: RunParams) => {
      // carried out by the host (libs/actors), never while replaying
    },
    schedule: (_, _params: ScheduleParams<WindowClosed | HostRepublish>) => {
      // carried out by the host (libs/actors), never while replaying
    },
    cancel: (_, _params: CancelParams) => {
      // carried out by the host (libs/actors), never while replaying
    },
  },
}).createMachine({
  id: "l1-settlement",
  context: ({ input }) => initialContext(input),
  on: {
    input: {
      actions: enqueueActions(({ context, event, enqueue }) => {
        const step = onInput(context, event.event);
        enqueue.assign(() => step.context);
        for (const action of step.actions) enqueue(action);
      }),
    },
    windowClosed: {
      actions: enqueueActions(({ context, event, enqueue }) => {
        const step = onWindowClosed(context, event);
        enqueue.assign(() => step.context);
        for (const action of step.actions) enqueue(action);
      }),
    },
    // After a replay nothing is scheduled: arm the proving window of every pending block.
    // An append whose retries were spent: the same events again a little later, never dropped.
    "host.publishFailed": { actions: { type: "schedule", params: ({ event }) => republishLater(event, REPUBLISH_AFTER_MS) } },
    "host.republish": { actions: { type: "republish", params: ({ event }) => ({ events: event.events, attempt: event.attempt }) } },
    "host.started": {
      actions: enqueueActions(({ context, enqueue }) => {
        for (const action of pendingTimers(context)) enqueue(action);
      }),
    },
  },
});
