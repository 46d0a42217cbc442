import { describe, expect, it } from "@effect/vitest";
import { Effect, Either, TestClock } from "effect";
import { appendEvents, makeEmbeddedLog, EventLog, protocolCodec, protocolTopicSpecs } from "@zk-testnet/event-log";
import { makeEvent, type BlockNumber, type Hash, type Level, type NodeIndex, type ProverId, type Slot, type Timestamp } from "@zk-testnet/protocol";
import { makeNetwork, slotStart } from "@zk-testnet/network";
import { faultEvents, injectFaults, malformedRecords, parseFaultSpec, unsupported, type FaultBackends } from "./faults.ts";

const network = Either.getOrThrow(makeNetwork({ seed: "f", genesisMs: 0, slots: 10, provers: 8 }));

describe("fault spec", () => {
  it("parses kinds, targets, slots, heal times and parameters", () => {
    expect(parseFaultSpec("crash:prover-3@slot5,invalid:prover-7@slot2", network)).toEqual([
      { kind: "crash", target: "prover-3", slot: 5, params: {} },
      { kind: "invalid", target: "prover-7", slot: 2, params: {} },
    ]);
    expect(parseFaultSpec("slow:prover-2@slot1+4?factor=3", network)).toEqual([{ kind: "slow", target: "prover-2", slot: 1, slots: 4, params: { factor: "3" } }]);
  });

  it("parses service crashes, delivery faults on topics, malformed records, forgeries and griefing", () => {
    const spec = [
      "crash:aggregator@slot3+2",
      "crash:vrf-beacon@slot2+3",
      "duplicate:proving.proofs@slot2+3",
      "reorder:proving.proofs@slot0+4?window=3&ms=250",
      "delay:l2.blocks@slot1+2?ms=500",
      "malformed:testnet.faults@slot4",
      "forge:prover-2@slot3",
      "forge:unregistered@slot3",
      "grief:aggregator@slot1+2?prover=prover-3",
      "grief:aggregator@slot6",
    ].join(",");
    expect(parseFaultSpec(spec, network)).toEqual([
      { kind: "crash", target: "aggregator", slot: 3, slots: 2, params: {} },
      { kind: "crash", target: "vrf-beacon", slot: 2, slots: 3, params: {} },
      { kind: "duplicate", target: "proving.proofs", slot: 2, slots: 3, params: {} },
      { kind: "reorder", target: "proving.proofs", slot: 0, slots: 4, params: { window: "3", ms: "250" } },
      { kind: "delay", target: "l2.blocks", slot: 1, slots: 2, params: { ms: "500" } },
      { kind: "malformed", target: "testnet.faults", slot: 4, params: {} },
      { kind: "forge", target: "prover-2", slot: 3, params: {} },
      { kind: "forge", target: "unregistered", slot: 3, params: {} },
      { kind: "grief", target: "aggregator", slot: 1, slots: 2, params: { prover: "prover-3" } },
      { kind: "grief", target: "aggregator", slot: 6, params: {} },
    ]);
  });

  it.each([
    ["explode:prover-1@slot1", /unknown fault kind "explode"/],
    ["crash:prover-99@slot1", /unknown prover "prover-99"/],
    ["forge:prover-99@slot1", /unknown prover "prover-99"/],
    ["crash:prover-1", /expected KIND:TARGET@slotN/],
    ["slow:prover-1@slot1?factor=-2", /factor > 0/],
    ["hang:l1.events@slot1", /hang targets a prover \(prover-1 to prover-8\) or a service .* or a broker of kafka mode's 3-node cluster \(kafka-1 to kafka-3\); "l1.events" is a topic/],
    ["crash:kafka-4@slot1", /"kafka-4" is not a prover, service or topic/],
    ["delay:kafka-1@slot1", /delay targets a topic .*"kafka-1" is a broker/],
    ["crash:l2.blocks@slot1", /crash targets a prover \(prover-1 to prover-8\) or a service \(sequencer, vrf-beacon, prover-pool, aggregator, l1-settlement\) or a broker .*; "l2.blocks" is a topic/],
    ["crash:database@slot1", /"database" is not a prover, service or topic of this network/],
    ["crash:orchestrator@slot1", /"orchestrator" is not a prover, service or topic/],
    ["duplicate:prover-3@slot1", /duplicate targets a topic \(l2.blocks, .*testnet.faults\); "prover-3" is a prover/],
    ["delay:l2.blocks.dlq@slot1", /delay targets a topic .*"l2.blocks.dlq" is not a prover, service or topic/],
    ["malformed:aggregator@slot1", /malformed targets a topic .*"aggregator" is a service/],
    ["malformed:proving.proofs@slot1+2", /malformed happens once at its slot: no \+SLOTS/],
    ["forge:prover-1@slot1+1", /forge happens once at its slot/],
    ["forge:aggregator@slot1", /forge targets a prover \(prover-1 to prover-8\) or "unregistered" .*; "aggregator" is a service/],
    ["grief:prover-2@slot1", /grief targets "aggregator"; "prover-2" is a prover/],
    ["grief:sequencer@slot1", /grief targets "aggregator"; "sequencer" is a service/],
    ["grief:aggregator@slot1?prover=prover-99", /grief's prover must be a prover of the network/],
    ["grief:aggregator@slot1?victim=prover-1", /grief takes the parameter prover, not "victim"/],
    ["delay:l2.blocks@slot1?ms=0", /delay needs ms, a whole number > 0/],
    ["delay:l2.blocks@slot1?ms=fast", /delay needs ms/],
    ["delay:l2.blocks@slot1?window=3", /delay takes the parameter ms, not "window"/],
    ["reorder:proving.proofs@slot1?window=1", /reorder needs window, a whole number ≥ 2/],
    ["reorder:proving.proofs@slot1?ms=-5", /reorder needs ms/],
    ["duplicate:l1.events@slot1?times=3", /duplicate takes no parameters, not "times"/],
    ["partition:l2.blocks@slot1+5", /partition targets a prover \(prover-1 to prover-8\) or a service .*; "l2.blocks" is a topic/],
    ["partition:kafka-1@slot1", /partition targets a prover .*"kafka-1" is a broker/],
    ["partition:prover-2@slot1?ms=5", /partition takes no parameters, not "ms"/],
    ["latency:aggregator@slot1+2", /latency needs ms/],
    ["latency:aggregator@slot1?ms=fast", /latency needs ms, a whole number ≥ 0/],
    ["bandwidth:prover-1@slot1", /bandwidth needs kbPerSecond, a whole number > 0/],
    ["reset:sequencer@slot1?after=5", /reset takes the parameter afterMs, not "after"/],
  ])("rejects %s with a clear message", (spec, message) => {
    expect(parseFaultSpec(spec, network)).toMatch(message);
  });

  it("parses a frozen service and killed or frozen brokers (kafka mode)", () => {
    expect(parseFaultSpec("hang:aggregator@slot2+3,crash:kafka-2@slot1+4,hang:kafka-3@slot2+1", network)).toEqual([
      { kind: "hang", target: "aggregator", slot: 2, slots: 3, params: {} },
      { kind: "crash", target: "kafka-2", slot: 1, slots: 4, params: {} },
      { kind: "hang", target: "kafka-3", slot: 2, slots: 1, params: {} },
    ]);
  });

  it("parses network faults on a prover's or a service's path to the brokers", () => {
    expect(
      parseFaultSpec("partition:prover-2@slot1+5,latency:aggregator@slot2+3?ms=300&jitterMs=50,timeout:sequencer@slot1+1?ms=0,reset:prover-4@slot3+1,bandwidth:l1-settlement@slot0+9?kbPerSecond=16", network),
    ).toEqual([
      { kind: "partition", target: "prover-2", slot: 1, slots: 5, params: {} },
      { kind: "latency", target: "aggregator", slot: 2, slots: 3, params: { ms: "300", jitterMs: "50" } },
      { kind: "timeout", target: "sequencer", slot: 1, slots: 1, params: { ms: "0" } },
      { kind: "reset", target: "prover-4", slot: 3, slots: 1, params: {} },
      { kind: "bandwidth", target: "l1-settlement", slot: 0, slots: 9, params: { kbPerSecond: "16" } },
    ]);
  });

  it("carries out a network fault only where a network is: the pool plays a prover's partition, the rest needs kafka mode", () => {
    const step = (spec: string) => {
      const steps = parseFaultSpec(spec, network);
      if (!Array.isArray(steps)) throw new Error(steps);
      return steps[0]!;
    };
    expect(unsupported(step("partition:prover-2@slot1+5"), {})).toBeUndefined();
    expect(unsupported(step("partition:aggregator@slot1+5"), {})).toMatch(/needs a network between it and the brokers \(kafka mode, through Toxiproxy; or containers mode\)/);
    expect(unsupported(step("latency:prover-2@slot1+2?ms=100"), {})).toMatch(/latency of prover-2 needs a network .*kafka mode/);
    const network_ = { via: "test", unsupported: (kind: string, target: string) => (target === "sequencer" ? `no ${kind} here` : undefined), inject: () => Effect.void, heal: () => Effect.void };
    expect(unsupported(step("latency:prover-2@slot1+2?ms=100"), { network: network_ })).toBeUndefined();
    expect(unsupported(step("reset:sequencer@slot1+2"), { network: network_ })).toBe("no reset here");
  });

  it("orders injections and heals by slot", () => {
    const steps = parseFaultSpec("crash:prover-3@slot5+2,invalid:prover-7@slot2", network);
    expect(Array.isArray(steps) && faultEvents(steps).map((e) => [e.type, e.at])).toEqual([
      ["FaultInjected", 2],
      ["FaultInjected", 5],
      ["FaultHealed", 7],
    ]);
  });
});

describe("fault injector", () => {
  it.effect("carries out service hangs and broker faults through the back ends that have them, heals included, in slot order", () =>
    Effect.gen(function* () {
      const net = Either.getOrThrow(makeNetwork({ seed: "inject", genesisMs: 1_000, slots: 4, provers: 3, slotMs: 1_000 }));
      const log = yield* makeEmbeddedLog();
      yield* log.createTopics(protocolTopicSpecs);
      const done: string[] = [];
      const record = (what: string) => Effect.sync(() => void done.push(what));
      const backends: FaultBackends = {
        services: { stop: (s) => record(`stop ${s}`), start: (s) => record(`start ${s}`), pause: (s) => record(`pause ${s}`), resume: (s) => record(`resume ${s}`) },
        brokers: { kill: (n) => record(`kill ${n}`), restart: (n) => record(`restart ${n}`), pause: (n) => record(`freeze ${n}`), resume: (n) => record(`thaw ${n}`) },
      };
      const steps = parseFaultSpec("hang:aggregator@slot1+2,crash:kafka-2@slot1+1,hang:kafka-3@slot2+1,crash:sequencer@slot2", net);
      if (typeof steps === "string") throw new Error(steps);
      yield* Effect.forkScoped(injectFaults(net, steps, backends).pipe(Effect.provideService(EventLog, log)));
      yield* TestClock.adjust(slotStart(net, 4));
      expect(done).toEqual(["pause aggregator", "kill 2", "restart 2", "freeze 3", "stop sequencer", "resume aggregator", "thaw 3"]);
      // Without them, each is left out (a warning) and the log does not claim it.
      const bare = yield* makeEmbeddedLog();
      yield* bare.createTopics(protocolTopicSpecs);
      yield* Effect.forkScoped(injectFaults(net, steps).pipe(Effect.provideService(EventLog, bare)));
      yield* TestClock.adjust(slotStart(net, 4));
      expect(yield* bare.read("testnet.faults")).toEqual([]);
    }).pipe(Effect.scoped),
  );

  it.effect("forges a proof of a node handed out just after the fault's slot began (its NodeAssigned still on its way to the log)", () =>
    Effect.gen(function* () {
      const net = Either.getOrThrow(makeNetwork({ seed: "inject", genesisMs: 1_000, slots: 4, provers: 3, slotMs: 1_000 }));
      const log = yield* makeEmbeddedLog();
      yield* log.createTopics(protocolTopicSpecs);
      const steps = parseFaultSpec("forge:prover-2@slot1", net);
      if (typeof steps === "string") throw new Error(steps);
      yield* Effect.forkScoped(injectFaults(net, steps).pipe(Effect.provideService(EventLog, log)));
      yield* TestClock.adjust(slotStart(net, 1) + 120);
      const assigned = yield* makeEvent({
        type: "NodeAssigned",
        source: "aggregator",
        causationId: null,
        position: 0,
        correlationId: "block-0",
        slot: 1 as Slot,
        payload: {
          block: 0 as BlockNumber,
          level: 0 as Level,
          index: 1 as NodeIndex,
          prover: "prover-2" as ProverId,
          publicInput: "ab".repeat(32) as Hash,
          childProofHashes: [],
          deadline: slotStart(net, 4) as Timestamp,
        },
      });
      yield* appendEvents(log, [assigned]);
      yield* TestClock.adjust(slotStart(net, 4));
      const faults = (yield* log.read("testnet.faults")).map((r) => Either.getOrThrow(protocolCodec.decode(r.value)));
      expect(faults.map((e) => [e.type, e.payload])).toEqual([["FaultInjected", { fault: "forge", target: "prover-2", params: { node: "0/0/1" } }]]);
      expect(faults[0]!.time).toBeGreaterThanOrEqual(slotStart(net, 1) + 120);
      expect(faults[0]!.time).toBeLessThan(slotStart(net, 1) + 200);
      const forged = (yield* log.read("proving.proofs")).map((r) => Either.getOrThrow(protocolCodec.decode(r.value)));
      expect(forged.map((e) => [e.type, e.source, (e.payload as { prover: string }).prover])).toEqual([["ProofSubmitted", "orchestrator", "prover-2"]]);
    }).pipe(Effect.scoped),
  );

  it.effect("appends each fault at its slot start; carries out what needs only the log; leaves out what this mode cannot do", () =>
    Effect.gen(function* () {
      const net = Either.getOrThrow(makeNetwork({ seed: "inject", genesisMs: 1_000, slots: 4, provers: 3, slotMs: 1_000 }));
      const log = yield* makeEmbeddedLog();
      yield* log.createTopics(protocolTopicSpecs);
      const steps = parseFaultSpec(
        "grief:aggregator@slot1+1?prover=prover-2,crash:aggregator@slot1+1,duplicate:l2.blocks@slot1,malformed:l2.blocks@slot2,forge:unregistered@slot2",
        net,
      );
      if (typeof steps === "string") throw new Error(steps);
      // No service control and no delivery wrapper here: the crash and the duplicate are left out.
      yield* Effect.forkScoped(injectFaults(net, steps).pipe(Effect.provideService(EventLog, log)));
      yield* TestClock.adjust(slotStart(net, 5));
      const faults = (yield* log.read("testnet.faults")).map((r) => Either.getOrThrow(protocolCodec.decode(r.value)));
      expect(faults.map((e) => [e.type, e.time, e.payload])).toEqual([
        ["FaultInjected", slotStart(net, 1), { fault: "grief", target: "aggregator", params: { prover: "prover-2" } }],
        ["FaultHealed", slotStart(net, 2), { fault: "grief", target: "aggregator" }],
        ["FaultInjected", slotStart(net, 2), { fault: "malformed", target: "l2.blocks", params: {} }],
        // No node was ever assigned: it looked for one for two slots, nothing to forge, and the event says so.
        ["FaultInjected", slotStart(net, 4), { fault: "forge", target: "unregistered", params: { node: "none" } }],
      ]);
      const raw = yield* log.read("l2.blocks");
      expect(raw.map((r) => r.value)).toEqual(malformedRecords("l2.blocks", raw[0]!.key).map((r) => r.value));
      expect(raw.map((r) => protocolCodec.decode(r.value)).map((d) => (Either.isLeft(d) ? d.left.reason : "decoded"))).toEqual([
        "bad-json",
        "schema-violation",
        "wrong-version",
      ]);
    }).pipe(Effect.scoped),
  );
});
