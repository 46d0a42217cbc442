import { isProxy } from "node:util/types";
import { describe, expect, it } from "vitest";
import { initialTransition, transition, type SnapshotFrom } from "xstate";
import type { PublishParams, RunParams } from "@zk-testnet/actors";
import { proverKeyFromSeed, proverSeed, signProof } from "@zk-testnet/crypto";
import { DEFAULT_COST_MODEL, makeRng, nodeDeadlineMs, provingDuration } from "@zk-testnet/mechanisms";
import { proofHash, type ProofStatement, type ProtocolEvent, type ProverId } from "@zk-testnet/protocol";
import type { ProverSpec } from "@zk-testnet/network";
import { blockFinalized, hashOf, nodeAssigned, protocolEvent, proverRegistered, testNetwork } from "./fixtures.ts";
import { machine, workKey, type ProofReady, type ProverPoolEvent } from "./machine.ts";

type Snapshot = SnapshotFrom<typeof machine>;
interface Action {
  readonly type: string;
  readonly params?: unknown;
}

const network = testNetwork(3);
const [p1, p2, p3] = network.provers.map((p) => p.id) as [ProverId, ProverId, ProverId];
const [spec1] = network.provers as [ProverSpec, ProverSpec, ProverSpec];

const given = (...events: readonly ProverPoolEvent[]): Snapshot => {
  let snapshot = initialTransition(machine, { network })[0];
  for (const event of events) snapshot = transition(machine, snapshot, event)[0];
  return snapshot;
};

const when = (snapshot: Snapshot, event: ProverPoolEvent): { readonly state: Snapshot; readonly actions: readonly Action[] } => {
  const [state, actions] = transition(machine, snapshot, event);
  const host = (actions as readonly Action[]).filter((a) => ["publish", "run", "cancel", "schedule"].includes(a.type));
  return { state, actions: host.map((a) => ({ type: a.type, params: a.params })) };
};

const input = (event: ProtocolEvent): ProverPoolEvent => ({ type: "input", event });
const started = (now: number): ProverPoolEvent => ({ type: "host.started", now });
const published = (actions: readonly Action[]) => actions.filter((a) => a.type === "publish").flatMap((a) => (a.params as PublishParams).events);
const runs = (actions: readonly Action[]) => actions.filter((a) => a.type === "run").map((a) => a.params as RunParams);

/** What the `prove` actor returns, computed here with the prover's key. */
const signed = (statement: ProofStatement): ProofReady => {
  const signature = signProof(proverKeyFromSeed(proverSeed(network.seed, statement.prover)), statement);
  return { type: "proofReady", proof: statement, signature, proofHash: proofHash(statement, signature) };
};

const expectedDuration = (prover: ProverId, block: number, level: number, index: number): number => {
  return provingDuration({
    level,
    speed: network.provers.find((p) => p.id === prover)?.speed ?? Number.NaN,
    deadlineMs: nodeDeadlineMs(network.params, level),
    slotMs: network.params.slotMs,
    params: DEFAULT_COST_MODEL,
    rng: makeRng(network.seed).fork(`prover-pool/${prover}/${block}/${level}/${index}`),
  });
};

const registeredAll = network.provers.map((p) => input(proverRegistered(p.id, p.stake, proverKeyFromSeed(proverSeed(network.seed, p.id)).publicKey)));

