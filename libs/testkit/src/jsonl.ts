import { Either } from "effect";
import { BadExport } from "@zk-testnet/event-log";
import { decodeEventJson, type ProtocolEvent } from "@zk-testnet/protocol";

// A run's JSONL export (libs/event-log: one `{"topic","partition","offset","key","event"}` a
// line, or `raw` for bytes that were not JSON) read back as protocol events in log order.

/** A record of the export that is not one of the run's events, and why. */
export interface SkippedRecord {
  readonly line: number;
  readonly topic: string;
  readonly offset: number;
  /** "raw" (not JSON when written), "dlq" (a dead-letter topic) or why its event did not decode. */
  readonly reason: string;
}

/** An event with where the log kept it. */
export interface LoggedEvent {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly event: ProtocolEvent;
}

export interface JsonlRun {
  /** The events in log order: by time, then topic, partition and offset. */
  readonly events: readonly ProtocolEvent[];
  readonly records: number;
  readonly skipped: readonly SkippedRecord[];
}

const compareText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Log order across topics: by event time, then topic, partition and offset. */
export const logOrder = (events: readonly LoggedEvent[]): readonly LoggedEvent[] =>
  [...events].sort((a, b) => a.event.time - b.event.time || compareText(a.topic, b.topic) || a.partition - b.partition || a.offset - b.offset);

export const isDeadLetterTopic = (topic: string): boolean => topic.endsWith(".dlq");

/** Reads an export: the events of the run's topics, skipping raw records, dead-letter topics and records that do not decode. */
export const readJsonl = (jsonl: string): Either.Either<JsonlRun, BadExport> => {
  const logged: LoggedEvent[] = [];
  const skipped: SkippedRecord[] = [];
  let records = 0;
  for (const [i, text] of jsonl.split("\n").entries()) {
    if (text.trim() === "") continue;
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(text) as Record<string, unknown>;
    } catch {
      return Either.left(new BadExport({ line: i + 1, message: "not JSON" }));
    }
    const { topic, partition, offset, key, event, raw } = parsed;
    if (typeof topic !== "string" || !Number.isInteger(partition) || !Number.isInteger(offset) || typeof key !== "string") {
      return Either.left(new BadExport({ line: i + 1, message: "needs topic, partition, offset and key" }));
    }
    if (event === undefined && typeof raw !== "string") return Either.left(new BadExport({ line: i + 1, message: "needs event or raw" }));
    records++;
    const at = { line: i + 1, topic, offset: offset as number };
    if (isDeadLetterTopic(topic)) skipped.push({ ...at, reason: "dlq" });
    else if (event === undefined) skipped.push({ ...at, reason: "raw" });
    else {
      const decoded = decodeEventJson(event);
      if (Either.isLeft(decoded)) skipped.push({ ...at, reason: decoded.left.reason });
      else logged.push({ topic, partition: partition as number, offset: offset as number, event: decoded.right });
    }
  }
  return Either.right({ events: logOrder(logged).map((l) => l.event), records, skipped });
};
