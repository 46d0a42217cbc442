/**
 * Event-log throughput: append + consume of N records of 512 bytes through the Kafka adapter
 * and the embedded log, printed as ratios to raw kafkajs measured in the same run on the same
 * broker (the baseline of infra/kafka/bench/baseline.ts).
 *
 *   node libs/event-log/bench/throughput.ts [--messages N] [--embedded-messages N]
 */
import { parseArgs } from "node:util";
import { Effect } from "effect";
import { KafkaCluster } from "@zk-testnet/kafka";
import { measureRawKafkajs } from "@zk-testnet/kafka/bench";
import { makeEmbeddedLog } from "../src/embedded.ts";
import { makeKafkaLog } from "../src/kafka.ts";
import type { EventLogApi } from "../src/port.ts";
import { eventually, testCodec, uniqueName } from "../src/testing.ts";

interface Rates {
  readonly append: number;
  readonly consume: number;
}

/** A 512-byte record that the test codec decodes (so consume includes decode and dedupe). */
const record = (n: number): string => {
  const base = JSON.stringify({ id: `e${n}`, key: `block-${n % 64}`, n, pad: "" });
  return base.replace('"pad":""', `"pad":"${"p".repeat(512 - base.length)}"`);
};

/** `batch` 0: single appends from `concurrency` fibers; otherwise appendBatch of `batch` records, like the raw baseline. */
const measureLog = (log: EventLogApi, messages: number, concurrency: number, batch = 0) =>
  Effect.gen(function* () {
    const topic = uniqueName("bench");
    yield* log.createTopics([{ name: topic, partitions: 3 }]);
    const appendStart = performance.now();
    if (batch > 0) {
      for (let i = 0; i < messages; i += batch) {
        const size = Math.min(batch, messages - i);
        yield* log.appendBatch(Array.from({ length: size }, (_, j) => ({ topic, key: `block-${(i + j) % 64}`, value: record(i + j) })));
      }
    } else {
      yield* Effect.forEach(Array.from({ length: messages }, (_, n) => n), (n) => log.append(topic, `block-${n % 64}`, record(n)), {
        concurrency,
        discard: true,
      });
    }
    const appendSeconds = (performance.now() - appendStart) / 1000;
    let handled = 0;
    let consumeStart = 0;
    yield* log.subscribe({
      group: uniqueName("bench-readers"),
      topics: [topic],
      codec: testCodec,
      commit: { everyRecords: 500 },
      handler: () =>
        Effect.sync(() => {
          if (consumeStart === 0) consumeStart = performance.now();
          handled++;
        }),
    });
    yield* eventually(() => handled >= messages, "300 seconds", "all records consumed");
    const consumeSeconds = (performance.now() - consumeStart) / 1000;
    return { append: messages / appendSeconds, consume: messages / consumeSeconds } satisfies Rates;
  }).pipe(Effect.scoped);

const main = Effect.gen(function* () {
  const { values } = parseArgs({ options: { messages: { type: "string", default: "50000" }, "embedded-messages": { type: "string", default: "200000" } } });
  const messages = Number(values.messages);
  const embeddedMessages = Number(values["embedded-messages"]);
  const cluster = yield* KafkaCluster;
  const raw = yield* Effect.promise(() => measureRawKafkajs(cluster.brokers, messages));
  const kafka = yield* Effect.flatMap(makeKafkaLog({ brokers: cluster.brokers, clientId: "bench" }), (log) => measureLog(log, messages, Number(process.env["BENCH_CONCURRENCY"] ?? 1_000)));
  const kafkaBatched = yield* Effect.flatMap(makeKafkaLog({ brokers: cluster.brokers, clientId: "bench-batch" }), (log) => measureLog(log, messages, 1, 500));
  const embedded = yield* Effect.flatMap(makeEmbeddedLog(), (log) => measureLog(log, embeddedMessages, 1_000));
  const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
  const ratio = (a: number, b: number) => (a / b).toFixed(2);
  console.log(`records of 512 bytes, 3 partitions, one local broker (acks=all)`);
  console.log(`raw kafkajs (${messages}):      produce ${fmt(raw.produceMsgsPerSec)}/s   consume ${fmt(raw.consumeMsgsPerSec)}/s`);
  console.log(`kafka adapter, single appends from 1000 fibers (${messages}):    append ${fmt(kafka.append)}/s (${ratio(kafka.append, raw.produceMsgsPerSec)}x raw)   consume ${fmt(kafka.consume)}/s (${ratio(kafka.consume, raw.consumeMsgsPerSec)}x raw)`);
  console.log(`kafka adapter, appendBatch of 500 (${messages}): append ${fmt(kafkaBatched.append)}/s (${ratio(kafkaBatched.append, raw.produceMsgsPerSec)}x raw)   consume ${fmt(kafkaBatched.consume)}/s (${ratio(kafkaBatched.consume, raw.consumeMsgsPerSec)}x raw)`);
  console.log(`embedded log (${embeddedMessages}):  append ${fmt(embedded.append)}/s (${ratio(embedded.append, raw.produceMsgsPerSec)}x raw)   consume ${fmt(embedded.consume)}/s (${ratio(embedded.consume, raw.consumeMsgsPerSec)}x raw)`);
}).pipe(Effect.scoped, Effect.provide(KafkaCluster.layer({ nodes: 1, label: "bench" })));

await Effect.runPromise(main);
