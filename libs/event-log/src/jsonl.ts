import { createHash } from "node:crypto";
import { BadExport } from "./errors.ts";
import type { LogRecord, TopicSpec } from "./model.ts";

/**
 * One line of a JSONL export: `{"topic","partition","offset","key","event"}` with the envelope
 * as `event`; a record whose bytes are not JSON (a malformed write) is kept as base64 `raw`.
 */
export const recordToLine = (record: LogRecord): string => {
  let event: unknown;
  try {
    event = JSON.parse(record.value);
  } catch {
    return JSON.stringify({ topic: record.topic, partition: record.partition, offset: record.offset, key: record.key, raw: Buffer.from(record.value, "utf8").toString("base64") });
  }
  return JSON.stringify({ topic: record.topic, partition: record.partition, offset: record.offset, key: record.key, event });
};

export const sortRecords = (records: readonly LogRecord[]): LogRecord[] =>
  [...records].sort((a, b) =>
    a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition || a.offset - b.offset,
  );

export const toJsonl = (records: readonly LogRecord[]): string =>
  sortRecords(records)
    .map((r) => `${recordToLine(r)}\n`)
    .join("");

export const parseJsonl = (jsonl: string): LogRecord[] | BadExport => {
  const records: LogRecord[] = [];
  const lines = jsonl.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === "") continue;
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return new BadExport({ line: i + 1, message: "not JSON" });
    }
    const { topic, partition, offset, key, event, raw } = parsed;
    if (typeof topic !== "string" || !Number.isInteger(partition) || !Number.isInteger(offset) || typeof key !== "string") {
      return new BadExport({ line: i + 1, message: "needs topic, partition, offset and key" });
    }
    if (event === undefined && typeof raw !== "string") return new BadExport({ line: i + 1, message: "needs event or raw" });
    const value = event !== undefined ? JSON.stringify(event) : Buffer.from(raw as string, "base64").toString("utf8");
    records.push({ topic, partition: partition as number, offset: offset as number, key, value });
  }
  return records;
};

/** Partition counts implied by an export (the highest partition seen + 1), for recreating topics. */
export const topicsOf = (records: readonly LogRecord[]): TopicSpec[] => {
  const counts = new Map<string, number>();
  for (const r of records) counts.set(r.topic, Math.max(counts.get(r.topic) ?? 0, r.partition + 1));
  return [...counts].map(([name, partitions]) => ({ name, partitions }));
};

export const sha256 = (text: string): string => createHash("sha256").update(text).digest("hex");
