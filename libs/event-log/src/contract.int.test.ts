import { describe, expect, layer } from "@effect/vitest";
import { Deferred, Effect, type Scope } from "effect";
import { KafkaCluster, startCluster, stopCluster } from "@zk-testnet/kafka";
import { makeEmbeddedLog } from "./embedded.ts";
import { sha256 } from "./jsonl.ts";
import { makeKafkaLog } from "./kafka.ts";
import { memoryDedupe, type LogRecord } from "./model.ts";
import type { EventLogApi } from "./port.ts";
import { eventually, testCodec, testEvent, uniqueName, type TestEvent } from "./testing.ts";

type Adapter = "embedded" | "kafka";

const open = (adapter: Adapter): Effect.Effect<EventLogApi, unknown, KafkaCluster | Scope.Scope> =>
  adapter === "embedded"
    ? makeEmbeddedLog()
    : Effect.flatMap(KafkaCluster, (cluster) => makeKafkaLog({ brokers: cluster.brokers, clientId: "contract" }));

/** A second, empty log of the same kind: a new instance, or a log on a second broker. */
const openEmpty = (adapter: Adapter): Effect.Effect<EventLogApi, unknown, Scope.Scope> =>
  adapter === "embedded"
    ? makeEmbeddedLog()
    : Effect.acquireRelease(startCluster({ nodes: 1, label: "import-target" }), (l) => stopCluster(l, true)).pipe(
        Effect.flatMap((layout) => makeKafkaLog({ brokers: layout.bootstrap.split(","), clientId: "contract-import" })),
      );

const collect = (log: EventLogApi, group: string, topics: readonly string[], seen: TestEvent[], dedupe = memoryDedupe(), everyRecords = 1) =>
  log.subscribe({
    group,
    topics,
    codec: testCodec,
    dedupe,
    commit: { everyRecords },
    handler: (event) => Effect.sync(() => void seen.push(event)),
  });

