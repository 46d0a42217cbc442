import { describe, expect, it } from "@effect/vitest";
import { Effect, TestClock } from "effect";
import { makeRng } from "@zk-testnet/mechanisms";
import { withDeliveryFaults, type DeliveryFault } from "./delivery-faults.ts";
import { makeEmbeddedLog } from "./embedded.ts";
import { dlqTopicOf } from "./model.ts";
import { testCodec, testEvent, type TestEvent } from "./testing.ts";

const drain = Effect.repeatN(Effect.yieldNow(), 100);

/** A log with `fault` in force on topic "t" (4 partitions) and one subscriber recording what it handles. */
const setup = (fault: DeliveryFault | undefined, seed = "delivery") =>
  Effect.gen(function* () {
    const inner = yield* makeEmbeddedLog();
    yield* inner.createTopics([
      { name: "t", partitions: 4 },
      { name: "u", partitions: 1 },
    ]);
    const { log, control } = yield* withDeliveryFaults(inner, { random: makeRng(seed) });
    if (fault !== undefined) yield* control.inject("t", fault);
    const seen: string[] = [];
    let calls = 0;
    const subscription = yield* log.subscribe({
      group: "g",
      topics: ["t", "u"],
      codec: testCodec,
      handler: (e: TestEvent) =>
        Effect.sync(() => {
          calls++;
          seen.push(e.id);
        }),
    });
    const append = (topic: string, n: number) => {
      const e = testEvent(`k${n % 5}`, n);
      return Effect.as(log.append(topic, e.key, JSON.stringify(e)), e.id);
    };
    return { inner, log, control, seen, calls: () => calls, subscription, append };
  });

describe("delivery faults over the embedded log", () => {
  it.scoped("with no fault in force, delivery is the inner log's", () =>
    Effect.gen(function* () {
      const s = yield* setup(undefined);
      const appended: string[] = [];
      for (let n = 0; n < 12; n++) appended.push(yield* s.append("t", n));
      yield* drain;
      expect(s.seen).toEqual(appended);
    }),
  );

  it.scoped("duplicate: every record comes twice; the subscriber's dedupe on event id drops the copy", () =>
    Effect.gen(function* () {
      const s = yield* setup({ kind: "duplicate" });
      const appended: string[] = [];
      for (let n = 0; n < 8; n++) appended.push(yield* s.append("t", n));
      yield* drain;
      expect(s.seen).toEqual(appended);
      expect(s.calls()).toBe(8);
      const stats = yield* s.subscription.stats;
      expect(stats).toMatchObject({ delivered: 16, handled: 8, duplicates: 8 });
    }),
  );

  it.scoped("reorder: a full window is delivered shuffled (seeded); a partial one at the next Clock tick", () =>
    Effect.gen(function* () {
      const orderOf = (seed: string) =>
        Effect.scoped(
          Effect.gen(function* () {
            const s = yield* setup({ kind: "reorder", window: 4 }, seed);
            const appended: string[] = [];
            for (let n = 0; n < 10; n++) appended.push(yield* s.append("t", n));
            yield* drain;
            // Two full windows are out; the last two wait for time to move.
            expect(s.seen).toHaveLength(8);
            expect([...s.seen].sort()).toEqual(appended.slice(0, 8).sort());
            yield* TestClock.adjust(1);
            yield* drain;
            expect([...s.seen].sort()).toEqual([...appended].sort());
            return { seen: [...s.seen], appended };
          }),
        );
      const a = yield* orderOf("seed-a");
      expect(a.seen).not.toEqual(a.appended);
      expect((yield* orderOf("seed-a")).seen).toEqual(a.seen);
    }),
  );

  it.scoped("reorder with a longer hold: a partial window waits up to `holdMs` of Clock time", () =>
    Effect.gen(function* () {
      const s = yield* setup({ kind: "reorder", window: 10, holdMs: 250 });
      const appended: string[] = [];
      for (let n = 0; n < 3; n++) appended.push(yield* s.append("t", n));
      yield* TestClock.adjust(249);
      yield* drain;
      expect(s.seen).toEqual([]);
      yield* TestClock.adjust(1);
      yield* drain;
      expect([...s.seen].sort()).toEqual([...appended].sort());
    }),
  );

  it.scoped("delay: records come `ms` of Clock time late, in order; other topics are not held", () =>
    Effect.gen(function* () {
      const s = yield* setup({ kind: "delay", ms: 500 });
      const delayed: string[] = [];
      for (let n = 0; n < 3; n++) delayed.push(yield* s.append("t", n));
      yield* TestClock.adjust(200);
      for (let n = 3; n < 5; n++) delayed.push(yield* s.append("t", n));
      const other = yield* s.append("u", 9);
      yield* drain;
      expect(s.seen).toEqual([other]);
      yield* TestClock.adjust(300);
      yield* drain;
      expect(s.seen).toEqual([other, ...delayed.slice(0, 3)]);
      yield* TestClock.adjust(200);
      yield* drain;
      expect(s.seen).toEqual([other, ...delayed]);
    }),
  );

  it.scoped("healing switches a fault off at run time; overlapping faults heal oldest first", () =>
    Effect.gen(function* () {
      const s = yield* setup({ kind: "delay", ms: 100 });
      yield* s.control.inject("t", { kind: "delay", ms: 50 });
      expect((yield* s.control.active).get("t")).toEqual([{ kind: "delay", ms: 50 }]);
      yield* s.control.heal("t", "delay");
      expect((yield* s.control.active).get("t")).toEqual([{ kind: "delay", ms: 50 }]);
      yield* s.control.heal("t", "delay");
      expect((yield* s.control.active).get("t")).toBeUndefined();
      const id = yield* s.append("t", 1);
      yield* drain;
      expect(s.seen).toEqual([id]);
    }),
  );

  it.scoped("a record that does not decode still goes to the topic's DLQ, once per delivery", () =>
    Effect.gen(function* () {
      const s = yield* setup({ kind: "duplicate" });
      yield* s.log.append("t", "bad", "{not json");
      yield* drain;
      const dlq = yield* s.inner.read(dlqTopicOf("t"));
      expect(dlq.map((r) => (JSON.parse(r.value) as { reason: string }).reason)).toEqual(["bad-json", "bad-json"]);
      expect(s.seen).toEqual([]);
    }),
  );
});
