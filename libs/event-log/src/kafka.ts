import { Deferred, Duration, Effect, Layer, Runtime, Schedule, type Scope } from "effect";
import net from "node:net";
import tls from "node:tls";
import kafkajs from "kafkajs";
import { processRecord, dedupeOf, newStats, snapshot } from "./consume.ts";
import { RecordTooLarge, TopicMissing, type EventLogError } from "./errors.ts";
import { parseJsonl, toJsonl, topicsOf } from "./jsonl.ts";
import { fromKafkaJs, isTransient } from "./kafka-errors.ts";
// Before any client exists: kafkajs's idle 1-ms request-queue timer loop (see the module).
import "./kafkajs-patch.ts";
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
  /**
   * kafkajs's own log lines at this level and above go to the Effect logger (namespace and
   * broker in the message). Default: the environment's ZKT_KAFKA_LOG (error, warn, info,
   * debug), else none.
   */
  readonly clientLog?: KafkaClientLogLevel;
  /**
   * Where this client really connects for a broker address (bootstrap or advertised):
   * `host:port` to `host:port`. A client routed through proxies of its own (Toxiproxy) can be
   * cut off or slowed alone, while the brokers advertise their own addresses to everyone else.
   */
  readonly routes?: ReadonlyMap<string, string>;
}

/** Parses `from=to,from=to` (each host:port) into routes; a message for a bad entry. */
export const parseBrokerRoutes = (text: string): ReadonlyMap<string, string> | string => {
  const routes = new Map<string, string>();
  const address = /^[^\s:=,]+:\d{1,5}$/;
  for (const entry of text.split(",").map((e) => e.trim()).filter((e) => e.length > 0)) {
    const [from, to, ...rest] = entry.split("=");
    if (from === undefined || to === undefined || rest.length > 0 || !address.test(from) || !address.test(to)) {
      return `${JSON.stringify(entry)} is not host:port=host:port`;
    }
    routes.set(from, to);
  }
  return routes;
};

/** kafkajs's own socket factory, but connecting to a route's address where one is given. */
const routedSockets = (routes: ReadonlyMap<string, string>): kafkajs.ISocketFactory => ({ host, port, ssl, onConnect }) => {
  const route = routes.get(`${host}:${port}`);
  const target = route === undefined ? { host, port } : { host: route.slice(0, route.lastIndexOf(":")), port: Number(route.slice(route.lastIndexOf(":") + 1)) };
  const socket = ssl ? tls.connect({ ...target, ...ssl }, onConnect) : net.connect(target, onConnect);
  socket.setKeepAlive(true, 60_000);
  return socket;
};

export type KafkaClientLogLevel = "none" | "error" | "warn" | "info" | "debug";

const clientLogLevels: Record<KafkaClientLogLevel, number> = {
  none: logLevel.NOTHING,
  error: logLevel.ERROR,
  warn: logLevel.WARN,
  info: logLevel.INFO,
  debug: logLevel.DEBUG,
};

const clientLogLevelOf = (text: string | undefined): KafkaClientLogLevel =>
  text !== undefined && text in clientLogLevels ? (text as KafkaClientLogLevel) : "none";

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
/** Offset commits that fail in a row before the subscription renews its consumer. */
const COMMIT_FAILURES_BEFORE_RENEW = 2;