describe("prover-pool machine: registration", () => {
  it("at a first start, requests the registration of every prover with its seeded key and stake", () => {
    const { state, actions } = when(given(), started(5_000));
    const requests = published(actions);
    expect(requests.map((r) => r.type)).toEqual(["RegisterProver", "RegisterProver", "RegisterProver"]);
    expect(requests.map((r) => r.payload)).toEqual(
      network.provers.map((p) => ({ prover: p.id, stake: p.stake, publicKey: proverKeyFromSeed(proverSeed(network.seed, p.id)).publicKey })),
    );
    expect(requests.every((r) => r.slot === 2)).toBe(true);
    expect(Object.values(state.context.provers).map((p) => p.registration)).toEqual(["requested", "requested", "requested"]);
  });

  it("requests nothing for provers the L1 registered, and only the others after a restart", () => {
    const snapshot = given(input(proverRegistered(spec1.id, spec1.stake, proverKeyFromSeed(proverSeed(network.seed, spec1.id)).publicKey)));
    expect(snapshot.context.provers[spec1.id]?.registration).toBe("registered");
    const { actions } = when(snapshot, started(0));
    expect(published(actions).map((r) => (r.payload as { prover: string }).prover)).toEqual([p2, p3]);
    expect(published(when(given(...registeredAll), started(0)).actions)).toEqual([]);
  });

  it("does not request twice within one run", () => {
    const first = when(given(), started(0)).state;
    expect(published(when(first, started(1_000)).actions)).toEqual([]);
  });

  it("registering a large pool does not copy its provers' record each time: it shares structure and reads as a plain record", () => {
    const large = testNetwork(300);
    let snapshot = when(initialTransition(machine, { network: large })[0], started(0)).state;
    for (const p of large.provers) snapshot = transition(machine, snapshot, input(proverRegistered(p.id, p.stake, proverKeyFromSeed(proverSeed(large.seed, p.id)).publicKey)))[0];
    expect(isProxy(snapshot.context.provers)).toBe(true);
    expect(Object.keys(snapshot.context.provers)).toEqual(large.provers.map((p) => p.id));
    expect(Object.values(snapshot.context.provers).every((p) => p.registration === "registered")).toBe(true);
  });

  it("follows its provers' stakes from the L1's StakeChanged", () => {
    const changed = protocolEvent("StakeChanged", "l1-settlement", 0, { prover: p1, stake: 42n, delta: -8n, reason: "unbond" });
    expect(given(input(changed)).context.provers[p1]?.stake).toBe(42n);
  });
});

