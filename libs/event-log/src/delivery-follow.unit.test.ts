import { describe, expect, it } from "@effect/vitest";
import { Effect } from "effect";
import { makeRng } from "@zk-testnet/mechanisms";
import { makeEvent, type ProtocolEvent, type Slot } from "@zk-testnet/protocol";
import { withDeliveryFaults } from "./delivery-faults.ts";
import { FAULTS_TOPIC, deliveryFaultOf, followDeliveryFaults } from "./delivery-follow.ts";
import { makeEmbeddedLog } from "./embedded.ts";
import { dlqTopicOf } from "./model.ts";
import { appendEvents, protocolTopicSpecs } from "./protocol.ts";

const drain = Effect.repeatN(Effect.yieldNow(), 100);

let position = 0;
const faultEvent = (type: "FaultInjected" | "FaultHealed", fault: string, target: string, params: Record<string, string> = {}) =>
  makeEvent({
    type,
    source: "orchestrator",
    causationId: null,
    position: position++,
    correlationId: `fault-${position}`,
    slot: 0 as Slot,
    payload: (type === "FaultInjected" ? { fault, target, params } : { fault, target }) as never,
  } as never) as Effect.Effect<ProtocolEvent>;

const setup = Effect.gen(function* () {
  const inner = yield* makeEmbeddedLog();
  yield* inner.createTopics(protocolTopicSpecs);
  const { control } = yield* withDeliveryFaults(inner, { random: makeRng("follow") });
  const record = (type: "FaultInjected" | "FaultHealed", fault: string, target: string, params?: Record<string, string>) =>
    Effect.flatMap(faultEvent(type, fault, target, params), (e) => appendEvents(inner, [e]));
  return { inner, control, record };
});

describe("delivery faults followed from testnet.faults (kafka and containers modes)", () => {
  it("reads a FaultInjected's parameters as the fault it puts in force, with the defaults for what is left out", () => {
    expect(deliveryFaultOf("duplicate", {})).toEqual({ kind: "duplicate" });
    expect(deliveryFaultOf("reorder", { window: "3", ms: "250" })).toEqual({ kind: "reorder", window: 3, holdMs: 250 });
    expect(deliveryFaultOf("reorder", {})).toEqual({ kind: "reorder", window: 4 });
    expect(deliveryFaultOf("delay", { ms: "40" })).toEqual({ kind: "delay", ms: 40 });
    expect(deliveryFaultOf("delay", {})).toEqual({ kind: "delay", ms: 500 });
  });

  it.scoped("puts in force what was injected before it started, then follows injections and heals as they come", () =>
    Effect.gen(function* () {
      const s = yield* setup;
      yield* s.record("FaultInjected", "duplicate", "l2.blocks");
      yield* s.record("FaultInjected", "crash", "prover-2");
      yield* followDeliveryFaults(s.inner, s.control, "pool.delivery-faults");
      expect(yield* s.control.active).toEqual(new Map([["l2.blocks", [{ kind: "duplicate" }]]]));

      yield* s.record("FaultInjected", "reorder", "proving.proofs", { window: "3", ms: "250" });
      yield* drain;
      expect((yield* s.control.active).get("proving.proofs")).toEqual([{ kind: "reorder", window: 3, holdMs: 250 }]);

      yield* s.record("FaultHealed", "duplicate", "l2.blocks");
      yield* s.record("FaultHealed", "crash", "prover-2");
      yield* drain;
      expect(yield* s.control.active).toEqual(new Map([["proving.proofs", [{ kind: "reorder", window: 3, holdMs: 250 }]]]));
    }),
  );

  it.scoped("applies each event once, though the catch-up read and the subscription both see it", () =>
    Effect.gen(function* () {
      const s = yield* setup;
      yield* s.record("FaultInjected", "delay", "l1.events", { ms: "100" });
      yield* followDeliveryFaults(s.inner, s.control, "aggregator.delivery-faults");
      yield* drain;
      yield* s.record("FaultHealed", "delay", "l1.events");
      yield* drain;
      // Applied twice, the inject would still be in force after one heal.
      expect(yield* s.control.active).toEqual(new Map());
    }),
  );

  it.scoped("passes over a record of the faults topic that is not an event, leaving its dead-lettering to the services", () =>
    Effect.gen(function* () {
      const s = yield* setup;
      yield* s.inner.append(FAULTS_TOPIC, "junk", "{not json");
      yield* followDeliveryFaults(s.inner, s.control, "sequencer.delivery-faults");
      yield* s.inner.append(FAULTS_TOPIC, "junk", "{still not json");
      yield* s.record("FaultInjected", "duplicate", "proving.proofs");
      yield* drain;
      expect(yield* s.control.active).toEqual(new Map([["proving.proofs", [{ kind: "duplicate" }]]]));
      expect(yield* s.inner.read(dlqTopicOf(FAULTS_TOPIC))).toEqual([]);
    }),
  );
});
