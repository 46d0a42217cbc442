import { Deferred, Duration, Effect, Layer, Runtime, Schedule, type Scope } from "effect";
import kafkajs from "kafkajs";
import { processRecord, dedupeOf, newStats, snapshot } from "./consume.ts";
import { RecordTooLarge, TopicMissing, type EventLogError } from "./errors.ts";
import { parseJsonl, toJsonl, topicsOf } from "./jsonl.ts";
import { fromKafkaJs, isTransient } from "./kafka-errors.ts";
import { dlqTopicOf, type AppendInput, type AppendResult, type LogRecord, type SubscribeOptions, type Subscription, type TopicSpec } from "./model.ts";
import { partitionOf } from "./partitioner.ts";
import { EventLog, type EventLogApi } from "./port.ts";

const { Kafka, Partitioners, logLevel } = kafkajs;

export interface KafkaLogOptions {
  readonly brokers: readonly string[];
  readonly clientId?: string;
  /** Largest record accepted, in bytes; checked before sending. */
  readonly maxRecordBytes?: number;
  /** Total time budget for connecting, with exponential backoff and jitter. Default 30 s. */
  readonly connectBudget?: Duration.DurationInput;
  /** Total time budget for one append's retries. Default 20 s. */
  readonly appendBudget?: Duration.DurationInput;
  /** Appends gathered into one produce request at most. */
  readonly maxBatch?: number;
}

/** Exponential backoff with jitter, each wait capped, within a total budget. */
export const retrySchedule = (budget: Duration.DurationInput) =>
  Schedule.exponential("100 millis", 2).pipe(
    Schedule.jittered,
    Schedule.modifyDelay((d) => Duration.min(d, Duration.seconds(2))),
    Schedule.upTo(budget),
  );

interface PendingAppend {
  readonly topic: string;
  readonly key: string;
  readonly value: string;
  readonly done: (result: AppendResult | EventLogError) => void;
}

/**
 * The EventLog on Kafka through kafkajs: acks=all, no client-side producer retries (a failed
 * send is retried by a Schedule here, and a resent record carries the same event id, which
 * consumers drop), concurrent appends batched into one request, manual offset commits.
 */
