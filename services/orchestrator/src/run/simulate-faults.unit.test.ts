import { createHash } from "node:crypto";
import { describe, expect, it } from "@effect/vitest";
import { Effect, Either } from "effect";
import { makeNetwork, slotStart } from "@zk-testnet/network";
import { decodeDeadLetter, topics, type EventOf, type ProtocolEvent } from "@zk-testnet/protocol";
import { formatReport } from "@zk-testnet/testkit";
import { parseFaultSpec } from "./faults.ts";
import { simulate, type SimulationResult } from "./simulate.ts";

// Faults of the log itself in the simulation: delivery faults (duplicate, reorder, delay),
// records that are not events (malformed), proofs nobody signed (forge).

const network = Either.getOrThrow(
  makeNetwork({ seed: "sim-faults", genesisMs: 2_000, slots: 5, provers: 6, txPerBlock: 4, slotMs: 1_000, params: { provingWindowEpochs: 1 } }),
);
const at = (slot: number) => slotStart(network, slot);
const sha = (text: string) => createHash("sha256").update(text).digest("hex");

const simulateSpec = (spec: string) => {
  const steps = parseFaultSpec(spec, network);
  if (typeof steps === "string") throw new Error(steps);
  return Effect.runPromise(simulate(network, steps));
};

/** One simulation shared by the tests that read it. */
const once = (spec: string) => {
  let result: Promise<SimulationResult> | undefined;
  return Effect.promise(() => (result ??= simulateSpec(spec)));
};

const baseline = once("");
const ofType = <T extends ProtocolEvent["type"]>(run: SimulationResult, type: T) => run.events.filter((e): e is EventOf<T> => e.type === type);
const linesOf = (run: SimulationResult, keep: (topic: string) => boolean) =>
  run.jsonl.split("\n").filter((line) => line !== "" && keep((JSON.parse(line) as { topic: string }).topic));
const nodeOf = (p: { block: number; level: number; index: number }) => `${p.block}/${p.level}/${p.index}`;
const everyTopic = topics.map((t) => t.name);

describe("delivery faults (simulation)", () => {
  it.effect(
    "duplicate on every topic: every subscriber drops the copies by event id; apart from the fault events the log is the fault-free one",
    () =>
      Effect.gen(function* () {
        const run = yield* Effect.promise(() => simulateSpec(everyTopic.map((t) => `duplicate:${t}@slot0+4`).join(",")));
        const clean = yield* baseline;
        const notFaults = (topic: string) => !topic.startsWith("testnet.faults");
        expect(linesOf(run, notFaults)).toEqual(linesOf(clean, notFaults));
        for (const service of ["sequencer", "vrf-beacon", "prover-pool", "aggregator", "l1-settlement"]) {
          expect(run.deliveries[service]?.duplicates, service).toBeGreaterThan(0);
        }
        expect(run.summary.finalized).toBe(5);
        expect(run.invariants.ok, formatReport(run.invariants)).toBe(true);
      }),
    60_000,
  );

  it.effect(
    "duplicate and reorder on proving.proofs: the aggregator sees proofs twice and out of order, invariants hold, the same seed gives the same log",
    () =>
      Effect.gen(function* () {
        const spec = "duplicate:proving.proofs@slot1+3,reorder:proving.proofs@slot0+5?window=3&ms=250";
        const a = yield* Effect.promise(() => simulateSpec(spec));
        const b = yield* Effect.promise(() => simulateSpec(spec));
        expect(sha(a.jsonl)).toBe(sha(b.jsonl));
        expect(sha(a.jsonl)).not.toBe(sha((yield* baseline).jsonl));
        expect(a.deliveries["aggregator"]?.duplicates).toBeGreaterThan(0);
        // Proofs of a block are accepted in another order than they were submitted.
        const submitted = new Map(ofType(a, "ProofSubmitted").map((e, i) => [e.payload.proofHash, i]));
        const accepted = ofType(a, "ProofAccepted").map((e) => submitted.get(e.payload.proofHash) ?? -1);
        const inversions = accepted.filter((position, i) => i > 0 && position < accepted[i - 1]!).length;
        expect(inversions).toBeGreaterThan(0);
        expect(a.summary.finalized).toBe(5);
        expect(a.invariants.ok, formatReport(a.invariants)).toBe(true);
      }),
    60_000,
  );

  it.effect(
    "delay on l2.blocks for slots 1-2: those blocks reach the aggregator 500 ms late, the others on time; every block finalized",
    () =>
      Effect.gen(function* () {
        const run = yield* Effect.promise(() => simulateSpec("delay:l2.blocks@slot1+2?ms=500"));
        const firstAssigned = (block: number) => Math.min(...ofType(run, "NodeAssigned").filter((e) => e.payload.block === block).map((e) => e.time));
        expect([0, 1, 2, 3, 4].map(firstAssigned)).toEqual([at(0), at(1) + 500, at(2) + 500, at(3), at(4)]);
        expect(run.summary.finalized).toBe(5);
        expect(run.invariants.ok, formatReport(run.invariants)).toBe(true);
      }),
    60_000,
  );
});

