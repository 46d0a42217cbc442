import { describe, expect, it } from "@effect/vitest";
import { Effect, Layer, TestClock } from "effect";
import { assign, enqueueActions, setup } from "xstate";
import { EmbeddedEventLog, EventLog, appendEvent, protocolCodec, protocolTopicSpecs } from "@zk-testnet/event-log";
import { makeEvent, type BlockNumber, type Hash, type ProtocolEvent, type Slot, type TxCount } from "@zk-testnet/protocol";
import type { HostInput, HostStarted, OutputDraft, PublishParams, ScheduleParams } from "./host-actions.ts";
import { runService } from "./host.ts";
import { memorySnapshots } from "./snapshots.ts";

// A toy service: finalizes every proposed block 1 s after it saw it. It folds its own outputs
// (BlockFinalized) so a replay knows what was finalized, and re-arms the rest when started.
type ToyEvent = HostInput<ProtocolEvent> | HostStarted | { type: "finalize"; block: number; slot: number };
interface ToyContext {
  /** block -> [slot, proposal time] */
  readonly proposed: Record<string, readonly [number, number]>;
  readonly finalized: readonly number[];
}

const toy = setup({
  types: { context: {} as ToyContext, events: {} as ToyEvent },
  actions: {
    publish: (_, _params: PublishParams) => undefined,
    schedule: (_, _params: ScheduleParams) => undefined,
  },
}).createMachine({
  id: "toy",
  context: { proposed: {}, finalized: [] },
  on: {
    input: [
      {
        guard: ({ event }) => event.event.type === "BlockProposed",
        actions: [
          assign({
            proposed: ({ context, event }) => ({
              ...context.proposed,
              [String((event.event.payload as { block: number }).block)]: [event.event.slot, event.event.time] as const,
            }),
          }),
          {
            type: "schedule",
            params: ({ event }) => ({
              id: `finalize:${(event.event.payload as { block: number }).block}`,
              at: event.event.time + 1_000,
              event: { type: "finalize", block: (event.event.payload as { block: number }).block, slot: event.event.slot },
            }),
          },
        ],
      },
      {
        // Its own output coming back: already applied when it was published, so idempotent.
        guard: ({ event }) => event.event.type === "BlockFinalized",
        actions: assign({
          finalized: ({ context, event }) => [...new Set([...context.finalized, (event.event.payload as { block: number }).block])].sort(),
        }),
      },
    ],
    finalize: {
      guard: ({ context, event }) => !context.finalized.includes(event.block),
      actions: [
        assign({ finalized: ({ context, event }) => [...context.finalized, event.block].sort() }),
        {
          type: "publish",
          params: ({ event }) => ({
            events: [{ type: "BlockFinalized", correlationId: `block-${event.block}`, slot: event.slot, payload: { block: event.block as BlockNumber, slot: event.slot as Slot } } satisfies OutputDraft<"BlockFinalized">],
          }),
        },
      ],
    },
    // After a replay nothing is scheduled: re-arm every block not finalized yet.
    "host.started": {
      actions: enqueueActions(({ context, enqueue }) => {
        for (const [block, [slot, time]] of Object.entries(context.proposed)) {
          if (context.finalized.includes(Number(block))) continue;
          enqueue({ type: "schedule", params: { id: `finalize:${block}`, at: time + 1_000, event: { type: "finalize", block: Number(block), slot } } });
        }
      }),
    },
  },
});

const toyService = { name: "l1-settlement", machine: toy, inputs: ["l2.blocks", "l1.events"] } as const;

const propose = (block: number) =>
  makeEvent({
    type: "BlockProposed",
    source: "sequencer",
    causationId: null,
    position: block,
    correlationId: `block-${block}`,
    slot: block as Slot,
    payload: { block: block as BlockNumber, slot: block as Slot, txCount: 1 as TxCount, fees: 10n, txHashes: ["00".repeat(32) as Hash] },
  });

const drain = Effect.repeatN(Effect.yieldNow(), 100);

const finalizedIn = (log: typeof EventLog.Service) =>
  Effect.map(log.read("l1.events"), (records) => records.map((r) => (protocolCodec.decode(r.value) as { right: ProtocolEvent }).right));

describe("service host", () => {
  it.scoped("runs scheduled work on the Clock, publishes with deterministic ids, and replays without emitting", () =>
    Effect.gen(function* () {
      const log = yield* EventLog;
      yield* log.createTopics(protocolTopicSpecs);
      for (const b of [1, 2, 3]) yield* appendEvent(log, yield* propose(b));

      const firstHash = yield* Effect.scoped(
        Effect.gen(function* () {
          const service = yield* runService(toyService);
          // Nothing committed yet: the three blocks are handled live, not replayed.
          expect(service.replayed).toBe(0);
          yield* drain;
          yield* service.idle;
          expect(yield* finalizedIn(log)).toHaveLength(0);
          yield* TestClock.adjust("1 second");
          yield* drain;
          yield* service.idle;
          return yield* service.stateHash;
        }),
      );
      const finalized = yield* finalizedIn(log);
      expect(finalized.map((e) => (e.payload as { block: number }).block)).toEqual([1, 2, 3]);
      expect(new Set(finalized.map((e) => e.id)).size).toBe(3);

      // A restart replays blocks and its own BlockFinalized outputs: same state, nothing new written.
      const replay = yield* Effect.scoped(
        Effect.gen(function* () {
          const service = yield* runService(toyService);
          yield* TestClock.adjust("5 seconds");
          yield* service.idle;
          return { replayed: service.replayed, hash: yield* service.stateHash };
        }),
      );
      // Everything was committed: blocks and its own BlockFinalized outputs are replayed.
      expect(replay.replayed).toBe(6);
      expect(replay.hash).toBe(firstHash);
      expect(yield* finalizedIn(log)).toHaveLength(3);
    }).pipe(Effect.provide(Layer.fresh(EmbeddedEventLog.layer()))),
  );

  it.scoped("starts from a snapshot and replays only what came after it", () =>
    Effect.gen(function* () {
      const log = yield* EventLog;
      yield* log.createTopics(protocolTopicSpecs);
      const snapshots = memorySnapshots();
      for (const b of [1, 2]) yield* appendEvent(log, yield* propose(b));
      yield* Effect.scoped(
        Effect.gen(function* () {
          const service = yield* runService(toyService, { snapshots, snapshotEvery: 1 });
          yield* drain;
          yield* TestClock.adjust("1 second");
          yield* drain;
          yield* service.idle;
        }),
      );
      expect(yield* snapshots.load("l1-settlement")).toBeDefined();
      yield* appendEvent(log, yield* propose(3));
      const service = yield* runService(toyService, { snapshots, snapshotEvery: 1 });
      yield* drain;
      yield* service.idle;
      // Blocks 1 and 2 and their finalizations were in the snapshot; block 3 is handled live.
      expect(service.replayed).toBe(0);
      const snap = (yield* service.snapshot) as unknown as { context: ToyContext };
      expect(Object.keys(snap.context.proposed).sort()).toEqual(["1", "2", "3"]);
    }).pipe(Effect.provide(Layer.fresh(EmbeddedEventLog.layer()))),
  );
});
