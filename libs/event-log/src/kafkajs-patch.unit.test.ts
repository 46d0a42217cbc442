import { EventEmitter } from "node:events";
import { describe, expect, it } from "vitest";
import { KafkaJsRequestQueue } from "./kafkajs-patch.ts";

const silent = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
const queue = () =>
  new KafkaJsRequestQueue({
    instrumentationEmitter: new EventEmitter(),
    maxInFlightRequests: 1,
    requestTimeout: 30_000,
    enforceRequestTimeout: false,
    clientId: "test",
    broker: "127.0.0.1:1",
    logger: { namespace: () => silent },
    isConnected: () => true,
  });

describe("kafkajs request queue", () => {
  it("arms no pending-request check when nothing is pending (kafkajs looped on a 1-ms timer), and still arms one when something is", () => {
    const idle = queue();
    idle.scheduleCheckPendingRequests();
    expect(idle.throttleCheckTimeoutId).toBeNull();
    idle.destroy();

    const busy = queue() as ReturnType<typeof queue> & { pending: unknown[] };
    busy.pending.push({ correlationId: 1 });
    busy.scheduleCheckPendingRequests();
    expect(busy.throttleCheckTimeoutId).not.toBeNull();
    busy.pending.length = 0;
    busy.destroy();
  });
});