describe("records that are not events, proofs nobody signed (simulation)", () => {
  it.effect(
    "malformed on every topic: each bad record lands in the topic's DLQ with its reason, and the run goes on",
    () =>
      Effect.gen(function* () {
        const run = yield* Effect.promise(() => simulateSpec(everyTopic.map((t, i) => `malformed:${t}@slot${1 + (i % 3)}`).join(",")));
        for (const topic of everyTopic) {
          const letters = linesOf(run, (t) => t === `${topic}.dlq`).map((line) => {
            const record = JSON.parse(line) as { event: unknown };
            const letter = decodeDeadLetter(JSON.stringify(record.event));
            if (Either.isLeft(letter)) throw new Error(`${topic}.dlq: ${letter.left}`);
            return letter.right;
          });
          expect(new Set(letters.map((l) => l.reason)), topic).toEqual(new Set(["bad-json", "schema-violation", "wrong-version"]));
          expect(new Set(letters.map((l) => l.topic))).toEqual(new Set([topic]));
        }
        expect(run.summary.finalized).toBe(5);
        expect(run.invariants.ok, formatReport(run.invariants)).toBe(true);
        // The bad records stay in their topics, read by nobody as events.
        expect(run.invariants.skipped.filter((s) => s.reason !== "dlq")).toHaveLength(3 * everyTopic.length);
      }),
    60_000,
  );

  /**
   * The first slot at whose start some prover holds a node without an accepted proof, that
   * prover and its latest such node: from the fault-free run, which a forge run follows until then.
   */
  const holder = Effect.map(baseline, (clean) => {
    for (let slot = 1; slot < network.slots; slot++) {
      const before = clean.events.filter((e) => e.time < at(slot));
      const done = new Set(before.filter((e) => e.type === "ProofAccepted").map((e) => nodeOf(e.payload as never)));
      const open = before.filter((e): e is EventOf<"NodeAssigned"> => e.type === "NodeAssigned" && !done.has(nodeOf(e.payload)));
      const last = open.at(-1);
      if (last === undefined) continue;
      const mine = open.filter((e) => e.payload.prover === last.payload.prover).at(-1)!;
      return { slot, prover: last.payload.prover as string, node: nodeOf(mine.payload) };
    }
    throw new Error("no prover holds an open node at any slot start");
  });

  let forged: Promise<SimulationResult> | undefined;
  const forgeRun = Effect.flatMap(holder, (h) =>
    Effect.promise(() => (forged ??= simulateSpec(`forge:${h.prover}@slot${h.slot},forge:unregistered@slot${h.slot + 1}`))),
  );

  it.effect(
    "forge: a proof signed with an unregistered key is rejected bad-signature, one from an unknown prover id unknown-prover; no slash cites either",
    () =>
      Effect.gen(function* () {
        const { slot, prover, node } = yield* holder;
        const run = yield* forgeRun;
        const injected = ofType(run, "FaultInjected").filter((e) => e.payload.fault === "forge");
        expect(injected.map((e) => [e.payload.target, e.time])).toEqual([
          [prover, at(slot)],
          ["unregistered", at(slot + 1)],
        ]);
        expect(injected[0]!.payload.params["node"]).toBe(node);
        const forgeries = ofType(run, "ProofSubmitted").filter((e) => e.source === "orchestrator");
        expect(forgeries.map((e) => [e.payload.prover, e.time])).toEqual([
          [prover, at(slot)],
          ["unregistered", at(slot + 1)],
        ]);
        expect(nodeOf(forgeries[0]!.payload)).toBe(node);
        const verdicts = forgeries.map((f) => ofType(run, "ProofRejected").find((r) => r.payload.proofHash === f.payload.proofHash));
        expect(verdicts.map((r) => r?.payload.reason)).toEqual(["bad-signature", "unknown-prover"]);
        expect(ofType(run, "ProofAccepted").filter((e) => forgeries.some((f) => f.payload.proofHash === e.payload.proofHash))).toEqual([]);
        // Neither the forged proof nor its rejection is evidence of anything.
        const cited = new Set([...forgeries.map((f) => f.id), ...verdicts.map((r) => r!.id)]);
        expect(ofType(run, "ProverSlashed").filter((s) => s.payload.evidence.some((id) => cited.has(id)) || s.payload.reason === "invalid")).toEqual([]);
        expect(run.summary.finalized).toBe(5);
        expect(run.invariants.ok, formatReport(run.invariants)).toBe(true);
      }),
    60_000,
  );

  // The pool takes back only its own proofs (by source): a forged one does not stop its work.
  it.effect(
    "forge: the prover a proof was forged for is not slashed at all",
    () =>
      Effect.gen(function* () {
        const { prover } = yield* holder;
        const run = yield* forgeRun;
        expect(ofType(run, "ProverSlashed").filter((s) => s.payload.prover === prover)).toEqual([]);
      }),
    60_000,
  );
});

