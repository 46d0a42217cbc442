import { Effect, Metric, Schedule } from "effect";
import type { EventLogError } from "./errors.ts";
import { deadLetterOf, dlqTopicOf, memoryDedupe, type AppendResult, type LogRecord, type SubscribeOptions, type SubscriptionStats } from "./model.ts";

const deadLettered = Metric.counter("event_log_dead_lettered_total", { description: "records that failed to decode and went to the DLQ" });
const duplicates = Metric.counter("event_log_duplicates_total", { description: "records dropped because their event id was handled before" });

/** Mutable counters of one subscription; read through `snapshot`. */
export interface StatsCell {
  delivered: number;
  handled: number;
  deadLettered: number;
  duplicates: number;
  committed: Record<string, number>;
}

export const newStats = (): StatsCell => ({ delivered: 0, handled: 0, deadLettered: 0, duplicates: 0, committed: {} });

export const snapshot = (cell: StatsCell): SubscriptionStats => ({ ...cell, committed: { ...cell.committed } });

/** Retries for a handler that fails: a few, with backoff; then the record is dead-lettered. */
const handlerRetry = Schedule.exponential("50 millis").pipe(Schedule.intersect(Schedule.recurs(3)));

/**
 * What every adapter does with one delivered record: decode (else DLQ), drop a duplicate
 * event id, run the handler (retried; a handler that keeps failing dead-letters the record),
 * remember the id. Never fails for the record's sake; only an append to the DLQ can fail.
 */
export const processRecord = <E, R>(
  options: SubscribeOptions<E, R>,
  stats: StatsCell,
  dedupe: NonNullable<SubscribeOptions<E, R>["dedupe"]>,
  appendDlq: (topic: string, key: string, value: string) => Effect.Effect<AppendResult, EventLogError>,
  record: LogRecord,
): Effect.Effect<void, EventLogError, R> =>
  Effect.gen(function* () {
    stats.delivered++;
    const decoded = options.codec.decode(record.value);
    if (decoded._tag === "Left") {
      yield* appendDlq(dlqTopicOf(record.topic), record.key, JSON.stringify(deadLetterOf(record, decoded.left)));
      stats.deadLettered++;
      yield* Metric.increment(Metric.tagged(deadLettered, "topic", record.topic));
      yield* Effect.logWarning("record dead-lettered").pipe(
        Effect.annotateLogs({ topic: record.topic, partition: record.partition, offset: record.offset, reason: decoded.left.reason }),
      );
      return;
    }
    const event = decoded.right;
    const id = options.codec.idOf(event);
    if (dedupe.has(id)) {
      stats.duplicates++;
      yield* Metric.increment(Metric.tagged(duplicates, "topic", record.topic));
      return;
    }
    // The retry schedule is only built once the handler has failed: this is the hot path.
    const handled = yield* options.handler(event, record).pipe(
      Effect.as(true),
      Effect.catchAllCause(() =>
        options.handler(event, record).pipe(
          Effect.retry(handlerRetry),
          Effect.as(true),
          Effect.catchAllCause((cause) =>
            appendDlq(
              dlqTopicOf(record.topic),
              record.key,
              JSON.stringify(deadLetterOf(record, { reason: "handler-failed", message: String(cause).slice(0, 2000) })),
            ).pipe(Effect.as(false)),
          ),
        ),
      ),
    );
    if (!handled) {
      stats.deadLettered++;
      yield* Metric.increment(Metric.tagged(deadLettered, "topic", record.topic));
      yield* Effect.logWarning("record dead-lettered").pipe(
        Effect.annotateLogs({ topic: record.topic, partition: record.partition, offset: record.offset, reason: "handler-failed" }),
      );
      return;
    }
    dedupe.add(id);
    stats.handled++;
  });

export const dedupeOf = <E, R>(options: SubscribeOptions<E, R>) => options.dedupe ?? memoryDedupe();
