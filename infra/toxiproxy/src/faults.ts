import { Effect } from "effect";
import type { ToxicSpec, ToxiproxyClient } from "./client.ts";
import { InvalidFault, type ToxiproxyApiError } from "./errors.ts";

/**
 * A network fault on the path between clients and one broker:
 * - latency: each response chunk is delayed by `ms` (± `jitterMs`), so a round trip grows by about `ms`;
 * - timeout: no data passes either way, and connections are closed after `ms` (0: held open, silent);
 * - reset: connections are reset (TCP RST) `afterMs` after a client sends anything;
 * - bandwidth: each direction is limited to `kbPerSecond` KB/s;
 * - down: the proxy stops listening and closes its connections, so new ones are refused.
 */
export type NetworkFault =
  | { readonly kind: "latency"; readonly ms: number; readonly jitterMs?: number }
  | { readonly kind: "timeout"; readonly ms: number }
  | { readonly kind: "reset"; readonly afterMs?: number }
  | { readonly kind: "bandwidth"; readonly kbPerSecond: number }
  | { readonly kind: "down" };

export const NETWORK_FAULT_KINDS = ["latency", "timeout", "reset", "bandwidth", "down"] as const;
export type NetworkFaultKind = (typeof NETWORK_FAULT_KINDS)[number];

/** Every toxic this package adds is named with this prefix, so healing removes only its own. */
export const FAULT_TOXIC_PREFIX = "fault-";

const named = (kind: NetworkFaultKind, toxic: ToxicSpec & { readonly stream: "upstream" | "downstream" }): ToxicSpec => ({
  ...toxic,
  name: `${FAULT_TOXIC_PREFIX}${kind}-${toxic.stream}`,
});

/** The toxics that make up a fault (none for `down`, which disables the proxy instead). */
export const toxicsFor = (fault: NetworkFault): readonly ToxicSpec[] => {
  switch (fault.kind) {
    case "latency":
      return [named("latency", { type: "latency", stream: "downstream", attributes: { latency: fault.ms, jitter: fault.jitterMs ?? 0 } })];
    case "timeout":
      return (["upstream", "downstream"] as const).map((stream) =>
        named("timeout", { type: "timeout", stream, attributes: { timeout: fault.ms } }),
      );
    case "reset":
      return [named("reset", { type: "reset_peer", stream: "upstream", attributes: { timeout: fault.afterMs ?? 0 } })];
    case "bandwidth":
      return (["upstream", "downstream"] as const).map((stream) =>
        named("bandwidth", { type: "bandwidth", stream, attributes: { rate: fault.kbPerSecond } }),
      );
    case "down":
      return [];
  }
};

const count = (params: Readonly<Record<string, string>>, key: string, fallback?: number): Effect.Effect<number, InvalidFault> => {
  const raw = params[key];
  if (raw === undefined) {
    return fallback === undefined ? Effect.fail(new InvalidFault({ message: `missing ${key}` })) : Effect.succeed(fallback);
  }
  const value = Number(raw);
  return Number.isSafeInteger(value) && value >= 0
    ? Effect.succeed(value)
    : Effect.fail(new InvalidFault({ message: `${key} must be a whole number ≥ 0, got "${raw}"` }));
};

/**
 * A fault from a kind and string parameters, as a CLI or a scenario file gives them:
 * latency ms [jitterMs], timeout ms, reset [afterMs], bandwidth kbPerSecond, down.
 */
export const parseNetworkFault = (kind: string, params: Readonly<Record<string, string>> = {}): Effect.Effect<NetworkFault, InvalidFault> => {
  switch (kind) {
    case "latency":
      return Effect.all({ ms: count(params, "ms"), jitterMs: count(params, "jitterMs", 0) }).pipe(
        Effect.map(({ ms, jitterMs }) => ({ kind, ms, jitterMs })),
      );
    case "timeout":
      return count(params, "ms").pipe(Effect.map((ms) => ({ kind, ms })));
    case "reset":
      return count(params, "afterMs", 0).pipe(Effect.map((afterMs) => ({ kind, afterMs })));
    case "bandwidth":
      return count(params, "kbPerSecond").pipe(Effect.map((kbPerSecond) => ({ kind, kbPerSecond })));
    case "down":
      return Effect.succeed({ kind });
    default:
      return Effect.fail(new InvalidFault({ message: `unknown network fault "${kind}" (one of ${NETWORK_FAULT_KINDS.join(", ")})` }));
  }
};

/**
 * Applies a fault to one proxy. A fault of the same kind already there is replaced; faults of
 * other kinds stay, so latency and bandwidth can be combined.
 */
export const applyFault = (client: ToxiproxyClient, proxy: string, fault: NetworkFault): Effect.Effect<void, ToxiproxyApiError> =>
  Effect.gen(function* () {
    if (fault.kind === "down") {
      yield* client.disable(proxy);
      return;
    }
    const toxics = toxicsFor(fault);
    const present = new Set((yield* client.toxics(proxy)).map((t) => t.name));
    for (const toxic of toxics) {
      if (toxic.name !== undefined && present.has(toxic.name)) yield* client.removeToxic(proxy, toxic.name);
      yield* client.addToxic(proxy, toxic);
    }
  });

/** Removes every fault toxic from one proxy and enables it again. */
export const healProxy = (client: ToxiproxyClient, proxy: string): Effect.Effect<void, ToxiproxyApiError> =>
  Effect.gen(function* () {
    for (const toxic of yield* client.toxics(proxy)) {
      if (toxic.name.startsWith(FAULT_TOXIC_PREFIX)) yield* client.removeToxic(proxy, toxic.name);
    }
    yield* client.enable(proxy);
  });
