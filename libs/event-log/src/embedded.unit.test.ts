import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "@effect/vitest";
import { Effect, Fiber, TestClock } from "effect";
import { makeEmbeddedLog } from "./embedded.ts";
import { sha256 } from "./jsonl.ts";
import { memoryDedupe } from "./model.ts";
import { testCodec, testEvent, type TestEvent } from "./testing.ts";

const drain = Effect.repeatN(Effect.yieldNow(), 50);

describe("embedded event log", () => {
  it.scoped("delivers in append order across partitions, with no timers, under TestClock", () =>
    Effect.gen(function* () {
      const log = yield* makeEmbeddedLog();
      yield* log.createTopics([{ name: "t", partitions: 4 }]);
      const seen: string[] = [];
      yield* log.subscribe({ group: "g", topics: ["t"], codec: testCodec, handler: (e) => Effect.sync(() => void seen.push(e.id)) });
      const appended: string[] = [];
      for (let n = 0; n < 20; n++) {
        const e = testEvent(`k${n % 5}`, n);
        appended.push(e.id);
        yield* log.append("t", e.key, JSON.stringify(e));
      }
      yield* drain;
      expect(seen).toEqual(appended);
      // Virtual time never moved, and nothing was waiting on it.
      expect(yield* TestClock.currentTimeMillis).toBe(0);
    }),
  );

  it.scoped("resumes a stopped run from its segment files: records and committed offsets", () =>
    Effect.gen(function* () {
      const dir = mkdtempSync(join(tmpdir(), "zkt-embedded-"));
      yield* Effect.addFinalizer(() => Effect.sync(() => rmSync(dir, { recursive: true, force: true })));
      const first: TestEvent[] = [];
      const exported = yield* Effect.scoped(
        Effect.gen(function* () {
          const log = yield* makeEmbeddedLog({ dir });
          yield* log.createTopics([{ name: "t", partitions: 2 }]);
          for (let n = 0; n < 6; n++) yield* log.append("t", `k${n % 3}`, JSON.stringify(testEvent(`k${n % 3}`, n)));
          const sub = yield* log.subscribe({ group: "g", topics: ["t"], codec: testCodec, handler: (e) => Effect.sync(() => void first.push(e)) });
          yield* drain;
          yield* sub.close;
          return yield* log.exportJsonl();
        }),
      );
      expect(first).toHaveLength(6);

      const resumed = yield* makeEmbeddedLog({ dir });
      expect(sha256(yield* resumed.exportJsonl())).toBe(sha256(exported));
      yield* resumed.append("t", "k9", JSON.stringify(testEvent("k9", 6)));
      const second: TestEvent[] = [];
      yield* resumed.subscribe({ group: "g", topics: ["t"], codec: testCodec, handler: (e) => Effect.sync(() => void second.push(e)) });
      yield* drain;
      // The group's committed offsets survived: only the new record is delivered.
      expect(second.map((e) => e.id)).toEqual(["k9#6"]);
    }),
  );

  it.scoped("splits partitions between two members of a group and hands them over when one leaves", () =>
    Effect.gen(function* () {
      const log = yield* makeEmbeddedLog();
      yield* log.createTopics([{ name: "t", partitions: 4 }]);
      const a: string[] = [];
      const b: string[] = [];
      const dedupe = memoryDedupe();
      const subA = yield* log.subscribe({ group: "g", topics: ["t"], codec: testCodec, dedupe, handler: (e) => Effect.sync(() => void a.push(e.id)) });
      yield* log.subscribe({ group: "g", topics: ["t"], codec: testCodec, dedupe, handler: (e) => Effect.sync(() => void b.push(e.id)) });
      for (let n = 0; n < 40; n++) yield* log.append("t", `key-${n}`, JSON.stringify(testEvent(`key-${n}`, n)));
      yield* drain;
      expect(a.length).toBeGreaterThan(0);
      expect(b.length).toBeGreaterThan(0);
      expect(new Set([...a, ...b]).size).toBe(40);
      yield* subA.close;
      for (let n = 40; n < 60; n++) yield* log.append("t", `key-${n}`, JSON.stringify(testEvent(`key-${n}`, n)));
      yield* drain;
      expect(new Set([...a, ...b]).size).toBe(60);
      expect(b.filter((id) => Number(id.split("#")[1]) >= 40)).toHaveLength(20);
    }),
  );

  it.scoped("a handler that keeps failing dead-letters its record and consumption goes on", () =>
    Effect.gen(function* () {
      const log = yield* makeEmbeddedLog();
      yield* log.createTopics([{ name: "t", partitions: 1 }]);
      const seen: number[] = [];
      const sub = yield* log.subscribe({
        group: "g",
        topics: ["t"],
        codec: testCodec,
        handler: (e) => (e.n === 1 ? Effect.fail("boom") : Effect.sync(() => void seen.push(e.n))),
      });
      for (let n = 0; n < 3; n++) yield* log.append("t", "k", JSON.stringify(testEvent("k", n)));
      const fiber = yield* Effect.fork(drain);
      yield* TestClock.adjust("10 seconds"); // the handler's retry backoff runs on the clock
      yield* Fiber.join(fiber);
      yield* drain;
      expect(seen).toEqual([0, 2]);
      expect((yield* sub.stats).deadLettered).toBe(1);
      const dead = yield* log.read("t.dlq");
      expect(JSON.parse(dead[0]!.value).reason).toBe("handler-failed");
    }),
  );
});
