import { appendFileSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Deferred, Effect, Fiber, Layer } from "effect";
import { processRecord, dedupeOf, newStats, snapshot } from "./consume.ts";
import { RecordTooLarge, TopicMissing } from "./errors.ts";
import { parseJsonl, toJsonl, topicsOf } from "./jsonl.ts";
import { dlqTopicOf, type AppendResult, type EventCodec, type LogRecord, type SubscribeOptions, type TopicSpec } from "./model.ts";
import { partitionOf } from "./partitioner.ts";
import { EventLog, type EventLogApi } from "./port.ts";

export interface EmbeddedOptions {
  /** Directory for append-only JSONL segments and committed offsets; none keeps the log in memory. */
  readonly dir?: string;
  /** Largest record accepted, in bytes (Kafka's default message.max.bytes is about 1 MiB). */
  readonly maxRecordBytes?: number;
}

interface StoredRecord extends LogRecord {
  /** Position in the log as a whole: delivery across partitions follows append order. */
  readonly seq: number;
}

interface TopicState {
  readonly spec: TopicSpec;
  readonly partitions: StoredRecord[][];
}

interface Member {
  readonly id: number;
  readonly topics: readonly string[];
  readonly from: "earliest" | "latest";
  /** Next offset to deliver, per owned "topic/partition". */
  readonly cursors: Map<string, number>;
  /** The records of each owned "topic/partition" (the same keys as `cursors`). */
  readonly lists: Map<string, StoredRecord[]>;
  /** The layout and group generation of the last rebalance: nothing to redo while both stand. */
  rebalanced: { layout: number; generation: number } | undefined;
  /** Offset after the last handled record, per "topic/partition", not yet committed. */
  readonly handled: Map<string, number>;
}

interface GroupState {
  readonly committed: Map<string, number>;
  readonly members: Member[];
  /** Bumped when a member joins or leaves. */
  generation: number;
}

const tp = (topic: string, partition: number) => `${topic}/${partition}`;

/**
 * The in-process event log: Kafka's semantics (keyed partitions, offsets, consumer groups with
 * committed offsets and partitions split among members) with delivery in append order and no
 * timers, so a run under a virtual clock is deterministic. Optional JSONL segment files make a
 * stopped run resumable.
 */
