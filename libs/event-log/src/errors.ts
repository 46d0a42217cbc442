import { Data } from "effect";

/** The broker (or the log's storage) could not be reached, or the connection dropped. */
export class ConnectionLost extends Data.TaggedError("ConnectionLost")<{ readonly message: string }> {}

/** A topic that was never created. */
export class TopicMissing extends Data.TaggedError("TopicMissing")<{ readonly topic: string }> {
  override get message(): string {
    return `topic ${this.topic} does not exist`;
  }
}

/** A record above the log's size limit. */
export class RecordTooLarge extends Data.TaggedError("RecordTooLarge")<{
  readonly topic: string;
  readonly bytes: number;
  readonly limit: number;
}> {
  override get message(): string {
    return `a record of ${this.bytes} bytes for topic ${this.topic} is over the limit of ${this.limit}`;
  }
}

/** An operation that did not finish within its time budget. */
export class LogTimeout extends Data.TaggedError("LogTimeout")<{ readonly operation: string; readonly message: string }> {}

/** A JSONL line that is not a log record, or a file that cannot be read or written. */
export class BadExport extends Data.TaggedError("BadExport")<{ readonly line: number; readonly message: string }> {}

export type EventLogError = ConnectionLost | TopicMissing | RecordTooLarge | LogTimeout;
