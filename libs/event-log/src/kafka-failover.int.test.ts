import { expect, layer } from "@effect/vitest";
import { Effect } from "effect";
import { KafkaCluster } from "@zk-testnet/kafka";
import { makeKafkaLog } from "./kafka.ts";
import { memoryDedupe } from "./model.ts";
import { eventually, testCodec, testEvent, uniqueName, type TestEvent } from "./testing.ts";

const TOTAL = 3_000;
const CHUNK = 100;
const VICTIM = 2;

layer(KafkaCluster.threeNodes, { excludeTestServices: true, timeout: "300 seconds" })("Kafka adapter on a 3-broker cluster", (it) => {
  it.effect("loses no acknowledged append when a broker is SIGKILLed during appends", () =>
    Effect.gen(function* () {
      const cluster = yield* KafkaCluster;
      const log = yield* makeKafkaLog({ brokers: cluster.brokers, clientId: "failover", appendBudget: "60 seconds" });
      const topic = uniqueName("failover");
      yield* log.createTopics([{ name: topic, partitions: 3 }]);

      const acknowledged = new Set<string>();
      const failed: string[] = [];
      for (let start = 0; start < TOTAL; start += CHUNK) {
        if (start === TOTAL / 3) yield* cluster.kill(VICTIM);
        if (start === (2 * TOTAL) / 3) yield* cluster.restart(VICTIM);
        const events = Array.from({ length: CHUNK }, (_, i) => testEvent(`block-${(start + i) % 11}`, start + i));
        yield* Effect.forEach(
          events,
          (e) =>
            log.append(topic, e.key, JSON.stringify(e)).pipe(
              Effect.match({ onFailure: () => void failed.push(e.id), onSuccess: () => void acknowledged.add(e.id) }),
            ),
          { concurrency: "unbounded" },
        );
      }
      // The adapter retries within its budget: every append is acknowledged in the end.
      expect(failed).toEqual([]);
      expect(acknowledged.size).toBe(TOTAL);

      // A fresh consumer sees each acknowledged event; resends of a failed attempt are dropped as duplicates.
      const seen: TestEvent[] = [];
      const sub = yield* log.subscribe({
        group: uniqueName("readers"),
        topics: [topic],
        codec: testCodec,
        dedupe: memoryDedupe(),
        handler: (e) => Effect.sync(() => void seen.push(e)),
      });
      yield* eventually(() => seen.length >= TOTAL, "120 seconds", "every acknowledged event");
      const ids = new Set(seen.map((e) => e.id));
      expect([...acknowledged].filter((id) => !ids.has(id))).toEqual([]);
      expect(seen.length).toBe(ids.size);
      const stats = yield* sub.stats;
      expect(stats.deadLettered).toBe(0);
    }).pipe(Effect.scoped),
  );
});
