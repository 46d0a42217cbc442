import { expect, layer } from "@effect/vitest";
import { Effect } from "effect";
import kafkajs from "kafkajs";
import { KafkaCluster } from "./cluster.ts";
import { printBrokerLogsOnFailure } from "./testing.ts";

const { Kafka, Partitioners, logLevel } = kafkajs;

const KEYS = 100;
const PER_KEY = 100;

layer(KafkaCluster.single, { excludeTestServices: true, timeout: "180 seconds" })("single KRaft broker", (it) => {
  it.effect("a consumer group reads back 10,000 keyed messages, in order per key", () =>
    Effect.gen(function* () {
      const cluster = yield* KafkaCluster;
      yield* printBrokerLogsOnFailure(cluster);
      const kafka = new Kafka({ clientId: "single-broker-test", brokers: [...cluster.brokers], logLevel: logLevel.NOTHING });
      const topic = "keyed-order";
      const admin = kafka.admin();
      const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
      const consumer = kafka.consumer({ groupId: "keyed-order-readers" });

      yield* Effect.acquireRelease(
        Effect.promise(async () => {
          await Promise.all([admin.connect(), producer.connect(), consumer.connect()]);
        }),
        () => Effect.promise(() => Promise.allSettled([admin.disconnect(), producer.disconnect(), consumer.disconnect()])),
      );
      yield* Effect.promise(() => admin.createTopics({ topics: [{ topic, numPartitions: 6 }], waitForLeaders: true }));

      // Interleave keys so every batch carries many keys; sequence numbers rise per key.
      const sent: { key: string; value: string }[] = [];
      for (let seq = 0; seq < PER_KEY; seq++) {
        for (let k = 0; k < KEYS; k++) sent.push({ key: `key-${k}`, value: `${seq}` });
      }
      for (let i = 0; i < sent.length; i += 1_000) {
        yield* Effect.promise(() => producer.send({ topic, acks: -1, messages: sent.slice(i, i + 1_000) }));
      }

      const received = new Map<string, number[]>();
      let count = 0;
      yield* Effect.async<void>((resume) => {
        void consumer.subscribe({ topic, fromBeginning: true }).then(() =>
          consumer.run({
            eachMessage: async ({ message }) => {
              const key = message.key!.toString();
              const list = received.get(key) ?? [];
              list.push(Number(message.value!.toString()));
              received.set(key, list);
              if (++count === sent.length) resume(Effect.void);
            },
          }),
        );
      });

      expect(count).toBe(KEYS * PER_KEY);
      expect(received.size).toBe(KEYS);
      const inOrder = Array.from({ length: PER_KEY }, (_, i) => i);
      for (const [, seqs] of received) expect(seqs).toEqual(inOrder);
    }).pipe(Effect.scoped),
  );
});
