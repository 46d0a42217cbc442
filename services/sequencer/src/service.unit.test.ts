import { describe, expect, it } from "@effect/vitest";
import { Effect, Either, Exit, Layer, Scope, TestClock } from "effect";
import { appendEvent, EmbeddedEventLog, EventLog, makeEmbeddedLog, protocolCodec, protocolTopicSpecs, type EventLogApi } from "@zk-testnet/event-log";
import { makeNetwork, slotStart, type NetworkConfig } from "@zk-testnet/network";
import { makeEvent, type BlockNumber, type EventOf, type Slot } from "@zk-testnet/protocol";
import { definition, runSequencer } from "./service.ts";
import { blockTransactions } from "./transactions.ts";

const GENESIS = 10_000;
const SLOT = 2_000;

const network = (options: { seed?: string; slots?: number } = {}): NetworkConfig =>
  Either.getOrThrow(makeNetwork({ seed: options.seed ?? "sequencer-service", genesisMs: GENESIS, slots: options.slots ?? 0, provers: 4, slotMs: SLOT }));

type Block = EventOf<"BlockProposed">;

const blocksIn = (log: EventLogApi) =>
  Effect.map(log.read("l2.blocks"), (records) => records.map((r) => Either.getOrThrow(protocolCodec.decode(r.value)) as Block));

/** Moves virtual time to `at`, one slot at a time, letting the service finish each step. */
const advanceTo = (at: number, idle: Effect.Effect<void>) =>
  Effect.gen(function* () {
    for (;;) {
      const now = yield* TestClock.currentTimeMillis;
      if (now >= at) return;
      yield* TestClock.adjust(Math.min(SLOT, at - now));
      yield* idle;
      yield* idle;
    }
  });

const withLog = <A, E>(program: (log: EventLogApi) => Effect.Effect<A, E, EventLog>) =>
  Effect.gen(function* () {
    const log = yield* makeEmbeddedLog();
    yield* log.createTopics(protocolTopicSpecs);
    return yield* program(log).pipe(Effect.provideService(EventLog, log));
  });

/** A whole run on a fresh log from virtual time 0: start, run to slot `slots - 1`, stop; the l2.blocks topic as JSONL. */
const runFor = (net: NetworkConfig, slots: number) =>
  withLog((log) =>
    Effect.gen(function* () {
      yield* TestClock.setTime(0);
      yield* Effect.scoped(
        Effect.gen(function* () {
          const sequencer = yield* runSequencer(net);
          yield* advanceTo(slotStart(net, slots - 1), sequencer.idle);
        }),
      );
      return yield* log.exportJsonl(["l2.blocks"]);
    }),
  );

