import { assign, enqueueActions, setup } from "xstate";
import { type HostActorFailed, type HostInput, type HostPublishFailed, type HostRepublish, type HostStarted, type OutputDraft, type PublishParams, REPUBLISH_AFTER_MS, republishLater, type RepublishParams, type ScheduleParams } from "@zk-testnet/actors";
import { blockCorrelationId, type BlockNumber, type ProtocolEvent, type Slot, type TxCount } from "@zk-testnet/protocol";
import { blockTransactions } from "./transactions.ts";

/** What the sequencer needs of the network; the machine's input. */
export interface SequencerInput {
  /** The run seed: every block's transactions derive from it. */
  readonly seed: string;
  /** Clock time of the start of slot 0, in ms. */
  readonly genesisMs: number;
  readonly slotMs: number;
  /** How many blocks to propose in all (slots 0 to slots - 1); 0 for no limit. */
  readonly slots: number;
  /** T: transactions per block. */
  readonly txPerBlock: number;
}

/** A reorged-out block whose transactions wait to be proposed again. */
export interface Reproposal {
  /** The block that was reorged out. */
  readonly block: number;
  /** The block whose seeded batch it carried (itself, unless it was a re-proposal too). */
  readonly origin: number;
  /** The time of its BlockReorgedOut: it goes into the first block of a slot that starts after it. */
  readonly at: number;
}

export interface SequencerContext {
  readonly config: SequencerInput;
  /** The next slot to propose; every slot before it has its block (block = slot). */
  readonly nextSlot: number;
  /** The fee total of every block proposed so far (re-proposed transactions count again). */
  readonly feesProposed: bigint;
  /** BlockFinalized events seen on l1.events (statistics only). */
  readonly finalized: number;
  /** The highest finalized block, -1 before the first. */
  readonly lastFinalized: number;
  /** Reorged-out blocks waiting for re-proposal, in the order of their BlockReorgedOut. */
  readonly reproposals: readonly Reproposal[];
  /** Re-proposal blocks not settled yet: block -> the block whose batch it carries (a fresh block carries its own and is not listed). */
  readonly carried: Readonly<Record<string, number>>;
  /** Every block reorged out so far, once each. */
  readonly reorged: readonly number[];
}

/** The timer event of a slot: propose its block. */
export interface SlotTick {
  readonly type: "tick";
  readonly slot: number;
}

export type SequencerEvent = HostInput<ProtocolEvent> | HostStarted | HostActorFailed | HostPublishFailed | HostRepublish | SlotTick;

/** Clock time at which a slot starts (as `slotStart` of libs/network). */
export const slotStartOf = (config: SequencerInput, slot: number): number => config.genesisMs + slot * config.slotMs;

/** Whether every block the run asks for is proposed once `nextSlot` is the next one. */
export const allProposed = (config: SequencerInput, nextSlot: number): boolean => config.slots > 0 && nextSlot >= config.slots;

/** The id of a slot's timer; output event ids derive from it, so it names the slot only. */
export const tickId = (slot: number): string => `tick:${slot}`;

const tickOf = (config: SequencerInput, slot: number): ScheduleParams<SlotTick> => ({
  id: tickId(slot),
  at: slotStartOf(config, slot),
  event: { type: "tick", slot },
});

/**
 * The BlockProposed of a slot: block = slot, T seeded transactions: its own batch, or with
 * `origin` the batch of an earlier block it re-proposes (same hashes and fees).
 */
export const blockDraft = (config: SequencerInput, slot: number, origin = slot): OutputDraft<"BlockProposed"> => {
  const batch = blockTransactions(config.seed, origin, config.txPerBlock);
  return {
    type: "BlockProposed",
    correlationId: blockCorrelationId(slot as BlockNumber),
    slot,
    payload: {
      block: slot as BlockNumber,
      slot: slot as Slot,
      txCount: config.txPerBlock as TxCount,
      fees: batch.fees,
      txHashes: batch.txHashes,
    },
  };
};

type Proposed = Extract<ProtocolEvent, { type: "BlockProposed" }>;
type Finalized = Extract<ProtocolEvent, { type: "BlockFinalized" }>;
type ReorgedOut = Extract<ProtocolEvent, { type: "BlockReorgedOut" }>;

/** The re-proposal a slot's block carries: the first waiting one reorged out before the slot started, if any. */
export const reproposalFor = (context: SequencerContext, slot: number): Reproposal | undefined =>
  context.reproposals.find((r) => r.at < slotStartOf(context.config, slot));

const withoutKey = <V>(record: Readonly<Record<string, V>>, key: string): Record<string, V> => {
  const { [key]: _gone, ...rest } = record;
  return rest;
};

/**
 * What proposing `block` with the batch of `origin` changes: the re-proposal (if it is one)
 * leaves the queue and the block is remembered as carrying it.
 */
const proposedWith = (context: SequencerContext, block: number, origin: number, fees: bigint): Partial<SequencerContext> => ({
  nextSlot: block + 1,
  feesProposed: context.feesProposed + fees,
  ...(origin === block
    ? {}
    : {
        reproposals: context.reproposals.filter((r) => r.origin !== origin),
        carried: { ...context.carried, [String(block)]: origin },
      }),
});

/**
 * The batch a proposed block carries, told by its content: a waiting re-proposal whose batch
 * it is, or else its own. (A replay folds a re-proposal block and the BlockReorgedOut it
 * followed in time order, so what the live tick chose is in the queue when its block is folded.)
 */
