import { describe, expect, it } from "@effect/vitest";
import { Deferred, Effect, Fiber, Layer, Option, Ref, TestClock } from "effect";
import { assign, enqueueActions, setup } from "xstate";
import { ConnectionLost, EmbeddedEventLog, EventLog, appendEvent, protocolCodec, protocolTopicSpecs, type SubscribeOptions } from "@zk-testnet/event-log";
import { makeEvent, type BlockNumber, type Hash, type ProtocolEvent, type Slot, type TxCount } from "@zk-testnet/protocol";
import {
  REPUBLISH_AFTER_MS,
  republishLater,
  type HostInput,
  type HostPublishFailed,
  type HostRepublish,
  type HostStarted,
  type OutputDraft,
  type PublishParams,
  type RepublishParams,
  type ScheduleParams,
} from "./host-actions.ts";
import { runService } from "./host.ts";
import { memorySnapshots } from "./snapshots.ts";

// A toy service: finalizes every proposed block 1 s after it saw it. It folds its own outputs
// (BlockFinalized) so a replay knows what was finalized, and re-arms the rest when started.
type ToyEvent = HostInput<ProtocolEvent> | HostStarted | HostPublishFailed | HostRepublish | { type: "finalize"; block: number; slot: number };
interface ToyContext {
  /** block -> [slot, proposal time] */
  readonly proposed: Record<string, readonly [number, number]>;
  readonly finalized: readonly number[];
}

const toy = setup({
  types: { context: {} as ToyContext, events: {} as ToyEvent },
  actions: {
    publish: (_, _params: PublishParams) => undefined,
    republish: (_, _params: RepublishParams) => undefined,
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
    "host.publishFailed": { actions: { type: "schedule", params: ({ event }) => republishLater(event, REPUBLISH_AFTER_MS) } },
    "host.republish": { actions: { type: "republish", params: ({ event }) => ({ events: event.events, attempt: event.attempt }) } },
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

  it.scoped("over Kafka a step does not wait for its outputs' acknowledgement, and the commit of its input waits for them", () =>
    Effect.gen(function* () {
      const inner = yield* EventLog;
      yield* inner.createTopics(protocolTopicSpecs);
      // A Kafka-like log whose appends are held until `acked` (a slow link), and whose
      // subscription hands over the hook it must await before committing.
      const acked = yield* Deferred.make<void>();
      const held = yield* Ref.make(0);
      const hold = <A, E>(append: Effect.Effect<A, E>) => Effect.zipRight(Ref.update(held, (n) => n + 1), Effect.zipRight(Deferred.await(acked), append));
      let beforeCommit: Effect.Effect<void> | undefined;
      const slow: typeof EventLog.Service = {
        ...inner,
        adapter: "kafka",
        append: (topic, key, value) => hold(inner.append(topic, key, value)),
        appendBatch: (records) => hold(inner.appendBatch(records)),
        subscribe: <E, R>(opts: SubscribeOptions<E, R>) => {
          beforeCommit = opts.beforeCommit;
          return inner.subscribe(opts);
        },
      };
      for (const b of [1, 2, 3]) yield* appendEvent(inner, yield* propose(b));
      const service = yield* runService(toyService).pipe(Effect.provideService(EventLog, slow));
      yield* drain;
      yield* TestClock.adjust("1 second");
      yield* drain;
      // All three finalize steps ran while the first append waits for its acknowledgement.
      const state = (yield* service.snapshot) as unknown as { context: ToyContext };
      expect(state.context.finalized).toEqual([1, 2, 3]);
      expect(yield* Ref.get(held)).toBe(1);
      expect(yield* finalizedIn(inner)).toEqual([]);
      // Committing what was handled waits for the outputs queued before it.
      expect(beforeCommit).toBeDefined();
      const commit = yield* Effect.fork(beforeCommit ?? Effect.void);
      yield* drain;
      expect(Option.isNone(yield* Fiber.poll(commit))).toBe(true);
      yield* Deferred.succeed(acked, undefined);
      yield* Fiber.join(commit);
      yield* service.idle;
      // In step order, each once; the queued ones went out together.
      const finalized = yield* finalizedIn(inner);
      expect(finalized.map((e) => (e.payload as { block: number }).block)).toEqual([1, 2, 3]);
      expect(new Set(finalized.map((e) => e.id)).size).toBe(3);
      expect(yield* Ref.get(held)).toBe(2);
    }).pipe(Effect.provide(Layer.fresh(EmbeddedEventLog.layer()))),
  );

  it.scoped("an append whose retries are spent reaches the machine as host.publishFailed; its republish appends the same events, once", () =>
    Effect.gen(function* () {
      const inner = yield* EventLog;
      yield* inner.createTopics(protocolTopicSpecs);
      // The log the service sees refuses every append while the outage lasts.
      const down = yield* Ref.make(false);
      const refused = yield* Ref.make(0);
      const refuse = Effect.zipRight(Ref.update(refused, (n) => n + 1), Effect.fail(new ConnectionLost({ message: "broker unreachable" })));
      const flaky: typeof EventLog.Service = {
        ...inner,
        append: (topic, key, value) => Effect.flatMap(Ref.get(down), (d) => (d ? refuse : inner.append(topic, key, value))),
        appendBatch: (records) => Effect.flatMap(Ref.get(down), (d) => (d ? refuse : inner.appendBatch(records))),
      };
      const service = yield* runService(toyService).pipe(Effect.provideService(EventLog, flaky));
      yield* appendEvent(inner, yield* propose(7));
      yield* drain;
      yield* service.idle;
      yield* Ref.set(down, true);
      // Finalize at +1 s; the append then retries (backoff on the Clock) until its 30 s budget is spent.
      for (let i = 0; i < 40; i++) {
        yield* TestClock.adjust("1 second");
        yield* drain;
      }
      expect(yield* Ref.get(refused)).toBeGreaterThan(3);
      expect(yield* finalizedIn(inner)).toEqual([]);
      const state = (yield* service.snapshot) as unknown as { context: ToyContext };
      // The machine went on: it decided (block 7 finalized in its state) and the service is alive.
      expect(state.context.finalized).toEqual([7]);
      // Without the machine's answer to host.publishFailed the batch would be gone for good;
      // the log comes back, and the republish the machine scheduled appends it.
      yield* Ref.set(down, false);
      for (let i = 0; i < 5; i++) {
        yield* TestClock.adjust("1 second");
        yield* drain;
      }
      yield* service.idle;
      const finalized = yield* finalizedIn(inner);
      expect(finalized.map((e) => e.payload)).toEqual([{ block: 7, slot: 7 }]);
      // The same event as a first-time append would have written: its id derives from the finalize step.
      expect(finalized[0]?.causationId).not.toBeNull();
    }).pipe(Effect.provide(Layer.fresh(EmbeddedEventLog.layer()))),
  );
});
