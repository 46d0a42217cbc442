import { assign, enqueueActions, setup } from "xstate";
import type { HostActorFailed, HostInput, HostStarted, OutputDraft, PublishParams, ScheduleParams } from "@zk-testnet/actors";
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

export interface SequencerContext {
  readonly config: SequencerInput;
  /** The next slot to propose; every slot before it has its block (block = slot). */
  readonly nextSlot: number;
  /** The fee total of every block proposed so far. */
  readonly feesProposed: bigint;
  /** BlockFinalized events seen on l1.events (statistics only). */
  readonly finalized: number;
  /** The highest finalized block, -1 before the first. */
  readonly lastFinalized: number;
}

/** The timer event of a slot: propose its block. */
export interface SlotTick {
  readonly type: "tick";
  readonly slot: number;
}

export type SequencerEvent = HostInput<ProtocolEvent> | HostStarted | HostActorFailed | SlotTick;

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

/** The BlockProposed of a slot: block = slot, T seeded transactions. */
export const blockDraft = (config: SequencerInput, slot: number): OutputDraft<"BlockProposed"> => {
  const batch = blockTransactions(config.seed, slot, config.txPerBlock);
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

/**
 * The sequencer: in every slot it proposes block `b = slot`. It folds its own BlockProposed
 * (so a replay knows which slots are done; idempotent, as the block was applied when it was
 * published) and counts BlockFinalized. A slot is never proposed twice; a sequencer that was
 * down proposes the slots it missed at once on restart, in order, so the chain has no gaps.
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
    schedule: (_, _params: ScheduleParams<SlotTick>) => undefined,
  },
  guards: {
    /** Its own BlockProposed for a slot it has not folded yet (replay, or another writer's echo). */
    isNewBlockProposed: ({ context, event }) =>
      event.type === "input" && event.event.type === "BlockProposed" && event.event.payload.block >= context.nextSlot,
    isBlockFinalized: ({ event }) => event.type === "input" && event.event.type === "BlockFinalized",
    isNextSlot: ({ context, event }) => event.type === "tick" && event.slot === context.nextSlot,
    isAllProposed: ({ context }) => allProposed(context.config, context.nextSlot),
  },
}).createMachine({
  id: "sequencer",
  context: ({ input }) => ({ config: input, nextSlot: 0, feesProposed: 0n, finalized: 0, lastFinalized: -1 }),
  initial: "proposing",
  on: {
    input: [
      {
        guard: "isNewBlockProposed",
        actions: assign(({ context, event }) => {
          const { block, fees } = (event.event as Proposed).payload;
          return { nextSlot: block + 1, feesProposed: context.feesProposed + fees };
        }),
      },
      {
        guard: "isBlockFinalized",
        actions: assign(({ context, event }) => ({
          finalized: context.finalized + 1,
          lastFinalized: Math.max(context.lastFinalized, (event.event as Finalized).payload.block),
        })),
      },
    ],
  },
  states: {
    proposing: {
      always: { guard: "isAllProposed", target: "finished" },
      on: {
        // After a replay nothing is scheduled: arm the tick of the next slot not yet proposed.
        "host.started": {
          actions: { type: "schedule", params: ({ context }) => tickOf(context.config, context.nextSlot) },
        },
        tick: {
          guard: "isNextSlot",
          actions: enqueueActions(({ context, event, enqueue }) => {
            const draft = blockDraft(context.config, event.slot);
            const nextSlot = event.slot + 1;
            enqueue.assign({ nextSlot, feesProposed: context.feesProposed + draft.payload.fees });
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
