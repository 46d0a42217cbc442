import { describe, expect, it } from "@effect/vitest";
import { Effect, Either } from "effect";
import { makeNetwork, slotStart } from "@zk-testnet/network";
import type { EventOf, ProtocolEvent } from "@zk-testnet/protocol";
import { formatReport } from "@zk-testnet/testkit";
import { parseFaultSpec } from "./faults.ts";
import { simulate, type SimulationResult } from "./simulate.ts";

// Service crashes in the simulation: a crashed service's scope is closed (it consumes and
// publishes nothing); its heal runs it again, rebuilt by replay of what its group committed.

const networkOf = (seed: string) =>
  Either.getOrThrow(makeNetwork({ seed, genesisMs: 2_000, slots: 5, provers: 6, txPerBlock: 4, slotMs: 1_000, params: { provingWindowEpochs: 1 } }));
const network = networkOf("sim-crash");
const at = (slot: number) => slotStart(network, slot);

const simulateSpec = (spec: string, seed = "sim-crash") => {
  const net = networkOf(seed);
  const steps = parseFaultSpec(spec, net);
  if (typeof steps === "string") throw new Error(steps);
  return Effect.runPromise(simulate(net, steps));
};

/** One simulation shared by the tests that read it. */
const once = (spec: string, seed: string) => {
  let result: Promise<SimulationResult> | undefined;
  return Effect.promise(() => (result ??= simulateSpec(spec, seed)));
};

const ofType = <T extends ProtocolEvent["type"]>(run: SimulationResult, type: T) => run.events.filter((e): e is EventOf<T> => e.type === type);
const beaconRounds = (run: SimulationResult) =>
  run.jsonl
    .split("\n")
    .filter((line) => line.includes('"topic":"beacon.rounds"'))
    .flatMap((line) => {
      const event = (JSON.parse(line) as { event?: { type: string; time: number; payload: { round: number } } }).event;
      return event?.type === "BeaconRound" ? [event] : [];
    });

// A seed whose proving times make the outage cost honest provers (see the `.fails` test).
const aggregatorDown = once("crash:aggregator@slot3+2", "agg-1");

