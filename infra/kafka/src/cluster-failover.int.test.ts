import { expect, layer } from "@effect/vitest";
import { Effect } from "effect";
import kafkajs from "kafkajs";
import { KafkaCluster } from "./cluster.ts";
import { printBrokerLogsOnFailure } from "./testing.ts";

const { Kafka, Partitioners, logLevel } = kafkajs;

const BATCHES = 30;
const DEADLINE_MS = 150_000;
const PER_BATCH = 100;
const KILL_AFTER = 10;
const RESTART_AFTER = 20;
const VICTIM = 2;

layer(KafkaCluster.threeNodes, { excludeTestServices: true, timeout: "240 seconds" })("3-broker KRaft cluster", (it) => {
  it.effect("with acks=all, a broker SIGKILLed mid-production loses no acknowledged message and duplicates none", () =>
    Effect.gen(function* () {
      const cluster = yield* KafkaCluster;
      yield* printBrokerLogsOnFailure(cluster);
      const kafka = new Kafka({
        clientId: "failover-test",
        brokers: [...cluster.brokers],
        logLevel: logLevel.NOTHING,
        retry: { retries: 8, initialRetryTime: 100, maxRetryTime: 1_000 },
      });
      const topic = "failover";
      const admin = kafka.admin();
      // No client-side retries: a send either succeeds once (acknowledged) or fails and is never
      // sent again, so an acknowledged message cannot have been written twice by a retry.
      const producer = kafka.producer({
        createPartitioner: Partitioners.DefaultPartitioner,
        retry: { retries: 0 },
      });
      yield* Effect.acquireRelease(
        Effect.promise(() => Promise.all([admin.connect(), producer.connect()])),
        () => Effect.promise(() => Promise.allSettled([admin.disconnect(), producer.disconnect()])),
      );
      yield* Effect.promise(() =>
        admin.createTopics({
          topics: [{ topic, numPartitions: 3, replicationFactor: 3, configEntries: [{ name: "min.insync.replicas", value: "2" }] }],
          waitForLeaders: true,
        }),
      );

      const acknowledged = new Set<string>();
      const unacknowledged = new Set<string>();
      let batch = 0;
      let killed = false;
      let restarted = false;
      // Produce until BATCHES batches were acknowledged: the broker dies after KILL_AFTER of them
      // and comes back after RESTART_AFTER; sends that fail meanwhile are counted, never resent.
      const failures: string[] = [];
      const deadline = Date.now() + DEADLINE_MS;
      for (; Date.now() < deadline && acknowledged.size < BATCHES * PER_BATCH; batch++) {
        if (!killed && acknowledged.size >= KILL_AFTER * PER_BATCH) {
          yield* cluster.kill(VICTIM);
          killed = true;
        }
        if (!restarted && acknowledged.size >= RESTART_AFTER * PER_BATCH) {
          yield* cluster.restart(VICTIM);
          restarted = true;
        }
        const messages = Array.from({ length: PER_BATCH }, (_, i) => ({
          key: `k-${(batch * PER_BATCH + i) % 17}`,
          value: `m-${batch}-${i}`,
        }));
        const ok = yield* Effect.promise(() =>
          producer.send({ topic, acks: -1, messages }).then(
            () => true,
            (error: Error) => {
              failures.push(error.message);
              return false;
            },
          ),
        );
        for (const m of messages) (ok ? acknowledged : unacknowledged).add(m.value);
        // Back off after a failed send, as a producer would, while leadership moves.
        if (!ok) yield* Effect.sleep("200 millis");
      }
      expect(killed && restarted, `sends failed: ${failures.slice(-3).join(" | ")}`).toBe(true);
      expect(acknowledged.size).toBe(BATCHES * PER_BATCH);

      // A fresh consumer reads every partition up to its high watermark.
      const ends = yield* Effect.promise(() => admin.fetchTopicOffsets(topic));
      const remaining = new Map(ends.filter((p) => Number(p.high) > 0).map((p) => [p.partition, Number(p.high)]));
      const seen = new Map<string, number>();
      const consumer = kafka.consumer({ groupId: `failover-readers-${Date.now()}` });
      yield* Effect.acquireRelease(Effect.promise(() => consumer.connect()), () =>
        Effect.promise(() => consumer.disconnect()),
      );
      yield* Effect.async<void>((resume) => {
        void consumer.subscribe({ topic, fromBeginning: true }).then(() =>
          consumer.run({
            eachMessage: async ({ partition, message }) => {
              const value = message.value!.toString();
              seen.set(value, (seen.get(value) ?? 0) + 1);
              if (Number(message.offset) + 1 >= (remaining.get(partition) ?? Infinity)) remaining.delete(partition);
              if (remaining.size === 0) resume(Effect.void);
            },
          }),
        );
      });

      const lost = [...acknowledged].filter((v) => !seen.has(v));
      const duplicated = [...seen].filter(([, n]) => n > 1).map(([v]) => v);
      const unknown = [...seen.keys()].filter((v) => !acknowledged.has(v) && !unacknowledged.has(v));
      expect(lost).toEqual([]);
      expect(duplicated).toEqual([]);
      expect(unknown).toEqual([]);
      expect([...seen.keys()].filter((v) => acknowledged.has(v)).length).toBe(acknowledged.size);
    }).pipe(Effect.scoped),
  );
});
