import { describe, expect, it } from "vitest";
import { initialTransition, transition, type SnapshotFrom } from "xstate";
import { isProxy } from "node:util/types";
import { canonicalJson, parseCanonicalJson, stateHashOf, type OutputDraft, type PublishParams, type RunParams } from "@zk-testnet/actors";
import { blockPayout } from "@zk-testnet/mechanisms";
import type { Hash, PayloadOf, ProtocolEvent, ProverId } from "@zk-testnet/protocol";
import { blockProposed, protocolEvent, registerProver, roundRobin, signTree, submitRoot, testNetwork, txHashesOf, type Tamper } from "./fixtures.ts";
import { checkLedger, machine, type L1Event } from "./machine.ts";

type Snapshot = SnapshotFrom<typeof machine>;
interface Action {
  readonly type: string;
  readonly params?: unknown;
}

const network = testNetwork(4);
const provers = network.provers.map((p) => p.id);
const [p0, p1] = provers as [ProverId, ProverId, ProverId, ProverId];
const stakeOf = (prover: string) => network.provers.find((p) => p.id === prover)?.stake ?? 0n;

const input = (event: ProtocolEvent): L1Event => ({ type: "input", event });

/** Folds events one at a time; the ledger invariant must hold after every one. */
const given = (...events: readonly ProtocolEvent[]): Snapshot => {
  let snapshot = initialTransition(machine, { network })[0];
  expect(checkLedger(snapshot.context)).toEqual([]);
  for (const event of events) {
    snapshot = transition(machine, snapshot, input(event))[0];
    expect(checkLedger(snapshot.context)).toEqual([]);
  }
  return snapshot;
};

const when = (snapshot: Snapshot, event: ProtocolEvent) => {
  const [state, actions] = transition(machine, snapshot, input(event));
  expect(checkLedger(state.context)).toEqual([]);
  const host = (actions as readonly Action[]).filter((a) => a.type === "publish" || a.type === "run");
  // Epoch boundaries (EpochStarted) have tests of their own (failure-path.unit.test.ts, "epochs").
  const published = host
    .filter((a) => a.type === "publish")
    .flatMap((a) => (a.params as PublishParams).events)
    .filter((d) => d.type !== "EpochStarted");
  const runs = host.filter((a) => a.type === "run").map((a) => a.params as RunParams);
  return { state, published, runs };
};

const registrations = provers.map((p) => registerProver(network, p));
const fees = 12_345n;
const block = blockProposed(5, 8, fees, 10_000);
const honest = signTree(network, 5, txHashesOf(5, 8), roundRobin(provers, 8));
const distributed = blockPayout(fees, network.params).distributed;
const rewards = (events: readonly OutputDraft[]) => events.filter((e) => e.type === "RewardPaid").map((e) => e.payload as PayloadOf<"RewardPaid">);

