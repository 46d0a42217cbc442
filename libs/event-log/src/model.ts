import type { Effect, Either } from "effect";

export interface TopicSpec {
  readonly name: string;
  readonly partitions: number;
  /** Keep only the last record per key (Kafka log compaction). */
  readonly compacted?: boolean;
  /** How long records are kept; -1 forever. */
  readonly retentionMs?: number;
}

export interface LogRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly key: string;
  /** The record's bytes as UTF-8 text (an encoded envelope, or whatever a faulty writer sent). */
  readonly value: string;
}

export interface AppendInput {
  readonly topic: string;
  readonly key: string;
  readonly value: string;
}

export interface AppendResult {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
}

/** Why a record could not be decoded; `reason` is a short machine-readable word. */
export interface DecodeProblem {
  readonly reason: string;
  readonly message: string;
}

/** How a subscription turns records into events, and what identifies an event for dedupe. */
export interface EventCodec<E> {
  readonly decode: (value: string) => Either.Either<E, DecodeProblem>;
  readonly idOf: (event: E) => string;
}

/**
 * Remembers which event ids were handled. At-least-once delivery redelivers what was handled
 * but not committed; a service keeps this with its state so the redelivery is dropped.
 */
export interface DedupeStore {
  readonly has: (id: string) => boolean;
  readonly add: (id: string) => void;
}

export const memoryDedupe = (): DedupeStore => {
  const ids = new Set<string>();
  return { has: (id) => ids.has(id), add: (id) => void ids.add(id) };
};

/**
 * When a subscription commits what it handled: once at least `everyRecords` were handled since
 * the last commit (1: after every record). The Kafka adapter checks at the end of each fetched
 * batch, so it commits at most once per batch; closing commits the rest.
 */
export interface CommitPolicy {
  readonly everyRecords: number;
}

export interface SubscriptionStats {
  /** Records delivered to this subscription, redeliveries included. */
  readonly delivered: number;
  /** Events passed to the handler that it completed. */
  readonly handled: number;
  /** Records that failed to decode and went to the DLQ. */
  readonly deadLettered: number;
  /** Records whose event id had been handled before, dropped. */
  readonly duplicates: number;
  /** Offsets committed, per "topic/partition". */
  readonly committed: Readonly<Record<string, number>>;
}

export interface SubscribeOptions<E, R> {
  readonly group: string;
  readonly topics: readonly string[];
  readonly codec: EventCodec<E>;
  readonly handler: (event: E, record: LogRecord) => Effect.Effect<void, unknown, R>;
  readonly dedupe?: DedupeStore;
  readonly commit?: CommitPolicy;
  /** Where a group with no committed offset starts. Default: earliest. */
  readonly from?: "earliest" | "latest";
  /**
   * Awaited before offsets are committed (Kafka adapter): a handler whose work goes on after it
   * returns (outputs still being appended) holds the commit of what it handled until it is done.
   */
  readonly beforeCommit?: Effect.Effect<void>;
}

/** A running consumer-group member. */
export interface Subscription {
  readonly stats: Effect.Effect<SubscriptionStats>;
  /** Stop after committing what was handled. */
  readonly close: Effect.Effect<void>;
  /** Stop at once without committing, as a crashed process would. */
  readonly crash: Effect.Effect<void>;
}

/** What the DLQ record of a record that failed to decode carries. */
export interface DeadLetter {
  readonly reason: string;
  readonly message: string;
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly key: string;
  /** The original bytes, base64. */
  readonly original: string;
}

export const dlqTopicOf = (topic: string): string => `${topic}.dlq`;

export const deadLetterOf = (record: LogRecord, problem: DecodeProblem): DeadLetter => ({
  reason: problem.reason,
  message: problem.message,
  topic: record.topic,
  partition: record.partition,
  offset: record.offset,
  key: record.key,
  original: Buffer.from(record.value, "utf8").toString("base64"),
});