const originOf = (context: SequencerContext, event: Proposed): number => {
  const { block, txHashes } = event.payload;
  const same = (origin: number): boolean => {
    const hashes = blockTransactions(context.config.seed, origin, txHashes.length).txHashes;
    return hashes.every((h, i) => h === txHashes[i]);
  };
  return context.reproposals.find((r) => same(r.origin))?.origin ?? block;
};

/**
 * A BlockReorgedOut of a block it proposed: its batch waits for the next slot, once per block
 * (a second report of the same block, or one of a block it never proposed, changes nothing).
 */
const reorgedOut = (context: SequencerContext, event: ReorgedOut): Partial<SequencerContext> => {
  const { block } = event.payload;
  if (block >= context.nextSlot || context.reorged.includes(block)) return {};
  const origin = context.carried[String(block)] ?? block;
  return {
    reproposals: [...context.reproposals, { block, origin, at: event.time }],
    carried: withoutKey(context.carried, String(block)),
    reorged: [...context.reorged, block],
  };
};

/**
 * The sequencer: in every slot it proposes block `b = slot`. It folds its own BlockProposed
 * (so a replay knows which slots are done; idempotent, as the block was applied when it was
 * published) and counts BlockFinalized. A slot is never proposed twice; a sequencer that was
 * down proposes the slots it missed at once on restart, in order, so the chain has no gaps.
 * A block reorged out (BlockReorgedOut) has its transactions proposed again, once: the first
 * block of a slot starting after the reorg carries them instead of a fresh batch.
 */
export const sequencerMachine = setup({
  types: {
    context: {} as SequencerContext,
    events: {} as SequencerEvent,
    input: {} as SequencerInput,
  },
  // Host actions: the host carries them out (none while replaying); the machine only names them with params.
  actions: {
    publish: (_, _params: PublishParams) => undefined,
    republish: (_, _params: RepublishParams) => undefined,
    schedule: (_, _params: ScheduleParams<SlotTick | HostRepublish>) => undefined,
  },
  guards: {
    /** Its own BlockProposed for a slot it has not folded yet (replay, or another writer's echo). */
    isNewBlockProposed: ({ context, event }) =>
      event.type === "input" && event.event.type === "BlockProposed" && event.event.payload.block >= context.nextSlot,
    isBlockFinalized: ({ event }) => event.type === "input" && event.event.type === "BlockFinalized",
    isBlockReorgedOut: ({ event }) => event.type === "input" && event.event.type === "BlockReorgedOut",
    isNextSlot: ({ context, event }) => event.type === "tick" && event.slot === context.nextSlot,
    isAllProposed: ({ context }) => allProposed(context.config, context.nextSlot),
  },
}).createMachine({
  id: "sequencer",
  context: ({ input }) => ({ config: input, nextSlot: 0, feesProposed: 0n, finalized: 0, lastFinalized: -1, reproposals: [], carried: {}, reorged: [] }),
  initial: "proposing",
  on: {
    input: [
      {
        guard: "isNewBlockProposed",
        // Past the slot it had armed (a proposal it made just before it went down, read back
        // after it started again): the tick it armed is stale, so it arms the next slot's.
        actions: enqueueActions(({ context, event, enqueue }) => {
          const proposed = event.event as Proposed;
          const next = proposedWith(context, proposed.payload.block, originOf(context, proposed), proposed.payload.fees);
          enqueue.assign(next);
          const nextSlot = proposed.payload.block + 1;
          if (!allProposed(context.config, nextSlot)) enqueue({ type: "schedule", params: tickOf(context.config, nextSlot) });
        }),
      },
      {
        guard: "isBlockFinalized",
        actions: assign(({ context, event }) => {
          const { block } = (event.event as Finalized).payload;
          return {
            finalized: context.finalized + 1,
            lastFinalized: Math.max(context.lastFinalized, block),
            carried: withoutKey(context.carried, String(block)),
          };
        }),
      },
      {
        guard: "isBlockReorgedOut",
        actions: assign(({ context, event }) => reorgedOut(context, event.event as ReorgedOut)),
      },
    ],
  },
  states: {
    proposing: {
      always: { guard: "isAllProposed", target: "finished" },
      on: {
        // After a replay nothing is scheduled: arm the tick of the next slot not yet proposed.
    // An append whose retries were spent: the same events again a little later, never dropped.
    "host.publishFailed": { actions: { type: "schedule", params: ({ event }) => republishLater(event, REPUBLISH_AFTER_MS) } },
    "host.republish": { actions: { type: "republish", params: ({ event }) => ({ events: event.events, attempt: event.attempt }) } },
        "host.started": {
          actions: { type: "schedule", params: ({ context }) => tickOf(context.config, context.nextSlot) },
        },
        tick: {
          guard: "isNextSlot",
          actions: enqueueActions(({ context, event, enqueue }) => {
            const origin = reproposalFor(context, event.slot)?.origin ?? event.slot;
            const draft = blockDraft(context.config, event.slot, origin);
            const nextSlot = event.slot + 1;
            enqueue.assign(proposedWith(context, event.slot, origin, draft.payload.fees));
            enqueue({ type: "publish", params: { events: [draft as OutputDraft] } });
            if (!allProposed(context.config, nextSlot)) enqueue({ type: "schedule", params: tickOf(context.config, nextSlot) });
          }),
        },
      },
    },
    // Every block asked for is proposed; finality is still counted.
    finished: {},
  },
});

export type SequencerMachine = typeof sequencerMachine;
