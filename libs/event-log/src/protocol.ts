import { Effect, Either } from "effect";
import { decodeEvent, dlqTopic, DLQ_RETENTION_MS, encodeEvent, topicOf, topics, type ProtocolEvent } from "@zk-testnet/protocol";
import type { EventLogError } from "./errors.ts";
import type { AppendResult, EventCodec, TopicSpec } from "./model.ts";
import type { EventLogApi } from "./port.ts";

/** Decodes records as protocol events; the event id is what consumers deduplicate on. */
export const protocolCodec: EventCodec<ProtocolEvent> = {
  decode: (value) => Either.mapLeft(decodeEvent(value), (failure) => ({ reason: failure.reason, message: failure.message })),
  idOf: (event) => event.id,
};

/** Every topic of the catalogue and its dead-letter topic, as the event log creates them. */
export const protocolTopicSpecs: readonly TopicSpec[] = topics.flatMap((t) => [
  { name: t.name, partitions: t.partitions, compacted: String(t.cleanupPolicy) === "compact", retentionMs: t.retentionMs },
  { name: dlqTopic(t.name), partitions: t.partitions, retentionMs: DLQ_RETENTION_MS },
]);

/** Appends an event to its topic of the catalogue, keyed as the catalogue says. */
export const appendEvent = (log: EventLogApi, event: ProtocolEvent): Effect.Effect<AppendResult, EventLogError> =>
  log.append(topicOf[event.type], event.key, encodeEvent(event));

/** Appends events in order, each to its topic, sharing requests where the log allows. */
export const appendEvents = (log: EventLogApi, events: readonly ProtocolEvent[]): Effect.Effect<readonly AppendResult[], EventLogError> =>
  log.appendBatch(events.map((event) => ({ topic: topicOf[event.type], key: event.key, value: encodeEvent(event) })));