export const makeEmbeddedLog = (options: EmbeddedOptions = {}): Effect.Effect<EventLogApi> =>
  Effect.sync(() => {
    const maxBytes = options.maxRecordBytes ?? 1_048_576;
    const topics = new Map<string, TopicState>();
    const groups = new Map<string, GroupState>();
    let seq = 0;
    let memberIds = 0;
    let version = 0;
    /** Bumped when a topic or a partition is added. */
    let layout = 0;
    /** Members waiting for a record, with the topics they read. */
    let waiters: { readonly deferred: Deferred.Deferred<void>; readonly topics: ReadonlySet<string> }[] = [];
    // Decoded values, shared by the groups that read the same record (they read new records
    // within a few steps of each other): decoding is pure, and it was a third of a delivery.
    const DECODED_LIMIT = 4096;
    const decodedBy = new Map<EventCodec<unknown>, Map<string, ReturnType<EventCodec<unknown>["decode"]>>>();
    const sharedCodec = <E>(codec: EventCodec<E>): EventCodec<E> => {
      const cache = decodedBy.get(codec as EventCodec<unknown>) ?? new Map<string, ReturnType<EventCodec<unknown>["decode"]>>();
      decodedBy.set(codec as EventCodec<unknown>, cache);
      return {
        idOf: codec.idOf,
        decode: (value) => {
          const known = cache.get(value);
          if (known !== undefined) return known as ReturnType<EventCodec<E>["decode"]>;
          const result = codec.decode(value);
          if (cache.size >= DECODED_LIMIT) cache.delete(cache.keys().next().value as string);
          cache.set(value, result);
          return result;
        },
      };
    };

    /**
     * Wakes the members that read `topic`, or every member when no topic is given (a group or
     * the layout changed): a member of other topics would only look and wait again.
     */
    const wake = (topic?: string) => {
      version++;
      const woken = topic === undefined ? waiters : waiters.filter((w) => w.topics.has(topic));
      waiters = topic === undefined ? [] : waiters.filter((w) => !w.topics.has(topic));
      for (const w of woken) Deferred.unsafeDone(w.deferred, Effect.void);
    };

    const persistTopics = () => {
      if (options.dir === undefined) return;
      writeFileSync(join(options.dir, "topics.json"), JSON.stringify([...topics.values()].map((t) => t.spec)));
    };
    const persistGroups = () => {
      if (options.dir === undefined) return;
      const out = Object.fromEntries([...groups].map(([g, s]) => [g, Object.fromEntries(s.committed)]));
      writeFileSync(join(options.dir, "groups.json"), JSON.stringify(out));
    };
    const segmentOf = (topic: string, partition: number) => join(options.dir!, "segments", `${encodeURIComponent(topic)}.${partition}.jsonl`);

    const ensureTopic = (spec: TopicSpec): TopicState => {
      const existing = topics.get(spec.name);
      if (existing !== undefined) return existing;
      const state: TopicState = { spec, partitions: Array.from({ length: spec.partitions }, () => []) };
      topics.set(spec.name, state);
      layout++;
      persistTopics();
      return state;
    };

    const store = (topic: TopicState, partition: number, key: string, value: string, persist: boolean): StoredRecord => {
      const list = topic.partitions[partition]!;
      const record: StoredRecord = { topic: topic.spec.name, partition, offset: list.length, key, value, seq: seq++ };
      list.push(record);
      if (persist && options.dir !== undefined) {
        appendFileSync(segmentOf(topic.spec.name, partition), `${JSON.stringify({ seq: record.seq, offset: record.offset, key, value })}\n`);
      }
      return record;
    };

    // Resume from segment files.
    if (options.dir !== undefined) {
      mkdirSync(join(options.dir, "segments"), { recursive: true });
      const topicsFile = join(options.dir, "topics.json");
      if (existsSync(topicsFile)) {
        for (const spec of JSON.parse(readFileSync(topicsFile, "utf8")) as TopicSpec[]) ensureTopic(spec);
        const loaded: { topic: TopicState; partition: number; seq: number; key: string; value: string }[] = [];
        for (const file of readdirSync(join(options.dir, "segments"))) {
          const match = /^(.*)\.(\d+)\.jsonl$/.exec(file);
          const topic = match ? topics.get(decodeURIComponent(match[1]!)) : undefined;
          if (!match || topic === undefined) continue;
          for (const line of readFileSync(join(options.dir, "segments", file), "utf8").split("\n")) {
            if (line.trim() === "") continue;
            const r = JSON.parse(line) as { seq: number; key: string; value: string };
            loaded.push({ topic, partition: Number(match[2]), seq: r.seq, key: r.key, value: r.value });
          }
        }
        loaded.sort((a, b) => a.seq - b.seq);
        for (const r of loaded) store(r.topic, r.partition, r.key, r.value, false);
      }
      const groupsFile = join(options.dir, "groups.json");
      if (existsSync(groupsFile)) {
        const saved = JSON.parse(readFileSync(groupsFile, "utf8")) as Record<string, Record<string, number>>;
        for (const [g, offsets] of Object.entries(saved)) groups.set(g, { committed: new Map(Object.entries(offsets)), members: [], generation: 0 });
      }
    }

    const topicOrFail = (name: string) => {
      const t = topics.get(name);
      return t === undefined ? Effect.fail(new TopicMissing({ topic: name })) : Effect.succeed(t);
    };

    const append = (topic: string, key: string, value: string): Effect.Effect<AppendResult, TopicMissing | RecordTooLarge> =>
      Effect.flatMap(topicOrFail(topic), (t) => {
        const bytes = Buffer.byteLength(value, "utf8");
        if (bytes > maxBytes) return Effect.fail(new RecordTooLarge({ topic, bytes, limit: maxBytes }));
        const record = store(t, partitionOf(key, t.spec.partitions), key, value, true);
        wake(topic);
        return Effect.succeed({ topic, partition: record.partition, offset: record.offset });
      });

    /** Partitions of the member's topics, dealt to the group's members in join order. */
    const rebalance = (group: GroupState, member: Member) => {
      if (member.rebalanced?.layout === layout && member.rebalanced.generation === group.generation) return;
      member.rebalanced = { layout, generation: group.generation };
      const index = group.members.indexOf(member);
      const assigned = new Set<string>();
      for (const name of member.topics) {
        const t = topics.get(name);
        if (t === undefined) continue;
        t.partitions.forEach((list, p) => {
          if (p % group.members.length === index) {
            assigned.add(tp(name, p));
            member.lists.set(tp(name, p), list);
            if (!member.cursors.has(tp(name, p))) {
              const committed = group.committed.get(tp(name, p));
              member.cursors.set(tp(name, p), committed ?? (member.from === "latest" ? list.length : 0));
            }
          }
        });
      }
      for (const key of [...member.cursors.keys()]) if (!assigned.has(key)) member.cursors.delete(key);
      for (const key of [...member.lists.keys()]) if (!assigned.has(key)) member.lists.delete(key);
    };

    const nextRecord = (member: Member): StoredRecord | undefined => {
      let best: StoredRecord | undefined;
      for (const [key, offset] of member.cursors) {
        const record = member.lists.get(key)?.[offset];
        if (record !== undefined && (best === undefined || record.seq < best.seq)) best = record;
      }
      return best;
    };

    const subscribe = <E, R>(opts: SubscribeOptions<E, R>) =>
      Effect.gen(function* () {
        for (const name of opts.topics) {
          const t = yield* topicOrFail(name);
          ensureTopic({ name: dlqTopicOf(name), partitions: t.spec.partitions });
        }
        const group = groups.get(opts.group) ?? { committed: new Map<string, number>(), members: [], generation: 0 };
        groups.set(opts.group, group);
        const memberTopics: ReadonlySet<string> = new Set(opts.topics);
        const member: Member = { id: memberIds++, topics: opts.topics, from: opts.from ?? "earliest", cursors: new Map(), lists: new Map(), handled: new Map(), rebalanced: undefined };
        group.members.push(member);
        group.generation++;
        wake(); // other members rebalance
        const stats = newStats();
        const dedupe = dedupeOf(opts);
        const decoding = { ...opts, codec: sharedCodec(opts.codec) };
        const every = Math.max(1, opts.commit?.everyRecords ?? 1);
        let sinceCommit = 0;

        const commit = () => {
          for (const [key, offset] of member.handled) {
            group.committed.set(key, offset);
            stats.committed[key] = offset;
          }
          member.handled.clear();
          persistGroups();
        };

        const loop = Effect.gen(function* () {
          while (true) {
            const seen = version;
            rebalance(group, member);
            const record = nextRecord(member);
            if (record === undefined) {
              const waiter = yield* Deferred.make<void>();
              if (seen === version) {
                waiters.push({ deferred: waiter, topics: memberTopics });
                yield* Deferred.await(waiter);
              }
              continue;
            }
            yield* processRecord(decoding, stats, dedupe, append, record);
            const key = tp(record.topic, record.partition);
            member.cursors.set(key, record.offset + 1);
            member.handled.set(key, record.offset + 1);
            if (++sinceCommit >= every) {
              commit();
              sinceCommit = 0;
            }
            // Let other fibers (appenders, other members) run between records.
            yield* Effect.yieldNow();
          }
        });

        const fiber = yield* Effect.forkDaemon(loop);
        let stopped = false;
        const stop = (graceful: boolean) =>
          Effect.gen(function* () {
            if (stopped) return;
            stopped = true;
            yield* Fiber.interrupt(fiber);
            if (graceful) commit();
            group.members.splice(group.members.indexOf(member), 1);
            group.generation++;
            wake();
          });
        yield* Effect.addFinalizer(() => stop(true));
        return { stats: Effect.sync(() => snapshot(stats)), close: stop(true), crash: stop(false) };
      });

    const records = () => [...topics.values()].flatMap((t) => t.partitions.flat());

    const api: EventLogApi = {
      adapter: "embedded",
      createTopics: (specs) =>
        Effect.sync(() => {
          for (const spec of specs) ensureTopic(spec);
        }),
      topics: Effect.sync(() => [...topics.values()].map((t) => t.spec)),
      append,
      appendBatch: (records) => Effect.forEach(records, (r) => append(r.topic, r.key, r.value)),
      read: (topic, fromOffset = 0) =>
        Effect.map(topicOrFail(topic), (t) => t.partitions.flatMap((list) => list.slice(fromOffset))),
      subscribe,
      committed: (group, topic) =>
        Effect.sync(() => {
          const offsets = new Map<number, number>();
          for (const [key, offset] of groups.get(group)?.committed ?? []) {
            const slash = key.lastIndexOf("/");
            if (key.slice(0, slash) === topic) offsets.set(Number(key.slice(slash + 1)), offset);
          }
          return offsets;
        }),
      exportJsonl: (only) => Effect.sync(() => toJsonl(records().filter((r) => only === undefined || only.includes(r.topic)))),
      importJsonl: (jsonl) =>
        Effect.gen(function* () {
          const parsed = parseJsonl(jsonl);
          if (!Array.isArray(parsed)) return yield* parsed;
          for (const spec of topicsOf(parsed)) ensureTopic(spec);
          for (const r of parsed) {
            const t = topics.get(r.topic)!;
            while (t.partitions.length <= r.partition) {
              t.partitions.push([]);
              layout++;
            }
            store(t, r.partition, r.key, r.value, true);
          }
          wake();
          return parsed.length;
        }),
    };
    return api;
  });

export const EmbeddedEventLog = {
  layer: (options: EmbeddedOptions = {}): Layer.Layer<EventLog> => Layer.effect(EventLog, makeEmbeddedLog(options)),
};
