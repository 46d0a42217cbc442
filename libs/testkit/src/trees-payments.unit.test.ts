import { describe, expect, it } from "vitest";
import type { BlockNumber, EventOf, ProofSignature, ProverId } from "@zk-testnet/protocol";
import { checkInvariants } from "./check.ts";
import { formatReport } from "./report.ts";
import { defined, leafWithOtherSibling, nth, RunBuilder, testNetwork, type BlockRun } from "./testing.ts";

// Invariants 1 and 2 on hand-built logs: a clean run, then one broken rule at a time.

const network = testNetwork();

const happyRun = () => {
  const run = new RunBuilder(network).genesis();
  const blocks = [run.block(0), run.block(1)];
  return { run, blocks };
};

/** Another prover than `prover`. */
const otherThan = (prover: string): ProverId => nth(network.provers.filter((p) => p.id !== prover), 0).id;

const firstAssigned = (block: BlockRun, level: number, index: number): EventOf<"NodeAssigned"> => nth(block.assigned.get(`${level}/${index}`) ?? [], 0);

describe("a clean run", () => {
  it("breaks no invariant, and the report says so", () => {
    const { run } = happyRun();
    const report = checkInvariants({ network, events: run.events, replayCheck: () => [{ service: "aggregator", live: "h1", replayed: "h1" }] });
    expect(report.violations).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.run).toMatchObject({ proposed: 2, finalized: 2, reorgedOut: 0 });
    expect(report.liveness.finalizedInWindow).toEqual([0, 1]);
    expect(report.honest).toEqual(network.provers.map((p) => p.id).sort());
    expect(report.ledger.minted).toBe(2n * (1_000_000n + 400n));
    expect(formatReport(report)).toContain("all 6 invariants hold");
  });

  it("with a missed node taken over by its sibling's prover and the fault slashed, breaks none either", () => {
    // The assignment depends on the seed alone: a first run finds a leaf whose sibling has another prover.
    const run = new RunBuilder(network).genesis();
    const index = leafWithOtherSibling(run.plannedAssignment(0));
    const block = run.block(0, { missed: { level: 0, index } });
    const slash = defined(block.slash);
    run.fault("crash", slash.payload.prover, 0);
    const report = checkInvariants({ network, events: run.events });
    expect(report.violations).toEqual([]);
    expect(report.ledger.burned).toBe(slash.payload.amount - defined(slash.payload.bounty).amount);
    expect(report.honest).not.toContain(slash.payload.prover);
    expect(formatReport(report)).toContain("invariants 1 to 5 hold");
  });

  it("takes a redelivered event (same id) once: not a double payment", () => {
    const { run, blocks } = happyRun();
    const report = checkInvariants({ network, events: [...run.events, nth(nth(blocks, 0).rewards, 0)] });
    expect(report.violations).toEqual([]);
    expect(report.run.duplicates).toBe(1);
  });
});

describe("invariant 1: finalized trees", () => {
  it("reports a finalized block whose submitted tree does not verify (a forged signature)", () => {
    const run = new RunBuilder(network).genesis();
    const forged = "ab".repeat(64) as ProofSignature;
    const block = run.block(0, { tamperRoot: (root) => ({ ...root, proofs: root.proofs.map((p, i) => (i === 2 ? { ...p, signature: forged } : p)) }) });
    const report = checkInvariants({ network, events: run.events });
    expect(report.violations.map((v) => [v.invariant, v.rule])).toEqual([[1, "root-unverifiable"]]);
    expect(nth(report.violations, 0).events).toEqual([defined(block.finalized).id, defined(block.root).id]);
    expect(nth(report.violations, 0).message).toMatch(/node 0\/2: the signature does not verify/);
    expect(formatReport(report)).toContain(`events: ${defined(block.finalized).id}, ${defined(block.root).id}`);
  });

  it("reports a submitted root hash that is not the tree's", () => {
    const run = new RunBuilder(network).genesis();
    const block = run.block(0, { tamperRoot: (root) => ({ ...root, proofHash: "0".repeat(64) as typeof root.proofHash }) });
    const report = checkInvariants({ network, events: run.events });
    expect(report.violations.map((v) => [v.rule, v.events])).toEqual([["root-unverifiable", [defined(block.finalized).id, defined(block.root).id]]]);
  });

  it("reports a node produced by a prover that was neither its assignee nor a taker", () => {
    const run = new RunBuilder(network).genesis();
    let intruder: ProverId | undefined;
    const block = run.block(0, {
      producerOf: (level, index, assignee) => {
        if (level !== 0 || index !== 1) return assignee;
        intruder = otherThan(assignee);
        return intruder;
      },
    });
    const report = checkInvariants({ network, events: run.events });
    expect(report.violations.map((v) => [v.invariant, v.rule])).toEqual([[1, "wrong-producer"]]);
    const wrong = nth(report.violations, 0);
    expect(wrong.message).toContain(`node 0/0/1 of finalized block 0 was produced by ${intruder}`);
    expect(wrong.events).toEqual(expect.arrayContaining([defined(block.finalized).id, defined(block.root).id, firstAssigned(block, 0, 1).id]));
  });

  it("reports a NodeAssigned that disagrees with tree-VRF over the beacon round and the eligible set", () => {
    const run = new RunBuilder(network).genesis();
    const block = run.block(0);
    const assigned = firstAssigned(block, 0, 2);
    const forged = { ...assigned, payload: { ...assigned.payload, prover: otherThan(assigned.payload.prover) } };
    const events = run.events.map((e) => (e.id === assigned.id ? forged : e));
    const report = checkInvariants({ network, events });
    expect(report.violations.map((v) => [v.invariant, v.rule, v.events])).toEqual([[1, "assignment-disagrees", [assigned.id, block.round.id]]]);
  });

  it("does not take a beacon round signed with another key", () => {
    const run = new RunBuilder(network).genesis();
    run.block(0);
    const report = checkInvariants({ network: { ...network, seed: "another-seed" }, events: run.events });
    // With no valid round the NodeAssigned events are the assignment; the proofs' keys are the registry's.
    expect(report.violations).toEqual([]);
  });
});