describe("l1-settlement machine: registry", () => {
  it("registering provers one at a time does not copy the registry, balances and stakes each time: they share structure and read as plain records", () => {
    const large = testNetwork(300);
    let snapshot = initialTransition(machine, { network: large })[0];
    for (const p of large.provers) snapshot = transition(machine, snapshot, input(registerProver(large, p.id)))[0];
    const { registry, ledger } = snapshot.context;
    for (const record of [registry, ledger.balances, ledger.stakes]) expect(isProxy(record)).toBe(true);
    expect(Object.keys(registry)).toEqual(large.provers.map((p) => p.id));
    expect(ledger.stakes).toEqual(Object.fromEntries(large.provers.map((p) => [p.id, p.stake])));
    expect(Object.values(ledger.balances).every((b) => b === 0n)).toBe(true);
    expect(checkLedger(snapshot.context)).toEqual([]);
    // The state hash is the one of plain records: a snapshot restored as JSON hashes the same.
    expect(stateHashOf(snapshot)).toBe(stateHashOf({ value: snapshot.value, context: parseCanonicalJson(canonicalJson(snapshot.context)) }));
  });

  it("starts with every network prover funded with exactly its stake", () => {
    const { ledger } = given().context;
    expect(ledger.balances).toEqual(Object.fromEntries(network.provers.map((p) => [p.id, p.stake])));
    expect(ledger.initialSupply).toBe(network.provers.reduce((s, p) => s + p.stake, 0n));
  });

  it("registers a prover: bonds its stake and says so with ProverRegistered and StakeChanged", () => {
    const tx = registerProver(network, p0, 5_000);
    const { state, published } = when(given(), tx);
    const stake = stakeOf(p0);
    expect(published).toEqual([
      { type: "ProverRegistered", correlationId: "registry", slot: 2, payload: { prover: provers[0], stake, publicKey: tx.payload.publicKey } },
      { type: "StakeChanged", correlationId: "registry", slot: 2, payload: { prover: provers[0], stake, delta: stake, reason: "deposit" } },
    ]);
    expect(state.context.ledger.balances[p0]).toBe(0n);
    expect(state.context.ledger.stakes[p0]).toBe(stake);
    expect(state.context.registry[p0]).toEqual({ publicKey: tx.payload.publicKey, slot: 2 });
  });

  it("ignores a second registration of a known prover: no event, nothing moves", () => {
    const once = given(registerProver(network, p0));
    const again = when(once, registerProver(network, p0, 9_000));
    expect(again.published).toEqual([]);
    expect(again.state.context).toEqual(once.context);
  });

  it("ignores a registration its balance cannot cover", () => {
    const stranger = when(given(), registerProver(network, "stranger-1", 0, 10n));
    expect(stranger.published).toEqual([]);
    expect(stranger.state.context.registry).toEqual({});
    expect(when(given(), registerProver(network, p1, 0, stakeOf(p1) + 1n)).published).toEqual([]);
  });

  it("takes the transactions it does not apply yet, and an uncle claim for a block not finalized, without failing", () => {
    const snapshot = given(...registrations);
    for (const tx of [
      protocolEvent("DepositStake", "prover-pool", 0, { prover: p0, amount: 5n }),
      protocolEvent("Unbond", "prover-pool", 0, { prover: p0, amount: 5n }),
      protocolEvent("ClaimUncle", "prover-pool", 0, { block: 1, level: 0, index: 0, prover: p0, proofHash: honest.proofHash } as never),
    ]) {
      const { state, published } = when(snapshot, tx);
      expect(published).toEqual([]);
      expect(state.context).toEqual(snapshot.context);
    }
  });
});

