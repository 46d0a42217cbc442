import { describe, expect, it } from "vitest";
import { initialTransition, transition, type SnapshotFrom } from "xstate";
import type { OutputDraft, PublishParams, RunParams } from "@zk-testnet/actors";
import { proverKeyFromSeed, proverSeed, signProof, verifyProof } from "@zk-testnet/crypto";
import { DEFAULT_COST_MODEL, makeRng, nodeDeadlineMs, provingDuration } from "@zk-testnet/mechanisms";
import type { FaultSpec, NetworkConfig } from "@zk-testnet/network";
import { proofHash, type EventOf, type ProofStatement, type ProtocolEvent, type ProverId } from "@zk-testnet/protocol";
import { blockFinalized, faultHealed, faultInjected, hashOf, nodeAssigned, protocolEvent, proverRegistered, takeoverOpened, testNetwork } from "./fixtures.ts";
import {
  DEFAULT_SLOW_FACTOR,
  conflictingStatement,
  machine,
  workKey,
  wrongPublicInput,
  type ProofReady,
  type ProverPoolEvent,
  type ProveTwiceInput,
  type SignedProof,
} from "./machine.ts";

type Snapshot = SnapshotFrom<typeof machine>;
interface Action {
  readonly type: string;
  readonly params?: unknown;
}

const base = testNetwork(4, "prover-pool-faults");
const [p1, p2, p3, p4] = base.provers.map((p) => p.id) as [ProverId, ProverId, ProverId, ProverId];
const withFaults = (faults: readonly FaultSpec[]): NetworkConfig => testNetwork(4, "prover-pool-faults", faults);

const givenOn = (network: NetworkConfig, ...events: readonly ProverPoolEvent[]): Snapshot => {
  let snapshot = initialTransition(machine, { network })[0];
  for (const event of events) snapshot = transition(machine, snapshot, event)[0];
  return snapshot;
};
const given = (...events: readonly ProverPoolEvent[]): Snapshot => givenOn(base, ...events);

const when = (snapshot: Snapshot, event: ProverPoolEvent): { readonly state: Snapshot; readonly actions: readonly Action[] } => {
  const [state, actions] = transition(machine, snapshot, event);
  const host = (actions as readonly Action[]).filter((a) => ["publish", "run", "cancel", "schedule"].includes(a.type));
  return { state, actions: host.map((a) => ({ type: a.type, params: a.params })) };
};

const input = (event: ProtocolEvent): ProverPoolEvent => ({ type: "input", event });
const started = (now: number): ProverPoolEvent => ({ type: "host.started", now });
const published = (actions: readonly Action[]): readonly OutputDraft[] => actions.filter((a) => a.type === "publish").flatMap((a) => (a.params as PublishParams).events);
const runs = (actions: readonly Action[]) => actions.filter((a) => a.type === "run").map((a) => a.params as RunParams);
const proofRuns = (actions: readonly Action[]) => runs(actions).filter((r) => r.actor !== "warn");
const warnings = (actions: readonly Action[]) => runs(actions).filter((r) => r.actor === "warn").map((r) => (r.input as { message: string }).message);

const keyOf = (prover: ProverId) => proverKeyFromSeed(proverSeed(base.seed, prover));
const sign = (statement: ProofStatement): SignedProof => {
  const signature = signProof(keyOf(statement.prover), statement);
  return { proof: statement, signature, proofHash: proofHash(statement, signature) };
};
/** What the `prove` / `proveTwice` actor returns for a run. */
const ready = (run: RunParams): ProofReady => {
  if (run.actor === "proveTwice") {
    const { first, second } = run.input as ProveTwiceInput;
    return { type: "proofReady", ...sign(first), second: sign(second) };
  }
  return { type: "proofReady", ...sign(run.input as ProofStatement) };
};

const registeredAll = base.provers.map((p) => input(proverRegistered(p.id, p.stake, keyOf(p.id).publicKey)));

const duration = (prover: ProverId, block: number, level: number, index: number, attempt = ""): number =>
  provingDuration({
    level,
    speed: base.provers.find((p) => p.id === prover)?.speed ?? Number.NaN,
    deadlineMs: nodeDeadlineMs(base.params, level),
    slotMs: base.params.slotMs,
    params: DEFAULT_COST_MODEL,
    rng: makeRng(base.seed).fork(`prover-pool/${prover}/${block}/${level}/${index}${attempt}`),
  });

