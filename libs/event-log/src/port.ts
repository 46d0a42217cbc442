import { Context, type Effect, type Scope } from "effect";
import type { BadExport, EventLogError } from "./errors.ts";
import type { AppendInput, AppendResult, LogRecord, SubscribeOptions, Subscription, TopicSpec } from "./model.ts";

export interface EventLogApi {
  readonly adapter: "embedded" | "kafka";
  /** Creates the topics that do not exist yet; an existing topic is left as it is. */
  readonly createTopics: (specs: readonly TopicSpec[]) => Effect.Effect<void, EventLogError>;
  readonly topics: Effect.Effect<readonly TopicSpec[], EventLogError>;
  /** Appends one keyed record; the key picks the partition (Kafka's murmur2 partitioner). */
  readonly append: (topic: string, key: string, value: string) => Effect.Effect<AppendResult, EventLogError>;
  /**
   * Appends several records in order (one request where the log allows it); all of them or an
   * error. Records of one key keep their order.
   */
  readonly appendBatch: (records: readonly AppendInput[]) => Effect.Effect<readonly AppendResult[], EventLogError>;
  /** Every record of a topic from `fromOffset` (per partition) up to its current end, by partition then offset. */
  readonly read: (topic: string, fromOffset?: number) => Effect.Effect<readonly LogRecord[], EventLogError>;
  /**
   * Joins a consumer group: at-least-once delivery (offsets committed after the handler
   * succeeds), records that fail to decode go to `<topic>.dlq`, duplicate event ids are dropped.
   * The subscription closes gracefully with the scope.
   */
  readonly subscribe: <E, R>(
    options: SubscribeOptions<E, R>,
  ) => Effect.Effect<Subscription, EventLogError, R | Scope.Scope>;
  /**
   * The offsets a consumer group has committed on a topic, per partition (the next offset it
   * will read); a partition it never committed is absent.
   */
  readonly committed: (group: string, topic: string) => Effect.Effect<ReadonlyMap<number, number>, EventLogError>;
  /** The log as JSONL (every topic, or the ones named): one record a line, by topic, partition and offset. */
  readonly exportJsonl: (topics?: readonly string[]) => Effect.Effect<string, EventLogError>;
  /** Appends every record of a JSONL export to the same topic and partition; returns the count. */
  readonly importJsonl: (jsonl: string) => Effect.Effect<number, EventLogError | BadExport>;
}

export class EventLog extends Context.Tag("@zk-testnet/event-log/EventLog")<EventLog, EventLogApi>() {}
