/**
 * Baseline: raw kafkajs produce and consume of N messages of 512 bytes on one local broker.
 * Later benchmarks (the event log, the testnet) import `measureRawKafkajs` and print their
 * throughput as a ratio to it, measured in the same run.
 *
 *   node infra/kafka/bench/baseline.ts [--messages N] [--batch B] [--brokers host:port]
 */
import { parseArgs } from "node:util";
import { Effect } from "effect";
import kafkajs from "kafkajs";
import { KafkaCluster } from "../src/index.ts";

const { Kafka, Partitioners, logLevel } = kafkajs;

export interface Throughput {
  readonly messages: number;
  readonly produceMsgsPerSec: number;
  readonly consumeMsgsPerSec: number;
}

export const measureRawKafkajs = async (brokers: readonly string[], messages: number, batch = 500): Promise<Throughput> => {
  const kafka = new Kafka({ clientId: "baseline-bench", brokers: [...brokers], logLevel: logLevel.NOTHING });
  const topic = `baseline-${Date.now()}`;
  const admin = kafka.admin();
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  const consumer = kafka.consumer({ groupId: `${topic}-readers`, maxBytes: 8 * 1024 * 1024 });
  await Promise.all([admin.connect(), producer.connect(), consumer.connect()]);
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
    const payload = Buffer.alloc(512, 0x61);
    const produceStart = performance.now();
    for (let i = 0; i < messages; i += batch) {
      const size = Math.min(batch, messages - i);
      await producer.send({
        topic,
        acks: -1,
        messages: Array.from({ length: size }, (_, j) => ({ key: `k-${(i + j) % 64}`, value: payload })),
      });
    }
    const produceSeconds = (performance.now() - produceStart) / 1000;

    let seen = 0;
    let consumeStart = 0;
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve) => {
      void consumer.run({
        eachBatch: async ({ batch: b }) => {
          if (consumeStart === 0) consumeStart = performance.now();
          seen += b.messages.length;
          if (seen >= messages) resolve();
        },
      });
    });
    const consumeSeconds = (performance.now() - consumeStart) / 1000;
    return { messages, produceMsgsPerSec: messages / produceSeconds, consumeMsgsPerSec: messages / consumeSeconds };
  } finally {
    await Promise.allSettled([admin.disconnect(), producer.disconnect(), consumer.disconnect()]);
  }
};

const main = async () => {
  const { values } = parseArgs({
    options: { messages: { type: "string", default: "50000" }, batch: { type: "string", default: "500" }, brokers: { type: "string" } },
  });
  const messages = Number(values.messages);
  const batch = Number(values.batch);
  if (!Number.isInteger(messages) || messages < 1 || !Number.isInteger(batch) || batch < 1) {
    console.error("bench: --messages and --batch must be positive whole numbers");
    process.exit(2);
  }
  const run = (brokers: readonly string[]) => measureRawKafkajs(brokers, messages, batch);
  const result = values.brokers
    ? await run(values.brokers.split(","))
    : await Effect.runPromise(
        Effect.gen(function* () {
          const cluster = yield* KafkaCluster;
          return yield* Effect.promise(() => run(cluster.brokers));
        }).pipe(Effect.provide(KafkaCluster.layer({ nodes: 1, label: "bench" }))),
      );
  console.log(`raw kafkajs, ${result.messages} messages of 512 bytes, acks=all, batches of ${batch}:`);
  console.log(`  produce: ${Math.round(result.produceMsgsPerSec)} msg/s`);
  console.log(`  consume: ${Math.round(result.consumeMsgsPerSec)} msg/s`);
};

if (import.meta.url === `file://${process.argv[1]}`) await main();