const statementOf = (assigned: EventOf<"NodeAssigned">, prover = assigned.payload.prover): ProofStatement => ({
  block: assigned.payload.block,
  level: assigned.payload.level,
  index: assigned.payload.index,
  prover,
  publicInput: assigned.payload.publicInput,
  childProofHashes: assigned.payload.childProofHashes,
});

/** Drives one assignment to the end: the assignment, then the actor's result of every run it armed. */
const proveThrough = (snapshot: Snapshot, assigned: EventOf<"NodeAssigned">) => {
  const first = when(snapshot, input(assigned));
  const outputs: OutputDraft[] = [];
  let state = first.state;
  for (const run of proofRuns(first.actions)) {
    const done = when(state, ready(run));
    state = done.state;
    outputs.push(...published(done.actions));
  }
  return { state, runs: proofRuns(first.actions), outputs };
};

const leaf = (prover: ProverId, time = 4_000, block = 3, index = 1) => nodeAssigned({ block, level: 0, index, prover, time });

describe("prover-pool faults: each profile", () => {
  it("honest: when the proof is ready, posts its receipt and then submits, in one step, with the same proof hash", () => {
    const assigned = leaf(p1);
    const { runs: armed, outputs } = proveThrough(given(...registeredAll), assigned);
    expect(armed).toEqual([{ id: `prove:3/0/1@${p1}`, actor: "prove", input: statementOf(assigned), at: 4_000 + duration(p1, 3, 0, 1) }]);
    expect(outputs.map((o) => o.type)).toEqual(["PostReceipt", "ProofSubmitted"]);
    const [receipt, proof] = outputs as [OutputDraft<"PostReceipt">, OutputDraft<"ProofSubmitted">];
    expect(receipt).toEqual({ type: "PostReceipt", correlationId: "block-3", slot: proof.slot, payload: { block: 3, level: 0, index: 1, prover: p1, proofHash: proof.payload.proofHash } });
    expect(proof.payload.publicInput).toBe(assigned.payload.publicInput);
  });

  it("crash (from the network config): takes no work, arms nothing, publishes nothing, even after a restart", () => {
    const network = withFaults([{ fault: "crash", target: p1 }]);
    const snapshot = givenOn(network, ...registeredAll);
    expect(snapshot.context.provers[p1]?.profile).toBe("crash");
    const { state, actions } = when(snapshot, input(leaf(p1)));
    expect(actions).toEqual([]);
    expect(state.context.pending[`3/0/1@${p1}`]).toMatchObject({ profile: "crash", due: null, submit: "none", receipt: false });
    expect(proofRuns(when(state, started(50_000)).actions)).toEqual([]);
  });

  it("crash (at run time): in-flight work is cancelled and lost; a late actor result publishes nothing; healing does not bring it back", () => {
    const assigned = leaf(p1);
    const { state: pending, actions } = when(given(...registeredAll), input(assigned));
    const [run] = proofRuns(actions) as [RunParams];
    const crashed = when(pending, input(faultInjected("crash", p1, 5_000)));
    expect(crashed.actions).toEqual([{ type: "cancel", params: { id: `prove:3/0/1@${p1}` } }]);
    expect(when(crashed.state, ready(run)).actions).toEqual([]);
    const healed = when(crashed.state, input(faultHealed("crash", p1, 6_000)));
    expect(healed.actions).toEqual([]);
    expect(healed.state.context.provers[p1]?.profile).toBe("honest");
    // New work after the heal is honest again.
    expect(proofRuns(when(healed.state, input(leaf(p1, 7_000, 3, 2))).actions)).toHaveLength(1);
  });

  it("hang: accepts work and never finishes it; healed, the frozen work resumes (at once if it was overdue)", () => {
    const network = withFaults([{ fault: "hang", target: p2 }]);
    const assigned = leaf(p2, 4_000);
    const { state, actions } = when(givenOn(network, ...registeredAll), input(assigned));
    expect(actions).toEqual([]);
    expect(state.context.pending[`3/0/1@${p2}`]).toMatchObject({ profile: "hang", due: null });
    expect(proofRuns(when(state, started(9_000)).actions)).toEqual([]);

    const honestDue = 4_000 + duration(p2, 3, 0, 1);
    const early = when(state, input(faultHealed("hang", p2, 4_001)));
    expect(proofRuns(early.actions)).toEqual([expect.objectContaining({ id: `prove:3/0/1@${p2}`, at: honestDue })]);
    const late = when(state, input(faultHealed("hang", p2, 20_000)));
    expect(proofRuns(late.actions)).toEqual([expect.objectContaining({ at: 20_000 })]);
  });

  it("hang (at run time): in-flight work freezes (its run is cancelled)", () => {
    const { state } = when(given(...registeredAll), input(leaf(p1)));
    const hung = when(state, input(faultInjected("hang", p1, 4_500)));
    expect(hung.actions).toEqual([{ type: "cancel", params: { id: `prove:3/0/1@${p1}` } }]);
    expect(hung.state.context.pending[`3/0/1@${p1}`]).toMatchObject({ profile: "hang", due: null });
  });

  it("slow: the proving time is multiplied by params.factor (default 4), then it behaves as honest", () => {
    const slow = givenOn(withFaults([{ fault: "slow", target: p1, params: { factor: "2.5" } }, { fault: "slow", target: p2 }]), ...registeredAll);
    const [run1] = proofRuns(when(slow, input(leaf(p1))).actions);
    expect(run1?.at).toBe(4_000 + Math.round(duration(p1, 3, 0, 1) * 2.5));
    const [run2] = proofRuns(when(slow, input(leaf(p2))).actions);
    expect(run2?.at).toBe(4_000 + Math.round(duration(p2, 3, 0, 1) * DEFAULT_SLOW_FACTOR));
    const { outputs } = proveThrough(slow, leaf(p2));
    expect(outputs.map((o) => o.type)).toEqual(["PostReceipt", "ProofSubmitted"]);
  });

  it("invalid: signs and submits a proof of a wrong public input, posts no receipt", () => {
    const assigned = leaf(p3);
    const { runs: armed, outputs } = proveThrough(givenOn(withFaults([{ fault: "invalid", target: p3 }]), ...registeredAll), assigned);
    const wrong = { ...statementOf(assigned), publicInput: wrongPublicInput(assigned.payload.publicInput) };
    expect(armed).toEqual([{ id: `prove:3/0/1@${p3}`, actor: "prove", input: wrong, at: 4_000 + duration(p3, 3, 0, 1) }]);
    expect(outputs.map((o) => o.type)).toEqual(["ProofSubmitted"]);
    const { signature, proofHash: _hash, ...signed } = (outputs[0] as OutputDraft<"ProofSubmitted">).payload;
    expect(signed.publicInput).not.toBe(assigned.payload.publicInput);
    expect(verifyProof(keyOf(p3).publicKey, signed, signature)).toBe(true);
  });

  it("withhold: finishes and posts its receipt but never submits; with receipt=false it publishes nothing at all", () => {
    const withholding = givenOn(withFaults([{ fault: "withhold", target: p1 }, { fault: "withhold", target: p2, params: { receipt: "false" } }]), ...registeredAll);
    const { state, outputs } = proveThrough(withholding, leaf(p1));
    expect(outputs.map((o) => o.type)).toEqual(["PostReceipt"]);
    expect(state.context.pending).toEqual({});
    expect(state.context.submitted).toEqual({});
    expect(state.context.receipts[`3/0/1@${p1}`]).toBe((outputs[0] as OutputDraft<"PostReceipt">).payload.proofHash);

    const silent = when(withholding, input(leaf(p2)));
    expect(silent.actions).toEqual([]);
    expect(silent.state.context.pending[`3/0/1@${p2}`]).toMatchObject({ profile: "withhold", due: null, receipt: false });
  });

  it("equivocate: posts a receipt, submits its valid proof and then a second, conflicting proof, both signed", () => {
    const equivocating = givenOn(withFaults([{ fault: "equivocate", target: p4 }]), ...registeredAll);
    const assigned = leaf(p4);
    const { runs: armed, outputs, state } = proveThrough(equivocating, assigned);
    expect(armed).toEqual([
      {
        id: `prove:3/0/1@${p4}`,
        actor: "proveTwice",
        input: { first: statementOf(assigned), second: { ...statementOf(assigned), publicInput: wrongPublicInput(assigned.payload.publicInput) } },
        at: 4_000 + duration(p4, 3, 0, 1),
      },
    ]);
    expect(outputs.map((o) => o.type)).toEqual(["PostReceipt", "ProofSubmitted", "ProofSubmitted"]);
    const [receipt, valid, twin] = outputs as [OutputDraft<"PostReceipt">, OutputDraft<"ProofSubmitted">, OutputDraft<"ProofSubmitted">];
    expect(receipt.payload.proofHash).toBe(valid.payload.proofHash);
    expect(valid.payload.publicInput).toBe(assigned.payload.publicInput);
    expect(twin.payload.proofHash).not.toBe(valid.payload.proofHash);
    for (const { payload } of [valid, twin]) {
      const { signature, proofHash: _h, ...statement } = payload;
      expect(verifyProof(keyOf(p4).publicKey, statement, signature)).toBe(true);
    }
    // The first proof is the one it keeps; the twin coming back changes nothing.
    expect(state.context.submitted[`3/0/1@${p4}`]).toBe(valid.payload.proofHash);
    const echo = protocolEvent("ProofSubmitted", "prover-pool", 9_000, twin.payload);
    expect(when(state, input(echo)).state.context).toEqual(state.context);
  });

  it("equivocate on a merge of two children: the second proof has them in the other order", () => {
    const merge = nodeAssigned({ block: 3, level: 1, index: 0, prover: p4, time: 4_000, childProofHashes: [hashOf(7), hashOf(8)] });
    const twin = conflictingStatement(statementOf(merge));
    expect(twin.childProofHashes).toEqual([hashOf(8), hashOf(7)]);
    expect(twin.publicInput).toBe(merge.payload.publicInput);
    const { outputs } = proveThrough(givenOn(withFaults([{ fault: "equivocate", target: p4 }]), ...registeredAll), merge);
    expect((outputs[2] as OutputDraft<"ProofSubmitted">).payload.childProofHashes).toEqual([hashOf(8), hashOf(7)]);
  });

  it("late-receipt: posts its receipt after the deadline (params.delayMs after it, default one slot), then submits", () => {
    const late = givenOn(withFaults([{ fault: "late-receipt", target: p1 }, { fault: "late-receipt", target: p2, params: { delayMs: "250" } }]), ...registeredAll);
    const a1 = leaf(p1);
    const [run1] = proofRuns(when(late, input(a1)).actions);
    expect(run1?.at).toBe(a1.payload.deadline + base.params.slotMs);
    const a2 = leaf(p2);
    const [run2] = proofRuns(when(late, input(a2)).actions);
    expect(run2?.at).toBe(a2.payload.deadline + 250);
    const { outputs } = proveThrough(late, a1);
    expect(outputs.map((o) => o.type)).toEqual(["PostReceipt", "ProofSubmitted"]);
    expect(outputs[0]?.slot).toBe(Math.floor((a1.payload.deadline + base.params.slotMs) / base.params.slotMs));
  });
});