describe("prover-pool machine: proving", () => {
  const assigned = nodeAssigned({ block: 4, level: 0, index: 2, prover: p1, time: 9_000 });
  const statement: ProofStatement = {
    block: assigned.payload.block,
    level: assigned.payload.level,
    index: assigned.payload.index,
    prover: p1,
    publicInput: assigned.payload.publicInput,
    childProofHashes: [],
  };

  it("given an assignment to one of its provers, runs `prove` at the assignment time plus the cost model's duration", () => {
    const { state, actions } = when(given(...registeredAll), input(assigned));
    const due = 9_000 + expectedDuration(p1, 4, 0, 2);
    expect(runs(actions)).toEqual([{ id: `prove:4/0/2@${p1}`, actor: "prove", input: statement, at: due }]);
    expect(state.context.pending[workKey(statement)]?.due).toBe(due);
    expect(due).toBeGreaterThan(9_000);
    expect(due - 9_000).toBeLessThanOrEqual(0.8 * nodeDeadlineMs(network.params, 0));
  });

  it("draws a merge node's time from its own stream, shorter by the merge cost", () => {
    const merge = nodeAssigned({ block: 4, level: 1, index: 0, prover: p2, time: 1_000, childProofHashes: [hashOf(1), hashOf(2)] });
    const [run] = runs(when(given(), input(merge)).actions);
    expect(run?.at).toBe(1_000 + expectedDuration(p2, 4, 1, 0));
    expect((run?.input as ProofStatement).childProofHashes).toEqual([hashOf(1), hashOf(2)]);
  });

  it("ignores a node assigned to a prover it does not run, and an assignment it already has", () => {
    const foreign = nodeAssigned({ block: 4, prover: "external-1", time: 0 });
    const ignored = when(given(), input(foreign));
    expect(ignored.actions).toEqual([]);
    expect(ignored.state.context).toEqual(given().context);
    const again = when(given(input(assigned)), input({ ...assigned, id: "f".repeat(32) } as ProtocolEvent));
    expect(again.actions).toEqual([]);
  });

  it("when the proof is ready, submits it once, with the block's correlation id and the due slot", () => {
    const pending = given(input(assigned));
    const ready = signed(statement);
    const { state, actions } = when(pending, ready);
    const [receipt, submission] = published(actions);
    expect(receipt?.type).toBe("PostReceipt");
    expect(submission).toEqual({
      type: "ProofSubmitted",
      correlationId: "block-4",
      slot: Math.floor((pending.context.pending[workKey(statement)]?.due ?? Number.NaN) / network.params.slotMs),
      payload: { ...statement, signature: ready.signature, proofHash: ready.proofHash },
    });
    expect(state.context.pending).toEqual({});
    expect(state.context.submitted).toEqual({ [workKey(statement)]: ready.proofHash });
    expect(when(state, ready).actions).toEqual([]);
  });

  it("folds its own ProofSubmitted idempotently: same state as a replay that only sees the log", () => {
    const ready = signed(statement);
    const live = given(input(assigned), ready);
    const submittedEvent = protocolEvent("ProofSubmitted", "prover-pool", 10_000, { ...statement, signature: ready.signature, proofHash: ready.proofHash });
    const receiptEvent = protocolEvent("PostReceipt", "prover-pool", 10_000, { block: statement.block, level: statement.level, index: statement.index, prover: p1, proofHash: ready.proofHash });
    const back = when(live, input(submittedEvent));
    expect(back.actions).toEqual([]);
    expect(back.state.context).toEqual(live.context);
    expect(when(back.state, input(receiptEvent)).state.context).toEqual(live.context);
    expect(given(input(assigned), input(receiptEvent), input(submittedEvent)).context).toEqual(live.context);
    expect(given(input(assigned), input(submittedEvent), input(receiptEvent)).context).toEqual(live.context);
  });

  it("a node already submitted is not proven again, even if assigned again", () => {
    const ready = signed(statement);
    const submittedEvent = protocolEvent("ProofSubmitted", "prover-pool", 10_000, { ...statement, signature: ready.signature, proofHash: ready.proofHash });
    expect(when(given(input(submittedEvent)), input(assigned)).actions).toEqual([]);
  });

  it("re-arms every pending proof when started, at its original due time", () => {
    const other = nodeAssigned({ block: 5, level: 0, index: 0, prover: p2, time: 11_000 });
    const snapshot = given(...registeredAll, input(assigned), input(other), signed(statement));
    const { actions } = when(snapshot, started(20_000));
    expect(published(actions)).toEqual([]);
    expect(runs(actions)).toEqual([{ id: `prove:5/0/0@${p2}`, actor: "prove", input: expect.objectContaining({ block: 5, prover: p2 }), at: 11_000 + expectedDuration(p2, 5, 0, 0) }]);
  });

  it("forgets a settled block's work and cancels what is still armed", () => {
    const other = nodeAssigned({ block: 4, level: 0, index: 3, prover: p2, time: 9_000 });
    const snapshot = given(input(assigned), input(other), signed(statement));
    const { state, actions } = when(snapshot, input(blockFinalized(4, 30_000)));
    expect(actions).toEqual([{ type: "cancel", params: { id: `prove:4/0/3@${p2}` } }]);
    expect(state.context.pending).toEqual({});
    expect(state.context.submitted).toEqual({});
  });

  it("keeps pending work when signing fails: the next start re-arms it", () => {
    const snapshot = given(input(assigned));
    const { state, actions } = when(snapshot, { type: "host.actorFailed", id: `prove:${workKey(statement)}`, actor: "prove", message: "boom" });
    expect(actions).toEqual([]);
    expect(state.context).toEqual(snapshot.context);
  });

  it("ignores the events it does not fold", () => {
    const beacon = protocolEvent("BeaconRound", "vrf-beacon", 0, { round: 1, randomness: hashOf(1), signature: "ab" } as never);
    const { state, actions } = when(given(), input(beacon));
    expect(actions).toEqual([]);
    expect(state.context).toEqual(given().context);
  });
});