export const makeKafkaLog = (options: KafkaLogOptions): Effect.Effect<EventLogApi, EventLogError, Scope.Scope> =>
  Effect.gen(function* () {
    const maxBytes = options.maxRecordBytes ?? 1_048_576;
    const clientLog = options.clientLog ?? clientLogLevelOf(process.env["ZKT_KAFKA_LOG"]);
    const logRuntime = yield* Effect.runtime<never>();
    const kafka = new Kafka({
      clientId: options.clientId ?? "zk-testnet",
      brokers: [...options.brokers],
      logLevel: clientLogLevels[clientLog],
      ...(options.routes !== undefined && options.routes.size > 0 ? { socketFactory: routedSockets(options.routes) } : {}),
      // kafkajs's lines through the Effect logger (pino in a service process).
      logCreator: () => (entry) => {
        const { message, broker, error } = entry.log as { message?: string; broker?: string; error?: string };
        const text = `kafkajs ${entry.namespace}: ${message ?? ""}${broker !== undefined ? ` (broker ${broker})` : ""}${error !== undefined ? `: ${error}` : ""}`;
        const log = entry.level <= logLevel.ERROR ? Effect.logError(text) : entry.level <= logLevel.WARN ? Effect.logWarning(text) : entry.level <= logLevel.INFO ? Effect.logInfo(text) : Effect.logDebug(text);
        Runtime.runFork(logRuntime)(log);
      },
      connectionTimeout: 3_000,
      // A request to a broker that vanished (a killed container: no reset, just silence) fails
      // after this and goes to the new leader; fetches and group joins time themselves.
      requestTimeout: 8_000,
      retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 2_000 },
    });
    const admin = kafka.admin();
    const producer = kafka.producer({
      createPartitioner: Partitioners.DefaultPartitioner,
      allowAutoTopicCreation: false,
      retry: { retries: 0 },
    });
    /** Connecting, admin requests, reads and subscribing are retried within this budget. */
    const connectRetry = retrySchedule(options.connectBudget ?? "30 seconds");
    /** Retries `effect` within the connect budget while its failure is transient. */
    const retryTransient = <A>(effect: Effect.Effect<A, EventLogError>): Effect.Effect<A, EventLogError> =>
      Effect.retry(effect, { schedule: connectRetry, while: isTransient });

    yield* Effect.acquireRelease(
      Effect.tryPromise({
        try: () => Promise.all([admin.connect(), producer.connect()]),
        catch: (e) => fromKafkaJs(e, "connect"),
      }).pipe(Effect.retry(connectRetry)),
      () => Effect.promise(() => Promise.allSettled([producer.disconnect(), admin.disconnect()])),
    );

    /** The topics this client created or saw listed: a broker that does not know one of them lags (see fromKafkaJs). */
    const known = new Set<string>();
    const kafkaError = (error: unknown, operation: string, topic?: string, bytes?: number) => fromKafkaJs(error, operation, topic, bytes, (t) => known.has(t));

    /**
     * An admin request, retried while the failure is transient: a broker of the bootstrap list
     * (or the controller the metadata names) may be down for a while, and the cluster's metadata
     * only forgets it after its session times out.
     */
    const adminCall = <A>(operation: string, request: () => Promise<A>, topic?: string): Effect.Effect<A, EventLogError> =>
      retryTransient(Effect.tryPromise({ try: request, catch: (e) => kafkaError(e, operation, topic) }));

    for (const name of yield* adminCall("listTopics", () => admin.listTopics())) known.add(name);
    const ensureKnown = (topic: string) =>
      known.has(topic)
        ? Effect.void
        : adminCall("listTopics", () => admin.listTopics()).pipe(
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
            for (const p of batch) p.done(kafkaError(error, "append", p.topic, Buffer.byteLength(p.value)));
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
        : adminCall("metadata", () => admin.fetchTopicMetadata({ topics: [topic] }), topic).pipe(
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
      adminCall("createTopics", () =>
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
      ).pipe(Effect.tap(() => specs.forEach((s) => known.add(s.name))));

    const listSpecs = adminCall("listTopics", async () => {
      const names = (await admin.listTopics()).filter((n) => !n.startsWith("__"));
      if (names.length === 0) return [];
      const meta = await admin.fetchTopicMetadata({ topics: names });
      return meta.topics.map((t) => ({ name: t.name, partitions: t.partitions.length }));
    });

    /** Reads a topic from `fromOffset` to the high watermarks taken at the start; a transient failure reads it again. */
    const read = (topic: string, fromOffset = 0): Effect.Effect<readonly LogRecord[], EventLogError> =>
      retryTransient(readOnce(topic, fromOffset));

    const readOnce = (topic: string, fromOffset: number): Effect.Effect<readonly LogRecord[], EventLogError> =>
      Effect.gen(function* () {
        yield* ensureKnown(topic);
        const ends = yield* adminCall("offsets", () => admin.fetchTopicOffsets(topic), topic);
        const remaining = new Map(ends.filter((p) => Number(p.high) > Math.max(fromOffset, Number(p.low))).map((p) => [p.partition, Number(p.high)]));
        if (remaining.size === 0) return [];
        const records: LogRecord[] = [];
        // Short fetch waits: a consumer's disconnect waits for its fetch in flight, and the
        // default long poll (5 s) made every read of a topic that is already read to its end cost 5 s.
        const consumer = kafka.consumer({
          groupId: `zkt-read-${topic}-${process.pid}-${Math.random().toString(36).slice(2)}`,
          allowAutoTopicCreation: false,
          maxWaitTimeInMs: 100,
        });
        return yield* Effect.acquireUseRelease(
          Effect.tryPromise({ try: () => consumer.connect(), catch: (e) => kafkaError(e, "read", topic) }),
          () =>
            Effect.async<readonly LogRecord[], EventLogError>((resume) => {
              // A failed subscribe or run ends the read with its error (it would otherwise wait for records forever).
              (async () => {
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
              })().catch((error: unknown) => resume(Effect.fail(kafkaError(error, "read", topic))));
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
        const warn = (message: string) => void Runtime.runFork(runtime)(Effect.logWarning(message).pipe(Effect.annotateLogs({ group: opts.group })));
        // A fetch waits at most a second for records (kafkajs's default is 5): leaving the group
        // waits for the fetch in flight, so a stopping service was held up to 5 s by an idle poll.
        const newConsumer = () =>
          kafka.consumer({ groupId: opts.group, allowAutoTopicCreation: false, sessionTimeout: 10_000, heartbeatInterval: 1_000, maxWaitTimeInMs: 1_000 });
        let consumer = newConsumer();

        // Offsets are committed beside the handling, never in its way: a commit that fails (the
        // group's coordinator died, or moved while kafkajs still asks the old one) leaves its
        // offsets for the next commit and costs only a longer re-delivery after a restart, which
        // the dedupe absorbs. Commits that keep failing renew the consumer (a new client finds
        // the coordinator afresh).
        const commitOnce = async () => {
          if (handled.size === 0) return;
          const taken = new Map(handled);
          handled.clear();
          if (opts.beforeCommit !== undefined) await Runtime.runPromise(runtime)(opts.beforeCommit);
          const offsets = [...taken.values()].map((h) => ({ topic: h.topic, partition: h.partition, offset: String(h.offset) }));
          try {
            await consumer.commitOffsets(offsets);
          } catch (error) {
            for (const [k, v] of taken) if (!handled.has(k)) handled.set(k, v);
            throw error;
          }
          for (const o of offsets) stats.committed[`${o.topic}/${o.partition}`] = Number(o.offset);
        };
        let committing: Promise<void> | undefined;
        let commitAgain = false;
        let failedCommits = 0;
        const commitSoon = () => {
          if (committing !== undefined) {
            commitAgain = true;
            return;
          }
          committing = (async () => {
            do {
              commitAgain = false;
              await commitOnce();
            } while (commitAgain && state === "running");
            failedCommits = 0;
          })()
            .catch((error: unknown) => {
              failedCommits++;
              warn(`offset commit failed (${failedCommits} in a row): ${fromKafkaJs(error, "commit").message}`);
              if (failedCommits >= COMMIT_FAILURES_BEFORE_RENEW) void renew(`${failedCommits} offset commits failed in a row`);
            })
            .finally(() => {
              committing = undefined;
            });
        };

        const started = yield* Deferred.make<void, EventLogError>();
        const run = (c: kafkajs.Consumer) =>
          Effect.gen(function* () {
            yield* Effect.tryPromise({ try: () => c.connect(), catch: (e) => kafkaError(e, "subscribe") }).pipe(
              Effect.retry(connectRetry),
            );
            c.on(c.events.GROUP_JOIN, () => Deferred.unsafeDone(started, Effect.void));
            // A crash kafkajs does not restart from (a non-retriable error) renews the consumer.
            c.on(c.events.CRASH, (e) => {
              if (!e.payload.restart) void renew(`consumer crashed: ${e.payload.error.message}`);
            });
            // A broker whose metadata lags behind a fresh topic answers that it does not know it: retried.
            for (const topic of opts.topics) {
              yield* retryTransient(
                Effect.tryPromise({
                  try: () => c.subscribe({ topic, fromBeginning: (opts.from ?? "earliest") === "earliest" }),
                  catch: (e) => kafkaError(e, "subscribe", topic),
                }),
              );
            }
            yield* Effect.tryPromise({
              try: async () => {
                await c.run({
                  autoCommit: false,
                  eachBatchAutoResolve: false,
                  // One Effect run per fetched batch, records in partition order within it.
                  eachBatch: async ({ batch, resolveOffset, isRunning, isStale }) => {
                    const records: LogRecord[] = [];
                    for (const message of batch.messages) {
                      records.push({ topic: batch.topic, partition: batch.partition, offset: Number(message.offset), key: message.key?.toString() ?? "", value: message.value?.toString() ?? "" });
                    }
                    await Runtime.runPromise(runtime)(
                      Effect.gen(function* () {
                        for (const record of records) {
                          if (state !== "running" || c !== consumer || !isRunning() || isStale()) return;
                          yield* processRecord(opts, stats, dedupe, append, record);
                          resolveOffset(String(record.offset));
                          handled.set(`${record.topic}/${record.partition}`, { topic: record.topic, partition: record.partition, offset: record.offset + 1 });
                          sinceCommit++;
                        }
                        // Commit once per fetched batch, when enough was handled since the last commit.
                        if (sinceCommit >= every && state === "running") {
                          sinceCommit = 0;
                          commitSoon();
                        }
                      }),
                    ).catch((error: unknown) => {
                      // Stopped: leave the rest unresolved. Failed: throw, and kafkajs refetches from
                      // the last resolved offset (at-least-once).
                      if (state === "running") throw error;
                    });
                  },
                });
              },
              catch: (e) => kafkaError(e, "subscribe"),
            });
          });

        let renewing = false;
        const renew = async (reason: string): Promise<void> => {
          if (renewing || state !== "running") return;
          renewing = true;
          try {
            warn(`renewing the consumer: ${reason}`);
            const old = consumer;
            await old.disconnect().catch(() => undefined);
            if (state !== "running") return;
            consumer = newConsumer();
            failedCommits = 0;
            const exit = await Runtime.runPromiseExit(runtime)(run(consumer));
            if (exit._tag === "Failure") warn(`the renewed consumer did not start: ${String(exit.cause)}`);
          } finally {
            renewing = false;
          }
        };

        yield* run(consumer);
        yield* Deferred.await(started).pipe(Effect.timeout("60 seconds"), Effect.orElse(() => Effect.void));
        const stop = (graceful: boolean) =>
          Effect.promise(async () => {
            if (state !== "running") return;
            state = graceful ? "closed" : "crashed";
            if (graceful) {
              await committing;
              await commitOnce().catch(() => undefined);
            }
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
      // A fresh broker's group coordinator answers "loading" for a while: retried.
      committed: (group, topic) =>
        adminCall(
          "committed",
          async () => {
            const offsets = new Map<number, number>();
            for (const t of await admin.fetchOffsets({ groupId: group, topics: [topic] })) {
              for (const p of t.partitions) if (Number(p.offset) >= 0) offsets.set(p.partition, Number(p.offset));
            }
            return offsets;
          },
          topic,
        ),
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
              catch: (e) => kafkaError(e, "import", r.topic),
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
