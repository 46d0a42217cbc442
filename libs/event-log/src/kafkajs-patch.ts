import { createRequire } from "node:module";

/**
 * kafkajs 2.2.4's request queue (one per broker connection) re-arms a check of its pending
 * requests after every response, even with nothing pending: the delay it computes is then
 * negative (`throttledUntil` is -1 unthrottled), Node runs it after 1 ms and prints a
 * TimeoutNegativeWarning, and the check re-arms itself: a 1-ms timer loop per connection for as
 * long as the client lives. Measured on one idle producer and admin: 207 ms of CPU in 5 s
 * (a service process holds several connections, a kafka-mode run a dozen processes); with the
 * check skipped while nothing is pending, 15 ms. A request that cannot go out at once is
 * queued and re-arms the check itself, so nothing waits on the skipped timer.
 */
interface RequestQueueLike {
  readonly pending: readonly unknown[];
  scheduleCheckPendingRequests(): void;
}

const require = createRequire(import.meta.url);

/** The request queue class, as kafkajs's connections use it. */
export const KafkaJsRequestQueue = require("kafkajs/src/network/requestQueue/index.js") as {
  new (options: Record<string, unknown>): RequestQueueLike & { destroy(): void; throttleCheckTimeoutId: unknown };
  prototype: RequestQueueLike;
};

const PATCHED = Symbol.for("zk-testnet/kafkajs-idle-check");
const proto = KafkaJsRequestQueue.prototype as RequestQueueLike & { [PATCHED]?: true };
if (proto[PATCHED] !== true) {
  const original = proto.scheduleCheckPendingRequests;
  proto.scheduleCheckPendingRequests = function (this: RequestQueueLike) {
    if (this.pending.length === 0) return;
    original.call(this);
  };
  proto[PATCHED] = true;
}