describe("beacon rounds in the network's scheme", () => {
  it("a run whose beacon signs in the simulated scheme is clean, its rounds are the assignment's, and read as drand's scheme none verifies", () => {
    const simNet = { ...network, beacon: { ...network.beacon, scheme: "sim-ed25519" as const } };
    const run = new RunBuilder(simNet).genesis();
    const block = run.block(0);
    expect(block.round.payload.signature).toMatch(/^[0-9a-f]{128}$/);
    expect(checkInvariants({ network: simNet, events: run.events }).violations).toEqual([]);
    const assigned = firstAssigned(block, 0, 0);
    const forged = { ...assigned, payload: { ...assigned.payload, prover: otherThan(assigned.payload.prover) } };
    const events = run.events.map((e) => (e.id === assigned.id ? forged : e));
    expect(checkInvariants({ network: simNet, events }).violations.map((v) => v.rule)).toContain("assignment-disagrees");
    // No round verifies under drand's key: the NodeAssigned events are taken as the assignment.
    expect(checkInvariants({ network, events }).violations.filter((v) => v.rule === "assignment-disagrees")).toEqual([]);
  });
});

describe("invariant 2: paid once, slashed once", () => {
  it("reports a node's reward paid twice, with both payments", () => {
    const { run, blocks } = happyRun();
    const paid = nth(nth(blocks, 1).rewards, 3);
    const again = run.event("RewardPaid", paid.payload, paid.time + 10, "l1-settlement");
    const report = checkInvariants({ network, events: run.events });
    const doubles = report.violations.filter((v) => v.invariant === 2);
    expect(doubles.map((v) => [v.rule, v.events])).toEqual([["double-reward", [paid.id, again.id]]]);
    expect(nth(doubles, 0).message).toContain(`node 1/${paid.payload.level}/${paid.payload.index} was paid 2 times`);
    // Paying it twice also pays the block more than its payout.
    expect(report.violations.filter((v) => v.invariant === 4).map((v) => v.rule)).toEqual(["block-overpaid"]);
  });

  it("reports a block-level payment made twice", () => {
    const { run } = happyRun();
    const first = run.event("RewardPaid", { block: 0 as BlockNumber, prover: nth(network.provers, 0).id, amount: 1n }, 5_000, "l1-settlement");
    const second = run.event("RewardPaid", { block: 0 as BlockNumber, prover: nth(network.provers, 1).id, amount: 1n }, 5_001, "l1-settlement");
    const report = checkInvariants({ network, events: run.events });
    expect(report.violations.filter((v) => v.invariant === 2).map((v) => [v.rule, v.events])).toEqual([["double-reward", [first.id, second.id]]]);
  });

  it("reports the same fault slashed twice", () => {
    const run = new RunBuilder(network).genesis();
    const block = run.block(0, { missed: { level: 0, index: leafWithOtherSibling(run.plannedAssignment(0)) } });
    const slash = defined(block.slash);
    run.fault("crash", slash.payload.prover, 0);
    const again = run.event("ProverSlashed", slash.payload, slash.time + 1, "l1-settlement");
    const report = checkInvariants({ network, events: run.events });
    expect(report.violations.map((v) => [v.invariant, v.rule, v.events])).toEqual([[2, "double-slash", [slash.id, again.id]]]);
  });
});