export const makeKafkaLog = (options: KafkaLogOptions): Effect.Effect<EventLogApi, EventLogError, Scope.Scope> =>
  Effect.gen(function* () {
    const maxBytes = options.maxRecordBytes ?? 1_048_576;
    const kafka = new Kafka({
      clientId: options.clientId ?? "zk-testnet",
      brokers: [...options.brokers],
      logLevel: logLevel.NOTHING,
      connectionTimeout: 3_000,
      requestTimeout: 30_000,
      retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 2_000 },
    });
    const admin = kafka.admin();
    const producer = kafka.producer({
      createPartitioner: Partitioners.DefaultPartitioner,
      allowAutoTopicCreation: false,
      retry: { retries: 0 },
    });
    yield* Effect.acquireRelease(
      Effect.tryPromise({
        try: () => Promise.all([admin.connect(), producer.connect()]),
        catch: (e) => fromKafkaJs(e, "connect"),
      }).pipe(Effect.retry(retrySchedule(options.connectBudget ?? "30 seconds"))),
      () => Effect.promise(() => Promise.allSettled([producer.disconnect(), admin.disconnect()])),
    );

    const known = new Set<string>(yield* Effect.tryPromise({ try: () => admin.listTopics(), catch: (e) => fromKafkaJs(e, "listTopics") }));
    const ensureKnown = (topic: string) =>
      known.has(topic)
        ? Effect.void
        : Effect.tryPromise({ try: () => admin.listTopics(), catch: (e) => fromKafkaJs(e, "listTopics") }).pipe(
            Effect.flatMap((names) => {
              names.forEach((n) => known.add(n));
              return known.has(topic) ? Effect.void : Effect.fail(new TopicMissing({ topic }));
            }),
          );

    // Appends are queued and flushed one request at a time, so per-key order is the call order.
    let queue: PendingAppend[] = [];
    let flushing = false;
    const maxBatch = options.maxBatch ?? 1_000;
    const flush = async (): Promise<void> => {
      if (flushing) return;
      flushing = true;
      try {
        while (queue.length > 0) {
          const batch = queue.slice(0, maxBatch);
          queue = queue.slice(batch.length);
          const byTopic = new Map<string, PendingAppend[]>();
          for (const p of batch) {
            const list = byTopic.get(p.topic);
            if (list === undefined) byTopic.set(p.topic, [p]);
            else list.push(p);
          }
          try {
            const results = await producer.sendBatch({
              acks: -1,
              topicMessages: [...byTopic].map(([topic, items]) => ({ topic, messages: items.map((p) => ({ key: p.key, value: p.value })) })),
            });
            // Offsets within a partition follow the order of the batch.
            for (const [topic, items] of byTopic) {
              const next = new Map<number, number>();
              for (const r of results) if (r.topicName === topic) next.set(r.partition, Number(r.baseOffset ?? r.offset ?? 0));
              for (const p of items) {
                const partition = partitionFor(topic, p.key);
                const offset = next.get(partition) ?? -1;
                next.set(partition, offset + 1);
                p.done({ topic, partition, offset });
              }
            }
          } catch (error) {
            for (const p of batch) p.done(fromKafkaJs(error, "append", p.topic, Buffer.byteLength(p.value)));
          }
        }
      } finally {
        flushing = false;
      }
    };

    const partitionCounts = new Map<string, number>();
    const partitionFor = (topic: string, key: string): number => partitionOf(key, partitionCounts.get(topic) ?? 1);
    const loadPartitions = (topic: string) =>
      partitionCounts.has(topic)
        ? Effect.void
        : Effect.tryPromise({ try: () => admin.fetchTopicMetadata({ topics: [topic] }), catch: (e) => fromKafkaJs(e, "metadata", topic) }).pipe(
            Effect.map((m) => void partitionCounts.set(topic, m.topics[0]?.partitions.length ?? 1)),
          );

    const loadPartitionsOf = (names: readonly string[]) => Effect.forEach(names, loadPartitions, { discard: true });

    // One flush is scheduled per turn of the event loop, so concurrent appends share a request.
    let scheduled = false;
    const schedule = () => {
      if (scheduled) return;
      scheduled = true;
      setImmediate(() => {
        scheduled = false;
        void flush();
      });
    };
    const appendOnce = (topic: string, key: string, value: string) =>
      Effect.async<AppendResult, EventLogError>((resume) => {
        queue.push({ topic, key, value, done: (r) => resume("_tag" in r ? Effect.fail(r) : Effect.succeed(r)) });
        schedule();
      });

    const retryAppend = (topic: string, key: string, value: string) =>
      appendOnce(topic, key, value).pipe(
        Effect.retry({ schedule: retrySchedule(options.appendBudget ?? "20 seconds"), while: isTransient }),
      );

    const append = (topic: string, key: string, value: string): Effect.Effect<AppendResult, EventLogError> => {
      const bytes = Buffer.byteLength(value, "utf8");
      if (bytes > maxBytes) return Effect.fail(new RecordTooLarge({ topic, bytes, limit: maxBytes }));
      // The retry schedule is only built once a send has failed: appends are the hot path.
      const send = appendOnce(topic, key, value).pipe(
        Effect.catchIf(isTransient, () => retryAppend(topic, key, value)),
      );
      return known.has(topic) && partitionCounts.has(topic)
        ? send
        : ensureKnown(topic).pipe(Effect.zipRight(loadPartitions(topic)), Effect.zipRight(send));
    };

    /** Queues every record in order, so they share requests and keep per-key order. */
    const appendManyOnce = (records: readonly AppendInput[]) =>
      Effect.async<readonly AppendResult[], EventLogError>((resume) => {
        const results: AppendResult[] = new Array(records.length);
        let pending = records.length;
        let failed = false;
        records.forEach((r, i) => {
          queue.push({
            topic: r.topic,
            key: r.key,
            value: r.value,
            done: (result) => {
              if (failed) return;
              if ("_tag" in result) {
                failed = true;
                return resume(Effect.fail(result));
              }
              results[i] = result;
              if (--pending === 0) resume(Effect.succeed(results));
            },
          });
        });
        schedule();
      });

    const appendBatch = (records: readonly AppendInput[]): Effect.Effect<readonly AppendResult[], EventLogError> =>
      Effect.gen(function* () {
        if (records.length === 0) return [];
        for (const r of records) {
          const bytes = Buffer.byteLength(r.value, "utf8");
          if (bytes > maxBytes) return yield* new RecordTooLarge({ topic: r.topic, bytes, limit: maxBytes });
        }
        for (const topic of new Set(records.map((r) => r.topic))) {
          if (!known.has(topic) || !partitionCounts.has(topic)) yield* ensureKnown(topic).pipe(Effect.zipRight(loadPartitions(topic)));
        }
        // A retry resends the whole batch: records that were written twice carry the same event ids.
        return yield* appendManyOnce(records).pipe(
          Effect.catchIf(isTransient, () =>
            appendManyOnce(records).pipe(Effect.retry({ schedule: retrySchedule(options.appendBudget ?? "20 seconds"), while: isTransient })),
          ),
        );
      });

    const createTopics = (specs: readonly TopicSpec[]) =>
      Effect.tryPromise({
        try: () =>
          admin.createTopics({
            waitForLeaders: true,
            topics: specs
              .filter((s) => !known.has(s.name))
              .map((s) => ({
                topic: s.name,
                numPartitions: s.partitions,
                configEntries: [
                  ...(s.compacted ? [{ name: "cleanup.policy", value: "compact" }] : []),
                  ...(s.retentionMs !== undefined ? [{ name: "retention.ms", value: String(s.retentionMs) }] : []),
                ],
              })),
          }),
        catch: (e) => fromKafkaJs(e, "createTopics"),
      }).pipe(Effect.tap(() => specs.forEach((s) => known.add(s.name))));

    const listSpecs = Effect.tryPromise({
      try: async () => {
        const names = (await admin.listTopics()).filter((n) => !n.startsWith("__"));
        if (names.length === 0) return [];
        const meta = await admin.fetchTopicMetadata({ topics: names });
        return meta.topics.map((t) => ({ name: t.name, partitions: t.partitions.length }));
      },
      catch: (e) => fromKafkaJs(e, "listTopics"),
    });

    /** Reads a topic from `fromOffset` to the high watermarks taken at the start. */
    const read = (topic: string, fromOffset = 0): Effect.Effect<readonly LogRecord[], EventLogError> =>
      Effect.gen(function* () {
        yield* ensureKnown(topic);
        const ends = yield* Effect.tryPromise({ try: () => admin.fetchTopicOffsets(topic), catch: (e) => fromKafkaJs(e, "offsets", topic) });
        const remaining = new Map(ends.filter((p) => Number(p.high) > Math.max(fromOffset, Number(p.low))).map((p) => [p.partition, Number(p.high)]));
        if (remaining.size === 0) return [];
        const records: LogRecord[] = [];
        const consumer = kafka.consumer({ groupId: `zkt-read-${topic}-${process.pid}-${Math.random().toString(36).slice(2)}`, allowAutoTopicCreation: false });
        return yield* Effect.acquireUseRelease(
          Effect.tryPromise({ try: () => consumer.connect(), catch: (e) => fromKafkaJs(e, "read", topic) }),
          () =>
            Effect.async<readonly LogRecord[]>((resume) => {
              void (async () => {
                await consumer.subscribe({ topic, fromBeginning: true });
                await consumer.run({
                  autoCommit: false,
                  eachMessage: async ({ partition, message }) => {
                    const offset = Number(message.offset);
                    const end = remaining.get(partition);
                    if (end === undefined || offset < fromOffset) return;
                    if (offset < end) records.push({ topic, partition, offset, key: message.key?.toString() ?? "", value: message.value?.toString() ?? "" });
                    if (offset + 1 >= end) remaining.delete(partition);
                    if (remaining.size === 0) resume(Effect.succeed(records.sort((a, b) => a.partition - b.partition || a.offset - b.offset)));
                  },
                });
                if (fromOffset > 0) for (const p of remaining.keys()) consumer.seek({ topic, partition: p, offset: String(fromOffset) });
              })();
            }),
          () => Effect.promise(() => consumer.disconnect()),
        );
      });

    const subscribe = <E, R>(opts: SubscribeOptions<E, R>): Effect.Effect<Subscription, EventLogError, R | Scope.Scope> =>
      Effect.gen(function* () {
        for (const t of opts.topics) yield* ensureKnown(t);
        yield* loadPartitionsOf(opts.topics);
        yield* createTopics(opts.topics.map((t) => ({ name: dlqTopicOf(t), partitions: partitionCounts.get(t) ?? 1 })));
        const runtime = yield* Effect.runtime<R>();
        const stats = newStats();
        const dedupe = dedupeOf(opts);
        const every = Math.max(1, opts.commit?.everyRecords ?? 1);
        const handled = new Map<string, { topic: string; partition: number; offset: number }>();
        let sinceCommit = 0;
        let state: "running" | "closed" | "crashed" = "running";
        const consumer = kafka.consumer({ groupId: opts.group, allowAutoTopicCreation: false, sessionTimeout: 10_000, heartbeatInterval: 1_000 });
        const commit = async () => {
          if (handled.size === 0) return;
          const offsets = [...handled.values()].map((h) => ({ topic: h.topic, partition: h.partition, offset: String(h.offset) }));
          handled.clear();
          await consumer.commitOffsets(offsets);
          for (const o of offsets) stats.committed[`${o.topic}/${o.partition}`] = Number(o.offset);
        };
        const started = yield* Deferred.make<void, EventLogError>();
        yield* Effect.tryPromise({ try: () => consumer.connect(), catch: (e) => fromKafkaJs(e, "subscribe") }).pipe(
          Effect.retry(retrySchedule(options.connectBudget ?? "30 seconds")),
        );
        consumer.on(consumer.events.GROUP_JOIN, () => Deferred.unsafeDone(started, Effect.void));
        yield* Effect.tryPromise({
          try: async () => {
            for (const topic of opts.topics) await consumer.subscribe({ topic, fromBeginning: (opts.from ?? "earliest") === "earliest" });
            await consumer.run({
              autoCommit: false,
              eachBatchAutoResolve: false,
              // One Effect run per fetched batch, records in partition order within it.
              eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
                const records: LogRecord[] = [];
                for (const message of batch.messages) {
                  records.push({ topic: batch.topic, partition: batch.partition, offset: Number(message.offset), key: message.key?.toString() ?? "", value: message.value?.toString() ?? "" });
                }
                await Runtime.runPromise(runtime)(
                  Effect.gen(function* () {
                    for (const record of records) {
                      if (state !== "running" || !isRunning() || isStale()) return;
                      yield* processRecord(opts, stats, dedupe, append, record);
                      resolveOffset(String(record.offset));
                      handled.set(`${record.topic}/${record.partition}`, { topic: record.topic, partition: record.partition, offset: record.offset + 1 });
                      sinceCommit++;
                    }
                    // Commit once per fetched batch, when enough was handled since the last commit.
                    if (sinceCommit >= every && state === "running") {
                      sinceCommit = 0;
                      yield* Effect.promise(() => commit());
                    }
                  }),
                ).catch((error: unknown) => {
                  // Stopped: leave the rest unresolved. Failed: throw, and kafkajs refetches from
                  // the last resolved offset (at-least-once).
                  if (state === "running") throw error;
                });
                await heartbeat();
              },
            });
          },
          catch: (e) => fromKafkaJs(e, "subscribe"),
        });
        yield* Deferred.await(started).pipe(Effect.timeout("60 seconds"), Effect.orElse(() => Effect.void));
        const stop = (graceful: boolean) =>
          Effect.promise(async () => {
            if (state !== "running") return;
            state = graceful ? "closed" : "crashed";
            if (graceful) await commit().catch(() => undefined);
            await consumer.disconnect().catch(() => undefined);
          });
        yield* Effect.addFinalizer(() => stop(true));
        return { stats: Effect.sync(() => snapshot(stats)), close: stop(true), crash: stop(false) };
      });

    const api: EventLogApi = {
      adapter: "kafka",
      createTopics,
      topics: listSpecs,
      append,
      appendBatch,
      read,
      subscribe,
      committed: (group, topic) =>
        Effect.tryPromise({
          try: async () => {
            const offsets = new Map<number, number>();
            for (const t of await admin.fetchOffsets({ groupId: group, topics: [topic] })) {
              for (const p of t.partitions) if (Number(p.offset) >= 0) offsets.set(p.partition, Number(p.offset));
            }
            return offsets;
          },
          catch: (e) => fromKafkaJs(e, "committed", topic),
          // A fresh broker's group coordinator answers "loading" for a while: retried.
        }).pipe(Effect.retry({ schedule: retrySchedule(options.connectBudget ?? "30 seconds"), while: isTransient })),
      exportJsonl: (only) => Effect.gen(function* () {
        const specs = (yield* listSpecs).filter((s) => only === undefined || only.includes(s.name));
        const all = yield* Effect.forEach(specs, (s) => read(s.name));
        return toJsonl(all.flat());
      }),
      importJsonl: (jsonl) =>
        Effect.gen(function* () {
          const parsed = parseJsonl(jsonl);
          if (!Array.isArray(parsed)) return yield* parsed;
          yield* createTopics(topicsOf(parsed));
          // Explicit partitions, one partition's records in order, so offsets match on an empty topic.
          for (const r of parsed) {
            yield* Effect.tryPromise({
              try: () => producer.send({ topic: r.topic, acks: -1, messages: [{ key: r.key, value: r.value, partition: r.partition }] }),
              catch: (e) => fromKafkaJs(e, "import", r.topic),
            }).pipe(Effect.retry({ schedule: retrySchedule("20 seconds"), while: isTransient }));
          }
          return parsed.length;
        }),
    };
    return api;
  });

export const KafkaEventLog = {
  layer: (options: KafkaLogOptions): Layer.Layer<EventLog, EventLogError> => Layer.scoped(EventLog, makeKafkaLog(options)),
};