describe("a griefing aggregator (simulation)", () => {
  it.effect(
    "drops prover-2's valid proofs for slots 0-2: its receipts keep it from any slash, siblings take its nodes over, and it is paid an uncle reward for each proof left out",
    () =>
      Effect.gen(function* () {
        const run = yield* Effect.promise(() => simulateSpec("grief:aggregator@slot0+3?prover=prover-2"));
        const victim = "prover-2";
        const missed = ofType(run, "NodeDeadlineMissed").filter((m) => m.payload.prover === victim);
        expect(missed.length, "prover-2 held no node while griefed: pick another seed").toBeGreaterThan(0);
        // Each node it missed it had proven in time: the aggregator dropped the proof without a verdict.
        const submitted = ofType(run, "ProofSubmitted").filter((p) => p.payload.prover === victim);
        for (const m of missed) expect(submitted.some((p) => nodeOf(p.payload) === nodeOf(m.payload) && p.time < m.payload.deadline)).toBe(true);
        const acceptedBy = new Map(ofType(run, "ProofAccepted").map((a) => [nodeOf(a.payload), a.payload.prover]));
        const leftOut = missed.map((m) => nodeOf(m.payload)).filter((node) => acceptedBy.get(node) !== victim);
        expect(leftOut.length).toBeGreaterThan(0);
        // Its receipts (posted with each proof, before the deadline) keep it from the missed slash and earn the uncles.
        expect(ofType(run, "ProverSlashed").filter((s) => s.payload.prover === victim)).toEqual([]);
        const uncles = ofType(run, "UncleRewardPaid").filter((u) => u.payload.prover === victim).map((u) => nodeOf(u.payload));
        expect(uncles.sort()).toEqual([...new Set(leftOut)].sort());
        expect(run.summary.finalized).toBe(5);
        expect(run.invariants.ok, formatReport(run.invariants)).toBe(true);
      }),
    60_000,
  );
});
