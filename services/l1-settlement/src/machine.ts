import { Either } from "effect";
import { enqueueActions, setup } from "xstate";
import type { HostActorFailed, HostInput, HostStarted, OutputDraft, PublishParams, RunParams } from "@zk-testnet/actors";
import { blockPayout, splitBlockReward } from "@zk-testnet/mechanisms";
import { slotAt, type NetworkConfig } from "@zk-testnet/network";
import {
  blockCorrelationId,
  type BlockNumber,
  type EventId,
  type EventOf,
  type Hash,
  type PayloadOf,
  type ProtocolEvent,
  type ProverId,
  type PublicKey,
  type Slot,
  type TxCount,
} from "@zk-testnet/protocol";
import { bond, genesisLedger, mintTo, stakeOf, type Ledger } from "./ledger.ts";
import { verifyProofTree, type TreeDefect } from "./proof-tree.ts";

export { checkLedger, type Ledger } from "./ledger.ts";

// The mock L1: applies the transactions of l1.transactions in order and says what it did on
// l1.events. Its state is a fold of its inputs alone (transactions and proposed blocks), so
// a replay rebuilds it exactly; it has no timers, hence nothing to re-arm when started.

export interface Registration {
  readonly publicKey: PublicKey;
  readonly slot: Slot;
}

/** A proposed block the L1 has not finalized yet: what its proof tree is checked against. */
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

export interface L1Context {
  readonly network: NetworkConfig;
  readonly ledger: Ledger;
  readonly registry: Readonly<Record<string, Registration>>;
  /** Proposed and not finalized yet, by block number. */
  readonly blocks: Readonly<Record<string, ProposedBlock>>;
  /** Submissions waiting for their block's BlockProposed, by block number, in arrival order. */
  readonly waiting: Readonly<Record<string, readonly RootSubmission[]>>;
  /** By block number: a block is finalized (and paid) at most once. */
  readonly finalized: Readonly<Record<string, FinalizedBlock>>;
  readonly rejections: readonly RootRejection[];
}

export interface L1Input {
  readonly network: NetworkConfig;
}

export type L1Event = HostInput<ProtocolEvent> | HostStarted | HostActorFailed | { readonly type: "rejectionReported" };

/** The types of protocol events the L1 folds: the transactions sent to it, and the blocks. */
export const isFolded = (event: ProtocolEvent): boolean =>
  event.type === "BlockProposed" ||
  event.type === "RegisterProver" ||
  event.type === "DepositStake" ||
  event.type === "Unbond" ||
  event.type === "SubmitRoot" ||
  event.type === "PostReceipt" ||
  event.type === "ClaimUncle";

type L1Action = { readonly type: "publish"; readonly params: PublishParams } | { readonly type: "run"; readonly params: RunParams };

export interface L1Step {
  readonly context: L1Context;
  readonly actions: readonly L1Action[];
}

const unchanged = (context: L1Context): L1Step => ({ context, actions: [] });

const slotOf = (network: NetworkConfig, time: number): Slot => Math.max(0, slotAt(network, time)) as Slot;

export const initialContext = (input: L1Input): L1Context => ({
  network: input.network,
  ledger: genesisLedger(input.network.provers),
  registry: {},
  blocks: {},
  waiting: {},
  finalized: {},
  rejections: [],
});

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
    context: { ...context, ledger, registry: { ...context.registry, [prover]: { publicKey, slot } } },
    actions: [{ type: "publish", params: { events } }],
  };
};

/**
 * Verifies a submitted tree against its known block: finalize and pay, or refuse. The
 * decision's time is the later of the block's and the submission's, so the order they
 * arrived in does not change it.
 */