describe("sequencer service", () => {
  it.scoped("N slots of virtual time give exactly N blocks, block = slot, each at the start of its slot", () =>
    Effect.gen(function* () {
      const log = yield* EventLog;
      yield* log.createTopics(protocolTopicSpecs);
      const net = network();
      const sequencer = yield* runSequencer(net);
      yield* sequencer.idle;
      expect(yield* blocksIn(log)).toEqual([]); // before genesis

      yield* advanceTo(slotStart(net, 4), sequencer.idle);
      const blocks = yield* blocksIn(log);
      expect(blocks.map((b) => [b.payload.block, b.payload.slot, b.slot, b.time])).toEqual(
        [0, 1, 2, 3, 4].map((s) => [s, s, s, slotStart(net, s)]),
      );
      for (const b of blocks) {
        const batch = blockTransactions(net.seed, b.payload.block, net.params.txPerBlock);
        expect(b).toMatchObject({ source: "sequencer", key: String(b.payload.block), correlationId: `block-${b.payload.block}` });
        expect(b.payload).toMatchObject({ txCount: net.params.txPerBlock, fees: batch.fees, txHashes: batch.txHashes });
      }
      expect(new Set(blocks.map((b) => b.id)).size).toBe(5);
      const { context } = yield* sequencer.snapshot;
      expect(context.nextSlot).toBe(5);
      expect(context.feesProposed).toBe(blocks.reduce((sum, b) => sum + b.payload.fees, 0n));
    }).pipe(Effect.provide(Layer.fresh(EmbeddedEventLog.layer()))),
  );

  it.scoped("one big jump of virtual time proposes every slot it crossed, in order", () =>
    Effect.gen(function* () {
      const log = yield* EventLog;
      yield* log.createTopics(protocolTopicSpecs);
      const net = network();
      const sequencer = yield* runSequencer(net);
      yield* TestClock.adjust(slotStart(net, 6));
      for (let i = 0; i < 8; i++) yield* sequencer.idle;
      expect((yield* blocksIn(log)).map((b) => b.payload.block)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    }).pipe(Effect.provide(Layer.fresh(EmbeddedEventLog.layer()))),
  );

  it.scoped("a restart replays, emits nothing while replaying, keeps its state hash and resumes at the next slot", () =>
    Effect.gen(function* () {
      const log = yield* EventLog;
      yield* log.createTopics(protocolTopicSpecs);
      const net = network();
      const before = yield* Effect.scoped(
        Effect.gen(function* () {
          const sequencer = yield* runSequencer(net);
          yield* advanceTo(slotStart(net, 2), sequencer.idle);
          return yield* sequencer.stateHash;
        }),
      );
      expect((yield* blocksIn(log)).map((b) => b.payload.block)).toEqual([0, 1, 2]);

      const scope = yield* Scope.make();
      const sequencer = yield* runSequencer(net).pipe(Scope.extend(scope));
      yield* sequencer.idle;
      expect(sequencer.replayed).toBe(3);
      expect(yield* sequencer.stateHash).toBe(before);
      expect(yield* blocksIn(log)).toHaveLength(3);

      yield* advanceTo(slotStart(net, 4), sequencer.idle);
      const blocks = yield* blocksIn(log);
      expect(blocks.map((b) => [b.payload.block, b.time])).toEqual([0, 1, 2, 3, 4].map((s) => [s, slotStart(net, s)]));

      // The same log, byte for byte, as a run that was never interrupted.
      const restarted = yield* log.exportJsonl(["l2.blocks"]);
      yield* Scope.close(scope, Exit.void);
      expect(restarted).toBe(yield* runFor(net, 5));
    }).pipe(Effect.provide(Layer.fresh(EmbeddedEventLog.layer()))),
  );

  it.scoped("a sequencer that was down proposes the slots it missed at once on restart, then keeps to the slot clock", () =>
    Effect.gen(function* () {
      const log = yield* EventLog;
      yield* log.createTopics(protocolTopicSpecs);
      const net = network();
      yield* Effect.scoped(
        Effect.gen(function* () {
          const sequencer = yield* runSequencer(net);
          yield* advanceTo(slotStart(net, 1), sequencer.idle);
        }),
      );
      yield* TestClock.adjust(3 * SLOT + 500); // down through slots 2, 3 and 4
      const sequencer = yield* runSequencer(net);
      for (let i = 0; i < 4; i++) yield* sequencer.idle;
      const restartedAt = slotStart(net, 4) + 500;
      expect((yield* blocksIn(log)).map((b) => [b.payload.block, b.time])).toEqual([
        [0, slotStart(net, 0)],
        [1, slotStart(net, 1)],
        [2, restartedAt],
        [3, restartedAt],
        [4, restartedAt],
      ]);
      yield* advanceTo(slotStart(net, 5), sequencer.idle);
      const blocks = yield* blocksIn(log);
      expect(blocks.map((b) => b.payload.block)).toEqual([0, 1, 2, 3, 4, 5]);
      expect(blocks.at(-1)?.time).toBe(slotStart(net, 5));
    }).pipe(Effect.provide(Layer.fresh(EmbeddedEventLog.layer()))),
  );

  it.scoped("stops after network.slots blocks", () =>
    Effect.gen(function* () {
      const log = yield* EventLog;
      yield* log.createTopics(protocolTopicSpecs);
      const net = network({ slots: 3 });
      const sequencer = yield* runSequencer(net);
      yield* advanceTo(slotStart(net, 10), sequencer.idle);
      expect((yield* blocksIn(log)).map((b) => b.payload.block)).toEqual([0, 1, 2]);
      expect((yield* sequencer.snapshot).value).toBe("finished");
    }).pipe(Effect.provide(Layer.fresh(EmbeddedEventLog.layer()))),
  );

  it.effect("the same seed gives the same events, ids and payloads; another seed other transactions", () =>
    Effect.gen(function* () {
      const first = yield* runFor(network(), 6);
      const second = yield* runFor(network(), 6);
      expect(first.trim().split("\n")).toHaveLength(6);
      expect(second).toBe(first);
      const other = yield* runFor(network({ seed: "another seed" }), 6);
      expect(other).not.toBe(first);
    }),
  );

  it.scoped("counts BlockFinalized from l1.events, live and on replay", () =>
    Effect.gen(function* () {
      const log = yield* EventLog;
      yield* log.createTopics(protocolTopicSpecs);
      const net = network();
      const finalize = (block: number) =>
        Effect.flatMap(
          makeEvent({
            type: "BlockFinalized",
            source: "l1-settlement",
            causationId: null,
            position: block,
            correlationId: `block-${block}`,
            slot: (block + 3) as Slot,
            payload: { block: block as BlockNumber, slot: (block + 3) as Slot },
          }),
          (event) => appendEvent(log, event),
        );
      yield* finalize(0);
      const sequencer = yield* runSequencer(net);
      yield* finalize(1);
      yield* advanceTo(slotStart(net, 0), sequencer.idle);
      expect((yield* sequencer.snapshot).context).toMatchObject({ finalized: 2, lastFinalized: 1 });
      expect(definition(net).inputs).toEqual(["l2.blocks", "l1.events"]);
    }).pipe(Effect.provide(Layer.fresh(EmbeddedEventLog.layer()))),
  );

  it.scoped("re-proposes a reorged-out block's transactions in the next slot's block, once, and a restart neither repeats nor forgets it", () =>
    Effect.gen(function* () {
      const log = yield* EventLog;
      yield* log.createTopics(protocolTopicSpecs);
      const net = network();
      const reorg = (block: number, position: number) =>
        Effect.flatMap(
          makeEvent({
            type: "BlockReorgedOut",
            source: "l1-settlement",
            causationId: null,
            position,
            correlationId: `block-${block}`,
            slot: 0 as Slot,
            payload: { block: block as BlockNumber, slot: 0 as Slot, reason: "proving-window-expired" },
          }),
          (event) => appendEvent(log, event),
        );
      const before = yield* Effect.scoped(
        Effect.gen(function* () {
          const sequencer = yield* runSequencer(net);
          yield* advanceTo(slotStart(net, 2) + 500, sequencer.idle);
          yield* reorg(1, 1);
          yield* sequencer.idle;
          yield* advanceTo(slotStart(net, 3), sequencer.idle);
          yield* reorg(0, 2); // waits for slot 4
          yield* sequencer.idle;
          return yield* sequencer.stateHash;
        }),
      );
      const original = (b: number) => blockTransactions(net.seed, b, net.params.txPerBlock);
      let blocks = yield* blocksIn(log);
      expect(blocks.map((b) => b.payload.block)).toEqual([0, 1, 2, 3]);
      expect(blocks[3]?.payload).toMatchObject({ block: 3, fees: original(1).fees, txHashes: original(1).txHashes });

      const sequencer = yield* runSequencer(net);
      yield* sequencer.idle;
      expect(yield* sequencer.stateHash).toBe(before);
      expect((yield* sequencer.snapshot).context.reproposals.map((r) => r.block)).toEqual([0]);
      yield* advanceTo(slotStart(net, 6), sequencer.idle);
      blocks = yield* blocksIn(log);
      expect(blocks.map((b) => b.payload.txHashes[0])).toEqual([0, 1, 2, 1, 0, 5, 6].map((b) => original(b).txHashes[0]));
      expect((yield* sequencer.snapshot).context).toMatchObject({ reproposals: [], carried: { "3": 1, "4": 0 }, reorged: [1, 0] });
    }).pipe(Effect.provide(Layer.fresh(EmbeddedEventLog.layer()))),
  );
});