describe("prover-pool faults: switched at run time", () => {
  it("FaultInjected applies from the event on: later work follows the new profile, earlier work keeps its plan; FaultHealed makes it honest again", () => {
    const before = leaf(p1, 1_000, 3, 0);
    const snapshot = given(...registeredAll, input(before));
    const injected = when(snapshot, input(faultInjected("invalid", p1, 2_000)));
    expect(injected.actions).toEqual([]);
    expect(injected.state.context.provers[p1]).toMatchObject({ profile: "invalid", faultParams: {} });
    expect(injected.state.context.pending[`3/0/0@${p1}`]?.submit).toBe("valid");

    const after = leaf(p1, 3_000, 3, 1);
    const [run] = proofRuns(when(injected.state, input(after)).actions);
    expect((run?.input as ProofStatement).publicInput).toBe(wrongPublicInput(after.payload.publicInput));

    const healed = when(injected.state, input(faultHealed("invalid", p1, 2_500))).state;
    expect(healed.context.provers[p1]).toMatchObject({ profile: "honest", faultParams: {} });
    const [honestRun] = proofRuns(when(healed, input(after)).actions);
    expect(honestRun?.input).toEqual(statementOf(after));
  });

  it("a fault and an assignment of the same instant give the same state in either order", () => {
    const assigned = leaf(p1, 4_000);
    for (const [fault, params] of [["slow", { factor: "3" }], ["crash", {}], ["hang", {}], ["equivocate", {}]] as const) {
      const injected = faultInjected(fault, p1, 4_000, params);
      const faultFirst = given(...registeredAll, input(injected), input(assigned));
      const assignedFirst = when(given(...registeredAll, input(assigned)), input(injected));
      expect(assignedFirst.state.context).toEqual(faultFirst.context);
      // The re-planned work is re-armed under the same run id (the host replaces it) or cancelled.
      const work = faultFirst.context.pending[`3/0/1@${p1}`];
      if (work?.due === null) expect(assignedFirst.actions).toEqual([{ type: "cancel", params: { id: `prove:3/0/1@${p1}` } }]);
      else expect(proofRuns(assignedFirst.actions)).toEqual([expect.objectContaining({ id: `prove:3/0/1@${p1}`, at: work?.due })]);
    }
    const healed = faultHealed("crash", p1, 4_000);
    const crashed = [...registeredAll, input(faultInjected("crash", p1, 1_000))];
    expect(given(...crashed, input(assigned), input(healed)).context).toEqual(given(...crashed, input(healed), input(assigned)).context);
  });

  it("a fault on an unknown target, an unknown fault, bad params and a heal of a fault not in force are ignored with a warning", () => {
    const snapshot = given(...registeredAll);
    for (const event of [
      faultInjected("crash", "prover-99", 1_000),
      faultInjected("crash", "aggregator", 1_000),
      faultInjected("meltdown", p1, 1_000),
      faultInjected("honest", p1, 1_000),
      faultInjected("slow", p1, 1_000, { factor: "-2" }),
      faultInjected("late-receipt", p1, 1_000, { delayMs: "soon" }),
      faultInjected("withhold", p1, 1_000, { receipt: "maybe" }),
      faultHealed("hang", p1, 1_000),
      faultHealed("crash", "prover-99", 1_000),
    ]) {
      const { state, actions } = when(snapshot, input(event));
      expect(state.context).toEqual(snapshot.context);
      expect(actions).toEqual([{ type: "run", params: { id: `warn:${event.id}`, actor: "warn", input: { message: expect.any(String) } } }]);
    }
    expect(warnings(when(snapshot, input(faultInjected("meltdown", p1, 1_000))).actions)[0]).toMatch(/unknown fault "meltdown"/);
  });

  it("folding the same fault again changes nothing", () => {
    const injected = faultInjected("slow", p1, 1_000, { factor: "2" });
    const once = given(...registeredAll, input(injected), input(leaf(p1)));
    const twice = when(once, input({ ...injected, id: "e".repeat(32) } as ProtocolEvent));
    expect(twice.actions).toEqual([]);
    expect(twice.state.context).toEqual(once.context);
  });
});

