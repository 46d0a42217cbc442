import { Clock, Duration, Effect } from "effect";
import { appendEvents, EventLog } from "@zk-testnet/event-log";
import { slotStart, type NetworkConfig } from "@zk-testnet/network";
import { makeEvent, type ProtocolEvent, type Slot } from "@zk-testnet/protocol";

export const FAULT_KINDS = ["crash", "hang", "slow", "invalid", "withhold", "equivocate", "late-receipt"] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** One scheduled fault: `kind` on `target` from `slot`, healed after `slots` if given. */
export interface FaultStep {
  readonly kind: FaultKind;
  readonly target: string;
  readonly slot: number;
  readonly slots?: number;
  readonly params: Readonly<Record<string, string>>;
}

const ITEM = /^([a-z-]+):([\w-]+)@slot(\d+)(?:\+(\d+))?(?:\?(.*))?$/;

/**
 * Parses a fault spec: comma-separated `KIND:TARGET@slotN[+HEAL_AFTER_SLOTS][?key=value&...]`,
 * e.g. `crash:prover-3@slot5,slow:prover-2@slot1+4?factor=3`. Returns the steps or a message.
 */
export const parseFaultSpec = (spec: string, network: NetworkConfig): FaultStep[] | string => {
  const provers = new Set(network.provers.map((p) => p.id as string));
  const steps: FaultStep[] = [];
  for (const item of spec.split(",").map((s) => s.trim()).filter(Boolean)) {
    const m = ITEM.exec(item);
    if (m === null) return `bad fault "${item}": expected KIND:TARGET@slotN[+SLOTS][?key=value]`;
    const [, kind, target, slot, heal, query] = m;
    if (!(FAULT_KINDS as readonly string[]).includes(kind!)) return `unknown fault kind "${kind}" (one of ${FAULT_KINDS.join(", ")})`;
    if (!provers.has(target!)) return `unknown prover "${target}" in "${item}" (the network has prover-1 to prover-${network.provers.length})`;
    const params: Record<string, string> = {};
    for (const pair of (query ?? "").split("&").filter(Boolean)) {
      const [k, v] = pair.split("=");
      if (k === undefined || v === undefined || k === "") return `bad parameter "${pair}" in "${item}"`;
      params[k] = v;
    }
    if (kind === "slow" && params["factor"] !== undefined && !(Number(params["factor"]) > 0)) return `slow needs factor > 0 in "${item}"`;
    steps.push({ kind: kind as FaultKind, target: target!, slot: Number(slot), ...(heal !== undefined ? { slots: Number(heal) } : {}), params });
  }
  return steps;
};

/** The fault events of a schedule, each with the slot at which it is appended. */
export const faultEvents = (steps: readonly FaultStep[]) =>
  steps
    .flatMap((step, i) => [
      { at: step.slot, position: 2 * i, type: "FaultInjected" as const, payload: { fault: step.kind, target: step.target, params: step.params } },
      ...(step.slots !== undefined
        ? [{ at: step.slot + step.slots, position: 2 * i + 1, type: "FaultHealed" as const, payload: { fault: step.kind, target: step.target } }]
        : []),
    ])
    .sort((a, b) => a.at - b.at || a.position - b.position);

/**
 * The fault injector for sim/embedded/kafka: appends each FaultInjected / FaultHealed to
 * `testnet.faults` at the start of its slot (Clock time), so the log says what was done.
 */
export const injectFaults = (network: NetworkConfig, steps: readonly FaultStep[]) =>
  Effect.gen(function* () {
    const log = yield* EventLog;
    for (const f of faultEvents(steps)) {
      const now = yield* Clock.currentTimeMillis;
      const at = slotStart(network, f.at);
      if (at > now) yield* Effect.sleep(Duration.millis(at - now));
      const event = yield* makeEvent({
        type: f.type,
        source: "orchestrator",
        causationId: null,
        position: f.position,
        correlationId: `fault-${f.position >> 1}`,
        slot: f.at as Slot,
        payload: f.payload as never,
      } as never);
      yield* appendEvents(log, [event as ProtocolEvent]);
    }
  });
