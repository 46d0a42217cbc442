import { describe, expect, it } from "vitest";
import { fromKafkaJs, isTransient } from "./kafka-errors.ts";

// kafkajs errors as it throws them: a KafkaJSProtocolError with the broker's error `type`,
// often inside KafkaJSNumberOfRetriesExceeded.
const protocolError = (type: string) => Object.assign(new Error(`broker says ${type}`), { name: "KafkaJSProtocolError", type });
const afterRetries = (cause: Error) => Object.assign(new Error("retries exceeded"), { name: "KafkaJSNumberOfRetriesExceeded", cause });

describe("kafkajs errors as the port's", () => {
  it("takes a topic the broker does not know, and nobody created, for a missing topic: not retried, and says which", () => {
    const error = fromKafkaJs(afterRetries(protocolError("UNKNOWN_TOPIC_OR_PARTITION")), "append", "l2.blocks");
    expect(error._tag).toBe("TopicMissing");
    expect(error.message).toBe("topic l2.blocks does not exist");
    expect(isTransient(error)).toBe(false);
  });

  it("takes a broker that does not know a topic this client created for lagging metadata: transient, retried", () => {
    const exists = (topic: string) => topic === "l2.blocks";
    const error = fromKafkaJs(afterRetries(protocolError("UNKNOWN_TOPIC_OR_PARTITION")), "subscribe", "l2.blocks", 0, exists);
    expect(error._tag).toBe("ConnectionLost");
    expect(error.message).toContain("subscribe: a broker does not know topic l2.blocks yet");
    expect(isTransient(error)).toBe(true);
    expect(fromKafkaJs(protocolError("UNKNOWN_TOPIC_ID"), "read", "other.topic", 0, exists)._tag).toBe("TopicMissing");
  });

  it("says how large a record over the limit was", () => {
    const error = fromKafkaJs(protocolError("MESSAGE_TOO_LARGE"), "append", "proving.proofs", 2_000_000);
    expect(error._tag).toBe("RecordTooLarge");
    expect(error.message).toBe("a record of 2000000 bytes for topic proving.proofs is over the limit of 1048576");
  });
});