describe("prover-pool faults: takeovers", () => {
  const original = leaf(p1, 4_000);
  const deadline = 16_000;
  const sibling = takeoverOpened({ block: 3, index: 1, from: p1, to: p2, step: "sibling", time: 10_000, deadline });
  const handed = nodeAssigned({ block: 3, level: 0, index: 1, prover: p2, time: 10_000 });

  it("TakeoverOpened to one of its provers: proves the node with a fresh draw for that attempt; the NodeAssigned that follows does not prove it twice", () => {
    const snapshot = given(...registeredAll, input(original));
    const taken = when(snapshot, input(sibling));
    const expected = statementOf(original, p2);
    expect(proofRuns(taken.actions)).toEqual([{ id: `prove:3/0/1@${p2}`, actor: "prove", input: expected, at: 10_000 + duration(p2, 3, 0, 1, "/sibling") }]);
    expect(taken.state.context.pending[`3/0/1@${p2}`]).toMatchObject({ via: "sibling", deadline, assignedAt: 10_000 });
    const again = when(taken.state, input(handed));
    expect(again.actions).toEqual([]);
    expect(again.state.context.pending).toEqual(taken.state.context.pending);
  });

  it("a takeover whose node it has not seen waits for the NodeAssigned, then proves it once, as the takeover", () => {
    const waiting = when(given(...registeredAll), input(sibling));
    expect(waiting.actions).toEqual([]);
    expect(waiting.state.context.awaiting[`3/0/1@${p2}`]).toEqual({ via: "sibling", time: 10_000, deadline });
    const proving = when(waiting.state, input(handed));
    expect(proofRuns(proving.actions)).toEqual([expect.objectContaining({ id: `prove:3/0/1@${p2}`, at: 10_000 + duration(p2, 3, 0, 1, "/sibling") })]);
    expect(proving.state.context.awaiting).toEqual({});
    const { outputs } = proveThrough(waiting.state, handed);
    expect(outputs.map((o) => o.type)).toEqual(["PostReceipt", "ProofSubmitted"]);
  });

  it("a takeover to a faulty prover follows its profile; one to a prover it does not run is ignored", () => {
    const snapshot = given(...registeredAll, input(original), input(faultInjected("crash", p2, 5_000)));
    const taken = when(snapshot, input(sibling));
    expect(taken.actions).toEqual([]);
    expect(taken.state.context.pending[`3/0/1@${p2}`]).toMatchObject({ profile: "crash", due: null });
    const foreign = takeoverOpened({ block: 3, index: 1, from: p1, to: "external-1", step: "sibling", time: 10_000 });
    expect(when(given(...registeredAll, input(original)), input(foreign)).actions).toEqual([]);
  });

  it("an open round: every honest, registered prover of the pool races once; faulty and unregistered ones do not", () => {
    const faulty = [input(faultInjected("slow", p3, 1_000)), input(faultInjected("hang", p1, 5_000))];
    const registered = registeredAll.slice(0, 3); // p4 never registered
    const snapshot = given(...registered, ...faulty, input(original));
    const round = takeoverOpened({ block: 3, index: 1, from: p1, step: "open", time: 12_000, deadline: 18_000 });
    const { state, actions } = when(snapshot, input(round));
    expect(proofRuns(actions)).toEqual([{ id: `prove:3/0/1@${p2}`, actor: "prove", input: statementOf(original, p2), at: 12_000 + duration(p2, 3, 0, 1, "/open") }]);
    expect(state.context.pending[`3/0/1@${p2}`]?.via).toBe("open");
    // Each races once: the same round again, or its proof coming back, arms nothing more.
    expect(when(state, input({ ...round, id: "d".repeat(32) } as ProtocolEvent)).actions).toEqual([]);
    const { state: done, outputs } = proveThrough(snapshot, original); // p1 is hung: nothing
    expect(outputs).toEqual([]);
    expect(done.context.pending[`3/0/1@${p1}`]?.profile).toBe("hang");
  });

  it("an open round of a node whose statement it never saw: nobody races, with a warning", () => {
    const round = takeoverOpened({ block: 9, index: 0, from: "external-1", step: "open", time: 12_000 });
    const { state, actions } = when(given(...registeredAll), input(round));
    expect(proofRuns(actions)).toEqual([]);
    expect(warnings(actions)[0]).toMatch(/statement is unknown/);
    expect(state.context.openRounds["9/0/0"]).toEqual({ time: 12_000, deadline: round.payload.deadline });
  });

  it("remembers other provers' nodes only once a prover of its own is registered", () => {
    const foreign = nodeAssigned({ block: 3, index: 5, prover: "external-1", time: 0 });
    expect(given(input(foreign)).context.nodes).toEqual({});
    expect(given(...registeredAll, input(foreign)).context.nodes["3/0/5"]).toEqual({ publicInput: foreign.payload.publicInput, childProofHashes: [] });
  });

  it("a prover healed in the very instant of an open round races in it, whichever event comes first", () => {
    const round = takeoverOpened({ block: 3, index: 1, from: p1, step: "open", time: 12_000 });
    const healed = faultHealed("slow", p2, 12_000);
    const prefix = [...registeredAll, input(faultInjected("slow", p2, 1_000)), input(original)];
    const roundFirst = given(...prefix, input(round), input(healed));
    const healFirst = given(...prefix, input(healed), input(round));
    expect(roundFirst.context).toEqual(healFirst.context);
    expect(roundFirst.context.pending[`3/0/1@${p2}`]?.via).toBe("open");
    // And one faulted in that instant leaves it.
    const faulted = faultInjected("crash", p3, 12_000);
    expect(given(...registeredAll, input(original), input(round), input(faulted)).context).toEqual(
      given(...registeredAll, input(original), input(faulted), input(round)).context,
    );
  });
});

