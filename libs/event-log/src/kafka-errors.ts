import { ConnectionLost, LogTimeout, RecordTooLarge, TopicMissing, type EventLogError } from "./errors.ts";

interface KafkaJsErrorLike {
  readonly name?: string;
  readonly type?: string;
  readonly message?: string;
  readonly cause?: unknown;
  readonly retriable?: boolean;
}

/**
 * Maps a kafkajs error (possibly wrapped in retry errors) to the port's typed errors. A broker
 * that says it does not know a topic `exists` says exists (one this client created or listed)
 * has metadata that lags behind the topic's creation (a fresh topic in a cluster, a broker
 * just restarted): that is a transient ConnectionLost, not a TopicMissing.
 */
export const fromKafkaJs = (error: unknown, operation: string, topic?: string, bytes = 0, exists: (topic: string) => boolean = () => false): EventLogError => {
  let e = error as KafkaJSErrorLikeChain;
  // KafkaJSNumberOfRetriesExceeded and friends carry the real reason in `cause`.
  for (let i = 0; i < 5 && e?.cause !== undefined && (e.name === "KafkaJSNumberOfRetriesExceeded" || e.name === "KafkaJSNonRetriableError"); i++) {
    e = e.cause as KafkaJSErrorLikeChain;
  }
  const message = `${operation}: ${e?.message ?? String(error)}`;
  if (e?.type === "UNKNOWN_TOPIC_OR_PARTITION" || e?.type === "UNKNOWN_TOPIC_ID") {
    if (topic !== undefined && exists(topic)) return new ConnectionLost({ message: `${operation}: a broker does not know topic ${topic} yet (its metadata lags behind the topic's creation)` });
    return new TopicMissing({ topic: topic ?? "?" });
  }
  if (e?.type === "MESSAGE_TOO_LARGE" || e?.type === "RECORD_LIST_TOO_LARGE") {
    return new RecordTooLarge({ topic: topic ?? "?", bytes, limit: 1_048_576 });
  }
  if (e?.name === "KafkaJSRequestTimeoutError" || e?.type === "REQUEST_TIMED_OUT" || e?.name === "KafkaJSTimeout") {
    return new LogTimeout({ operation, message });
  }
  return new ConnectionLost({ message });
};

type KafkaJSErrorLikeChain = KafkaJsErrorLike | undefined;

/** Errors worth retrying: the connection or a timeout, not a missing topic or an oversized record. */
export const isTransient = (error: EventLogError): boolean => error._tag === "ConnectionLost" || error._tag === "LogTimeout";