describe("l1-settlement machine: settlement", () => {
  it("given a block and a valid tree, finalizes the block and pays every node's producer its split, exactly", () => {
    const { state, published } = when(given(...registrations, block), submitRoot(honest, 16_000));
    expect(published[0]).toEqual({ type: "BlockFinalized", correlationId: "block-5", slot: 8, payload: { block: 5, slot: 8 } });
    const paid = rewards(published);
    expect(paid).toHaveLength(15);
    expect(paid.every((r) => r.block === 5 && r.level !== undefined && r.index !== undefined)).toBe(true);
    expect(paid.reduce((s, r) => s + r.amount, 0n)).toBe(distributed);
    expect(new Set(paid.map((r) => `${r.level}/${r.index}`)).size).toBe(15);
    for (const r of paid) expect(r.prover).toBe(roundRobin(provers, 8)(r.level ?? -1, r.index ?? -1));
    expect(state.context.ledger.minted).toBe(distributed);
    for (const p of provers) {
      const earned = paid.filter((r) => r.prover === p).reduce((s, r) => s + r.amount, 0n);
      expect(state.context.ledger.balances[p]).toBe(earned);
    }
    expect(state.context.finalized["5"]).toEqual({ slot: 8, proofHash: honest.proofHash, paid: distributed });
    expect(state.context.blocks).toEqual({});
  });

  it("finalizes a block at most once: a second SubmitRoot pays nothing", () => {
    const done = given(...registrations, block, submitRoot(honest, 16_000));
    const again = when(done, submitRoot(honest, 18_000));
    expect(again.published).toEqual([]);
    expect(again.state.context).toEqual(done.context);
  });

  it("keeps a SubmitRoot that came before its block, and settles it when the block arrives", () => {
    const early = when(given(...registrations), submitRoot(honest, 16_000));
    expect(early.published).toEqual([]);
    expect(Object.keys(early.state.context.waiting)).toEqual(["5"]);
    const settled = when(early.state, block);
    expect(settled.published[0]).toMatchObject({ type: "BlockFinalized", slot: 8 });
    expect(rewards(settled.published).reduce((s, r) => s + r.amount, 0n)).toBe(distributed);
    expect(settled.state.context.waiting).toEqual({});
    // Either arrival order folds to the same state.
    expect(settled.state.context).toEqual(given(...registrations, block, submitRoot(honest, 16_000)).context);
  });

  const txs = txHashesOf(5, 8);
  const flipped = (hex: string) => (hex[0] === "0" ? "1" : "0") + hex.slice(1);
  const tampers: readonly [string, Tamper, string][] = [
    ["a bad signature", { level: 0, index: 3, resign: false, change: (p) => ({ ...p, signature: flipped(p.signature) as never }) }, "bad-signature"],
    ["a wrong public input", { level: 0, index: 6, resign: true, change: (p) => ({ ...p, publicInput: txs[5] as Hash }) }, "wrong-public-input"],
    ["a wrong child hash", { level: 2, index: 1, resign: true, change: (p) => ({ ...p, childProofHashes: [...p.childProofHashes].reverse() as Hash[] }) }, "wrong-children"],
  ];

  it.each(tampers)("does not finalize a tree with %s: it records why and asks for it to be logged", (_, tamper, reason) => {
    const tree = signTree(network, 5, txs, roundRobin(provers, 8), tamper);
    const tx = submitRoot(tree, 16_000);
    const { state, published, runs } = when(given(...registrations, block), tx);
    expect(published).toEqual([]);
    expect(state.context.finalized).toEqual({});
    expect(state.context.ledger.minted).toBe(0n);
    expect(state.context.rejections).toEqual([expect.objectContaining({ reason, block: 5, txId: tx.id, level: tamper.level, index: tamper.index })]);
    expect(runs).toEqual([{ id: `rejected:${tx.id}`, actor: "reportRejection", input: state.context.rejections[0] }]);
    // A valid tree for the same block still finalizes it afterwards.
    expect(when(state, submitRoot(honest, 17_000)).published[0]).toMatchObject({ type: "BlockFinalized" });
  });

  it("does not finalize a tree with a proof by an unregistered prover", () => {
    const { state, published } = when(given(...registrations.slice(1), block), submitRoot(honest, 16_000));
    expect(published).toEqual([]);
    expect(state.context.rejections[0]?.reason).toBe("unknown-prover");
  });

  it("pays the fee share and block reward of each block, whatever the tree's size", () => {
    let snapshot = given(...registrations);
    let total = 0n;
    for (const [b, txCount] of [
      [1, 1],
      [2, 3],
      [3, 8],
    ] as const) {
      const proposed = blockProposed(b, txCount, BigInt(1_000 * b + 7), b * 2_000);
      const tree = signTree(network, b, txHashesOf(b, txCount), roundRobin(provers, txCount));
      snapshot = when(snapshot, proposed).state;
      const settled = when(snapshot, submitRoot(tree, b * 2_000 + 3_000));
      const expected = blockPayout(BigInt(1_000 * b + 7), network.params).distributed;
      expect(rewards(settled.published).reduce((s, r) => s + r.amount, 0n)).toBe(expected);
      total += expected;
      snapshot = settled.state;
    }
    expect(snapshot.context.ledger.minted).toBe(total);
  });

  it("ignores every event it does not fold", () => {
    const snapshot = given(...registrations);
    const finalized = protocolEvent("BlockFinalized", "l1-settlement", 0, { block: 5, slot: 1 } as never);
    const { state, published } = when(snapshot, finalized);
    expect(published).toEqual([]);
    expect(state.context).toEqual(snapshot.context);
    expect(transition(machine, snapshot, { type: "host.started", now: 0 })[0].context).toEqual(snapshot.context);
  });
});

describe("l1-settlement machine: replay", () => {
  it("rebuilds the same context from the same inputs, a rejection included", () => {
    const bad = signTree(network, 5, txHashesOf(5, 8), roundRobin(provers, 8), { level: 0, index: 0, resign: false, change: (p) => ({ ...p, prover: "prover-2" as ProverId }) });
    const events = [...registrations, block, submitRoot(bad, 15_000), submitRoot(honest, 16_000), submitRoot(honest, 17_000)];
    expect(given(...events).context).toEqual(given(...events).context);
    expect(Object.keys(given(...events).context.finalized)).toEqual(["5"]);
  });
});