describe("prover-pool faults: replay", () => {
  /** Runs events live (with actor results for every run armed), collecting what it published. */
  const live = (network: NetworkConfig, events: readonly ProtocolEvent[]) => {
    let state = givenOn(network);
    const outputs: OutputDraft[] = [];
    for (const event of events) {
      const step = when(state, input(event));
      state = step.state;
      outputs.push(...published(step.actions));
      for (const run of proofRuns(step.actions)) {
        const done = when(state, ready(run));
        state = done.state;
        outputs.push(...published(done.actions));
      }
    }
    return { state, outputs };
  };
  const asEvents = (outputs: readonly OutputDraft[], time: number): ProtocolEvent[] =>
    outputs.map((o) => protocolEvent(o.type, "prover-pool", time, o.payload as never, o.correlationId) as ProtocolEvent);

  it("the log alone (inputs and its own receipts and proofs) rebuilds the live state, profiles and pending work included", () => {
    const network = withFaults([{ fault: "equivocate", target: p4 }, { fault: "withhold", target: p3 }]);
    const registrations = network.provers.map((p) => proverRegistered(p.id, p.stake, keyOf(p.id).publicKey));
    const inputs: ProtocolEvent[] = [
      ...registrations,
      faultInjected("hang", p1, 1_000),
      faultInjected("slow", p2, 1_000, { factor: "2" }),
      leaf(p1, 4_000, 3, 0),
      leaf(p2, 4_000, 3, 1),
      leaf(p3, 4_000, 3, 2),
      leaf(p4, 4_000, 3, 3),
      faultHealed("hang", p1, 5_000),
    ];
    const run = live(network, inputs);
    expect(run.outputs.map((o) => o.type)).toEqual(["PostReceipt", "ProofSubmitted", "PostReceipt", "PostReceipt", "ProofSubmitted", "ProofSubmitted", "PostReceipt", "ProofSubmitted"]);
    const replayed = givenOn(network, ...[...inputs, ...asEvents(run.outputs, 9_000)].map(input));
    expect(replayed.context).toEqual(run.state.context);

    // A replay that stops before the proofs keeps the profiles and re-arms the pending work on start.
    const midway = givenOn(network, ...inputs.slice(0, -1).map(input));
    expect(midway.context.provers[p1]?.profile).toBe("hang");
    expect(midway.context.provers[p2]).toMatchObject({ profile: "slow", faultParams: { factor: "2" } });
    const rearmed = proofRuns(when(midway, started(4_500)).actions);
    expect(rearmed.map((r) => [r.id, r.actor])).toEqual([
      [`prove:3/0/1@${p2}`, "prove"],
      [`prove:3/0/2@${p3}`, "prove"],
      [`prove:3/0/3@${p4}`, "proveTwice"],
    ]);
    expect(rearmed[0]?.at).toBe(4_000 + Math.round(duration(p2, 3, 0, 1) * 2));
  });

  it("a settled block forgets every record of it", () => {
    const round = takeoverOpened({ block: 3, index: 2, from: "external-1", step: "open", time: 9_000 });
    const snapshot = given(...registeredAll, input(leaf(p1)), input(takeoverOpened({ block: 3, index: 4, from: p1, to: p2, step: "sibling", time: 8_000 })), input(round));
    const { state } = when(snapshot, input(blockFinalized(3, 30_000)));
    const { pending, submitted, receipts, awaiting, nodes, openRounds } = state.context;
    expect({ pending, submitted, receipts, awaiting, nodes, openRounds }).toEqual({ pending: {}, submitted: {}, receipts: {}, awaiting: {}, nodes: {}, openRounds: {} });
  });

  it("a receipt of a settled block coming back late is not remembered", () => {
    const receipt = protocolEvent("PostReceipt", "prover-pool", 40_000, { block: 3, level: 0, index: 1, prover: p1, proofHash: hashOf(5) } as never);
    const snapshot = given(...registeredAll);
    expect(when(snapshot, input(receipt)).state.context).toEqual(snapshot.context);
    expect(workKey({ block: 3, level: 0, index: 1, prover: p1 } as never)).toBe(`3/0/1@${p1}`);
  });
});