describe("service crash and restart (simulation)", () => {
  it.effect(
    "aggregator down for slots 3-4: silent while down, resumes by replay at slot 5 (blocks proposed meanwhile included), every block finalized",
    () =>
      Effect.gen(function* () {
        const run = yield* aggregatorDown;
        const faults = run.events.filter((e) => e.type === "FaultInjected" || e.type === "FaultHealed");
        expect(faults.map((e) => [e.type, e.time, e.payload.target])).toEqual([
          ["FaultInjected", at(3), "aggregator"],
          ["FaultHealed", at(5), "aggregator"],
        ]);
        const byAggregator = run.events.filter((e) => e.source === "aggregator");
        expect(byAggregator.filter((e) => e.time >= at(3) && e.time < at(5))).toEqual([]);
        // Block 3 was proposed while it was down: it assigns its leaves once it is back.
        const block3 = ofType(run, "NodeAssigned").filter((e) => e.payload.block === 3);
        expect(block3.length).toBeGreaterThan(0);
        expect(Math.min(...block3.map((e) => e.time))).toBe(at(5));
        expect(run.summary.finalized).toBe(5);
        expect(run.summary.unfinalized).toEqual([]);
        // The restarted aggregator's live state is what a replay of the whole log gives.
        expect(run.invariants.replayed).toContain("aggregator");
        expect(run.invariants.violations.filter((v) => v.invariant !== 3)).toEqual([]);
        expect(run.deliveries["aggregator"]).toBeDefined();
      }),
    60_000,
  );

  // The root of block 2, whose last child was proven less than a slot before the restart, once
  // got a deadline a few hundred ms away (the Clock dated only hand-outs more than a slot late).
  it.effect(
    "aggregator down for slots 3-4: assignments made on restart get their full deadlines, no honest prover is slashed (all invariants hold)",
    () =>
      Effect.gen(function* () {
        const run = yield* aggregatorDown;
        const { leafDeadlineSlots, mergeDeadlineSlots, slotMs } = network.params;
        const first = new Map<string, EventOf<"NodeAssigned">>();
        for (const e of ofType(run, "NodeAssigned")) {
          const key = `${e.payload.block}/${e.payload.level}/${e.payload.index}`;
          if (!first.has(key)) first.set(key, e);
        }
        const short = [...first.values()].filter(
          (e) => e.payload.deadline - e.time < (e.payload.level === 0 ? leafDeadlineSlots : mergeDeadlineSlots) * slotMs,
        );
        expect(short.map((e) => `${e.payload.block}/${e.payload.level}/${e.payload.index} at ${e.time}, deadline ${e.payload.deadline}`)).toEqual([]);
        expect(run.invariants.ok, formatReport(run.invariants)).toBe(true);
      }),
    60_000,
  );

  it.effect(
    "beacon outage for slots 2-4: no BeaconRound while it is down, the rounds it missed come at once on restart, blocks wait for them and finalize",
    () =>
      Effect.gen(function* () {
        const run = yield* Effect.promise(() => simulateSpec("crash:vrf-beacon@slot2+3"));
        const rounds = beaconRounds(run);
        expect(rounds.filter((r) => r.time >= at(2) && r.time < at(5))).toEqual([]);
        // Rounds 3 to 5 are those of slots 2 to 4; the beacon catches up when it is back (as drand nodes do).
        expect(rounds.map((r) => [r.payload.round, r.time])).toEqual([
          [1, at(0)],
          [2, at(1)],
          [3, at(5)],
          [4, at(5)],
          [5, at(5)],
        ]);
        // A block is assigned only once its round is in.
        for (const block of [2, 3, 4]) {
          const assigned = ofType(run, "NodeAssigned").filter((e) => e.payload.block === block);
          expect(Math.min(...assigned.map((e) => e.time))).toBe(at(5));
        }
        expect(run.summary.finalized).toBe(5);
        expect(run.invariants.ok, formatReport(run.invariants)).toBe(true);
      }),
    60_000,
  );

  it.effect(
    "sequencer, prover pool and L1 crash and restart: each resumes its slot timers and pending work, every block finalized, invariants hold",
    () =>
      Effect.gen(function* () {
        const run = yield* Effect.promise(() => simulateSpec("crash:sequencer@slot1+2,crash:prover-pool@slot2+1,crash:l1-settlement@slot3+2"));
        // The sequencer proposes the slots it missed at once when it is back, then keeps its slot clock.
        expect(ofType(run, "BlockProposed").map((e) => [e.payload.block, e.time])).toEqual([
          [0, at(0)],
          [1, at(3)],
          [2, at(3)],
          [3, at(3)],
          [4, at(4)],
        ]);
        // Nothing from the L1 while it was down; what it missed it settles on restart.
        expect(run.events.filter((e) => e.source === "l1-settlement" && e.time >= at(3) && e.time < at(5))).toEqual([]);
        expect(run.summary.finalized).toBe(5);
        expect(run.invariants.replayed).toEqual(expect.arrayContaining(["sequencer", "prover-pool", "l1-settlement"]));
        expect(run.invariants.ok, formatReport(run.invariants)).toBe(true);
      }),
    60_000,
  );

  it.effect(
    "a crash with no heal leaves the service down: no block after it, the run still ends and checks what it has",
    () =>
      Effect.gen(function* () {
        const run = yield* Effect.promise(() => simulateSpec("crash:sequencer@slot2"));
        expect(ofType(run, "BlockProposed").map((e) => e.payload.block)).toEqual([0, 1]);
        expect(run.summary.finalized).toBe(2);
        // A service down at the end has no live state to compare with its replay.
        expect(run.invariants.replayed).not.toContain("sequencer");
        expect(run.invariants.ok, formatReport(run.invariants)).toBe(true);
      }),
    60_000,
  );
});