layer(KafkaCluster.single, { excludeTestServices: true, timeout: "240 seconds" })("EventLog contract", (it) => {
  describe.each(["embedded", "kafka"] as const)("%s adapter", (adapter) => {
    it.effect("delivers records of one key in the order they were appended", () =>
      Effect.gen(function* () {
        const log = yield* open(adapter);
        const topic = uniqueName("order");
        yield* log.createTopics([{ name: topic, partitions: 4 }]);
        const keys = ["block-1", "block-2", "block-3", "block-4", "block-5"];
        for (let n = 0; n < 40; n++) {
          yield* Effect.forEach(keys, (k) => log.append(topic, k, JSON.stringify(testEvent(k, n))), { concurrency: "unbounded" });
        }
        const seen: TestEvent[] = [];
        yield* collect(log, uniqueName("g"), [topic], seen);
        yield* eventually(() => seen.length === keys.length * 40, "60 seconds", "all records");
        for (const k of keys) {
          expect(seen.filter((e) => e.key === k).map((e) => e.n)).toEqual(Array.from({ length: 40 }, (_, i) => i));
        }
      }).pipe(Effect.scoped),
    );

    it.effect("appends a batch in order and returns each record's partition and offset", () =>
      Effect.gen(function* () {
        const log = yield* open(adapter);
        const topic = uniqueName("batch");
        yield* log.createTopics([{ name: topic, partitions: 3 }]);
        const events = Array.from({ length: 90 }, (_, n) => testEvent(`k${n % 4}`, n));
        const results = yield* log.appendBatch(events.map((e) => ({ topic, key: e.key, value: JSON.stringify(e) })));
        expect(results).toHaveLength(90);
        const records = yield* log.read(topic);
        for (const [i, r] of results.entries()) {
          const stored = records.find((x) => x.partition === r.partition && x.offset === r.offset);
          expect(stored?.value).toBe(JSON.stringify(events[i]));
        }
        for (const k of ["k0", "k1", "k2", "k3"]) {
          const ns = records.filter((r) => r.key === k).map((r) => (JSON.parse(r.value) as TestEvent).n);
          expect(ns).toEqual([...ns].sort((a, b) => a - b));
          expect(ns).toHaveLength(events.filter((e) => e.key === k).length);
        }
      }).pipe(Effect.scoped),
    );

    it.effect("delivers every appended record to every consumer group", () =>
      Effect.gen(function* () {
        const log = yield* open(adapter);
        const topic = uniqueName("fanout");
        yield* log.createTopics([{ name: topic, partitions: 3 }]);
        const a: TestEvent[] = [];
        const b: TestEvent[] = [];
        yield* collect(log, uniqueName("ga"), [topic], a);
        yield* collect(log, uniqueName("gb"), [topic], b);
        yield* Effect.forEach(Array.from({ length: 60 }, (_, n) => testEvent(`k${n % 7}`, n)), (e) => log.append(topic, e.key, JSON.stringify(e)), {
          concurrency: 8,
        });
        yield* eventually(() => a.length === 60 && b.length === 60, "60 seconds", "both groups");
        expect(new Set(a.map((e) => e.id)).size).toBe(60);
        expect(new Set(b.map((e) => e.id))).toEqual(new Set(a.map((e) => e.id)));
      }).pipe(Effect.scoped),
    );

    it.effect("redelivers what a dead consumer handled but did not commit, and the dedupe drops it", () =>
      Effect.gen(function* () {
        const log = yield* open(adapter);
        const topic = uniqueName("alo");
        const group = uniqueName("g");
        yield* log.createTopics([{ name: topic, partitions: 2 }]);
        for (let n = 0; n < 5; n++) yield* log.append(topic, `k${n % 2}`, JSON.stringify(testEvent(`k${n % 2}`, n)));

        // The service's state (here: its dedupe store) survives; the consumer does not.
        const dedupe = memoryDedupe();
        const handled: TestEvent[] = [];
        const first = yield* collect(log, group, [topic], handled, dedupe, 1_000);
        yield* eventually(() => handled.length === 5, "60 seconds", "first consumer");
        yield* first.crash;
        expect((yield* first.stats).committed).toEqual({});

        const second = yield* collect(log, group, [topic], handled, dedupe, 1);
        yield* eventually(() => Effect.runSync(second.stats).duplicates === 5, "60 seconds", "redelivery");
        const stats = yield* second.stats;
        expect(stats.delivered).toBe(5);
        expect(handled.map((e) => e.id).sort()).toEqual(["k0#0", "k0#2", "k0#4", "k1#1", "k1#3"]);

        // New records after the redelivery are handled normally.
        yield* log.append(topic, "k0", JSON.stringify(testEvent("k0", 5)));
        yield* eventually(() => handled.length === 6, "60 seconds", "new record");
      }).pipe(Effect.scoped),
    );

    it.effect("sends records that fail to decode to <topic>.dlq and goes on with later good records", () =>
      Effect.gen(function* () {
        const log = yield* open(adapter);
        const topic = uniqueName("dlq");
        yield* log.createTopics([{ name: topic, partitions: 2 }]);
        const seen: TestEvent[] = [];
        yield* collect(log, uniqueName("g"), [topic], seen);
        yield* log.append(topic, "k", JSON.stringify(testEvent("k", 1)));
        const bad1 = yield* log.append(topic, "k", "{not json");
        const bad2 = yield* log.append(topic, "k", JSON.stringify({ id: "x", key: "k", n: "three" }));
        yield* log.append(topic, "k", JSON.stringify(testEvent("k", 2)));
        yield* eventually(() => seen.length === 2, "60 seconds", "good records");
        expect(seen.map((e) => e.n)).toEqual([1, 2]);

        let dead: readonly LogRecord[] = [];
        yield* eventually(() => dead.length === 2, "60 seconds", "dead letters").pipe(
          Effect.raceFirst(
            Effect.forever(
              log.read(`${topic}.dlq`).pipe(
                Effect.tap((r) => Effect.sync(() => (dead = r))),
                Effect.zipRight(Effect.sleep("100 millis")),
              ),
            ),
          ),
        );
        const letters = dead.map((r) => JSON.parse(r.value) as Record<string, unknown>).sort((x, y) => Number(x["offset"]) - Number(y["offset"]));
        expect(letters.map((l) => l["reason"])).toEqual(["bad-json", "schema-violation"]);
        expect(letters.map((l) => l["offset"])).toEqual([bad1.offset, bad2.offset]);
        expect(Buffer.from(String(letters[0]!["original"]), "base64").toString()).toBe("{not json");
        expect(letters.every((l) => l["topic"] === topic)).toBe(true);
      }).pipe(Effect.scoped),
    );

    it.effect("export then import into an empty log gives an identical log", () =>
      Effect.gen(function* () {
        const log = yield* open(adapter);
        const topics = [uniqueName("exp-a"), uniqueName("exp-b")];
        yield* log.createTopics([
          { name: topics[0]!, partitions: 3 },
          { name: topics[1]!, partitions: 1 },
        ]);
        for (let n = 0; n < 30; n++) yield* log.append(topics[n % 2]!, `k${n % 5}`, JSON.stringify(testEvent(`k${n % 5}`, n)));
        yield* log.append(topics[0]!, "k0", "malformed \u0000 bytes");
        const exported = yield* log.exportJsonl(topics);
        expect(exported.trim().split("\n")).toHaveLength(31);

        const target = yield* openEmpty(adapter);
        expect(yield* target.importJsonl(exported)).toBe(31);
        const again = yield* target.exportJsonl(topics);
        expect(sha256(again)).toBe(sha256(exported));
      }).pipe(Effect.scoped),
    );

    it.effect("rejects an append to a missing topic and an oversized record with typed errors", () =>
      Effect.gen(function* () {
        const log = yield* open(adapter);
        const topic = uniqueName("limits");
        yield* log.createTopics([{ name: topic, partitions: 1 }]);
        const missing = yield* Effect.flip(log.append(uniqueName("nope"), "k", "{}"));
        expect(missing._tag).toBe("TopicMissing");
        const large = yield* Effect.flip(log.append(topic, "k", "x".repeat(2 * 1024 * 1024)));
        expect(large._tag).toBe("RecordTooLarge");
      }).pipe(Effect.scoped),
    );
  });

  // A service host appends its outputs after its handler returns (over Kafka): what it handled
  // is committed only once `beforeCommit` says those outputs are in the log.
  it.effect("kafka adapter: commits handled offsets only once beforeCommit resolves", () =>
    Effect.gen(function* () {
      const log = yield* open("kafka");
      const topic = uniqueName("held");
      const group = uniqueName("g");
      yield* log.createTopics([{ name: topic, partitions: 1 }]);
      const written = yield* Deferred.make<void>();
      const seen: TestEvent[] = [];
      let asked = 0;
      const subscription = yield* log.subscribe({
        group,
        topics: [topic],
        codec: testCodec,
        beforeCommit: Effect.zipRight(
          Effect.sync(() => void asked++),
          Deferred.await(written),
        ),
        handler: (event) => Effect.sync(() => void seen.push(event)),
      });
      for (let n = 0; n < 3; n++) yield* log.append(topic, "k", JSON.stringify(testEvent("k", n)));
      yield* eventually(() => seen.length === 3 && asked > 0, "60 seconds", "handled, and a commit begun");
      // Handled, and a commit begun, but it may not land yet.
      expect((yield* subscription.stats).committed).toEqual({});
      expect((yield* log.committed(group, topic)).size).toBe(0);
      yield* Deferred.succeed(written, undefined);
      yield* eventually(() => Effect.runSync(subscription.stats).committed[`${topic}/0`] === 3, "60 seconds", "committed");
      expect((yield* log.committed(group, topic)).get(0)).toBe(3);
    }).pipe(Effect.scoped),
  );
});