const settleRoot = (context: L1Context, block: ProposedBlock, submission: RootSubmission): L1Step => {
  const { root } = submission;
  const verdict = verifyProofTree({
    block: block.block,
    txHashes: block.txHashes,
    rootProofHash: root.proofHash,
    contributors: root.contributors,
    proofs: root.proofs,
    publicKeyOf: (prover: ProverId) => context.registry[prover]?.publicKey,
  });
  // The L1 does not see takeovers yet (every producer counts as the assignee), so `takeoverPaid` has no effect so far.
  const split = Either.flatMap(verdict, (tree) =>
    splitBlockReward({
      block: block.block,
      txCount: block.txHashes.length as TxCount,
      amount: blockPayout(block.fees, context.network.params).distributed,
      producers: tree.producers,
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
  const events = [
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
  const { [String(block.block)]: _settled, ...blocks } = context.blocks;
  return {
    context: {
      ...context,
      ledger: mintTo(context.ledger, payments),
      blocks,
      finalized: { ...context.finalized, [block.block]: { slot, proofHash: root.proofHash, paid: split.right.paid } },
    },
    actions: [{ type: "publish", params: { events } }],
  };
};

/** Applies steps one after the other, gathering their actions. */
const chain = (context: L1Context, steps: readonly ((context: L1Context) => L1Step)[]): L1Step =>
  steps.reduce<L1Step>((done, next) => {
    const step = next(done.context);
    return { context: step.context, actions: [...done.actions, ...step.actions] };
  }, unchanged(context));

const onSubmitRoot = (context: L1Context, tx: EventOf<"SubmitRoot">): L1Step => {
  const key = String(tx.payload.block);
  // A block is finalized once: a later SubmitRoot for it changes nothing and pays nothing.
  if (context.finalized[key] !== undefined) return unchanged(context);
  const submission: RootSubmission = { txId: tx.id, time: tx.time, root: tx.payload };
  const block = context.blocks[key];
  if (block === undefined) return unchanged({ ...context, waiting: { ...context.waiting, [key]: [...(context.waiting[key] ?? []), submission] } });
  return settleRoot(context, block, submission);
};

const onBlockProposed = (context: L1Context, event: EventOf<"BlockProposed">): L1Step => {
  const key = String(event.payload.block);
  if (context.blocks[key] !== undefined || context.finalized[key] !== undefined) return unchanged(context);
  const block: ProposedBlock = { block: event.payload.block, slot: event.payload.slot, time: event.time, txHashes: event.payload.txHashes, fees: event.payload.fees };
  const { [key]: early = [], ...waiting } = context.waiting;
  const known: L1Context = { ...context, blocks: { ...context.blocks, [key]: block }, waiting };
  // Submissions that came before their block, in arrival order, until one finalizes it.
  return chain(
    known,
    early.map((submission) => (c: L1Context) => (c.finalized[key] !== undefined ? unchanged(c) : settleRoot(c, block, submission))),
  );
};

/** Folds one consumed event. */
export const onInput = (context: L1Context, event: ProtocolEvent): L1Step => {
  switch (event.type) {
    case "RegisterProver":
      return onRegister(context, event);
    case "SubmitRoot":
      return onSubmitRoot(context, event);
    case "BlockProposed":
      return onBlockProposed(context, event);
    // Not applied yet (later issues): DepositStake, Unbond, PostReceipt, ClaimUncle. The rest
    // are not on the L1's input topics.
    case "DepositStake":
    case "Unbond":
    case "PostReceipt":
    case "ClaimUncle":
    case "BeaconRound":
    case "NodeAssigned":
    case "NodeDeadlineMissed":
    case "TakeoverOpened":
    case "ProofSubmitted":
    case "ProofReceiptPosted":
    case "ProofAccepted":
    case "ProofRejected":
    case "RootProofSubmitted":
    case "ProverRegistered":
    case "StakeChanged":
    case "BlockFinalized":
    case "BlockReorgedOut":
    case "RewardPaid":
    case "ProverSlashed":
    case "UncleRewardPaid":
    case "ProverEjected":
    case "FaultInjected":
    case "FaultHealed":
      return unchanged(context);
    default:
      return absurd(event);
  }
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
    run: (_, _params: RunParams) => {
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
  },
});
