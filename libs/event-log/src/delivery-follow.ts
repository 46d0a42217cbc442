import { Effect, Either } from "effect";
import { decodeEvent, topicOf, type ProtocolEvent } from "@zk-testnet/protocol";
import { DELIVERY_FAULT_KINDS, type DeliveryFault, type DeliveryFaultControl, type DeliveryFaultKind } from "./delivery-faults.ts";
import type { EventCodec } from "./model.ts";
import type { EventLogApi } from "./port.ts";

/** The topic the fault injector records every fault on. */
export const FAULTS_TOPIC = topicOf.FaultInjected;

/** `reorder` without a `window` parameter holds this many records. */
export const DEFAULT_REORDER_WINDOW = 4;
/** `delay` without an `ms` parameter delays each record this long. */
export const DEFAULT_DELAY_MS = 500;

export const isDeliveryFaultKind = (kind: string): kind is DeliveryFaultKind => (DELIVERY_FAULT_KINDS as readonly string[]).includes(kind);

/** The delivery fault a FaultInjected of this kind and these parameters (strings, as the event carries them) puts in force. */
export const deliveryFaultOf = (kind: DeliveryFaultKind, params: Readonly<Record<string, string>>): DeliveryFault =>
  kind === "duplicate"
    ? { kind: "duplicate" }
    : kind === "reorder"
      ? { kind: "reorder", window: Number(params["window"] ?? DEFAULT_REORDER_WINDOW), ...(params["ms"] !== undefined ? { holdMs: Number(params["ms"]) } : {}) }
      : { kind: "delay", ms: Number(params["ms"] ?? DEFAULT_DELAY_MS) };

// Every record of the faults topic reaches the handler: one that is not an event is passed
// over here (it is the services' to dead-letter, not this follower's: no second DLQ record).
const lenientCodec: EventCodec<ProtocolEvent | undefined> = {
  decode: (value) => Either.right(Either.getOrUndefined(decodeEvent(value))),
  idOf: (event) => event?.id ?? "",
};

/**
 * Delivery faults as a service process suffers them where the log is shared by processes
 * (kafka and containers modes): the injector's FaultInjected / FaultHealed events on
 * `testnet.faults` are the instruction, and every process switches its own consumers'
 * delivery (`control`, from `withDeliveryFaults` over its log) as it reads them: copies,
 * seeded reordering and delays of what a broker delivers to it, as at-least-once delivery and
 * a slow or reordering network would. What was injected before the process (re)started is
 * read first, so a restarted process is in the same faults as the others.
 *
 * `log` is the log without the faults (the follower must not suffer them); `group` a consumer
 * group of this process's own.
 */
export const followDeliveryFaults = (log: EventLogApi, control: DeliveryFaultControl, group: string) =>
  Effect.gen(function* () {
    const applied = new Set<string>();
    const apply = (event: ProtocolEvent | undefined) =>
      Effect.gen(function* () {
        if (event === undefined || applied.has(event.id)) return;
        applied.add(event.id);
        if (event.type !== "FaultInjected" && event.type !== "FaultHealed") return;
        const { fault, target } = event.payload;
        if (!isDeliveryFaultKind(fault)) return;
        if (event.type === "FaultInjected") yield* control.inject(target, deliveryFaultOf(fault, event.payload.params));
        else yield* control.heal(target, fault);
        yield* Effect.logInfo(`delivery fault ${fault} on ${target} ${event.type === "FaultInjected" ? "in force" : "lifted"}`);
      });
    for (const record of yield* log.read(FAULTS_TOPIC)) yield* apply(Either.getOrUndefined(lenientCodec.decode(record.value)));
    return yield* log.subscribe({ group, topics: [FAULTS_TOPIC], codec: lenientCodec, from: "earliest", handler: apply });
  });
