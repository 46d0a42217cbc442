import { Either } from "effect";
import { describe, expect, it } from "vitest";
import { assignedProver, assignTreeVrf, provableNodes } from "@zk-testnet/mechanisms";
import type { BlockNumber, Hash, Level, NodeIndex, ProverId, PublicKey, Slot, Timestamp, TxCount } from "@zk-testnet/protocol";
import type { NetworkConfig } from "@zk-testnet/network";
import { assignmentOf } from "./assignment.ts";
import { checkInvariants } from "./check.ts";
import { indexRun } from "./run-log.ts";
import { defined, leafWithOtherSibling, nth, RunBuilder, testNetwork, txHash } from "./testing.ts";

// Invariants 3 and 4 on hand-built logs: each test breaks one rule and checks that it is
// reported with the events that show it.

const network = testNetwork();
const node = { block: 0 as BlockNumber, level: 0 as Level, index: 0 as NodeIndex };

const failureRun = () => {
  const run = new RunBuilder(network).genesis();
  const block = run.block(0, { missed: { level: 0, index: leafWithOtherSibling(run.plannedAssignment(0)) } });
  const slash = defined(block.slash);
  run.fault("crash", slash.payload.prover, 0);
  return { run, block, slash, missed: defined(block.missedEvent) };
};

const rules = (report: ReturnType<typeof checkInvariants>) => report.violations.map((v) => [v.invariant, v.rule, v.events]);

describe("the assignment", () => {
  it("is recomputed from the beacon round and agrees with the NodeAssigned events", () => {
    const run = new RunBuilder(network).genesis();
    const block = run.block(0);
    const assignment = assignmentOf(indexRun(network, run.events), 0);
    expect(assignment.recomputed?.levels).toEqual(block.assignment.levels);
    expect(assignment.logged.size).toBe(7);
    expect(assignment.disagreements).toEqual([]);
  });
  it("weighs the stakes as of the epoch's start: a slash within the epoch changes only the next epoch's assignments", () => {
    const heavy = testNetwork({ params: { slashMissedBps: 9_000 } });
    const run = new RunBuilder(heavy).genesis();
    const first = run.block(0, { missed: { level: 0, index: leafWithOtherSibling(run.plannedAssignment(0)) } });
    run.fault("crash", defined(first.slash).payload.prover, 0);
    const atGenesis = (block: number) => JSON.stringify(new RunBuilder(heavy).genesis().plannedAssignment(block).levels);
    // The slash lands at the leaf's deadline (slot 3); blocks 4 to 7 are still in epoch 0, 8 to 11 in epoch 1.
    const later = [4, 5, 6, 7].map((b) => run.block(b));
    expect(later.map((b) => JSON.stringify(b.assignment.levels))).toEqual([4, 5, 6, 7].map(atGenesis));
    const next = [8, 9, 10, 11].map((b) => run.block(b));
    expect(next.some((b) => JSON.stringify(b.assignment.levels) !== atGenesis(b.proposed.payload.block))).toBe(true);
    expect(checkInvariants({ network: heavy, events: run.events }).violations).toEqual([]);
  });

  it("reports a tree assigned with stakes changed within the epoch, and one assigned before its epoch started", () => {
    const heavy = testNetwork({ params: { slashMissedBps: 9_000 } });
    const run = new RunBuilder(heavy).genesis();
    const first = run.block(0, { missed: { level: 0, index: leafWithOtherSibling(run.plannedAssignment(0)) } });
    const victim = defined(first.slash).payload.prover;
    run.fault("crash", victim, 0);
    const txs = (block: number) => Array.from({ length: heavy.params.txPerBlock }, (_, i) => txHash(block, i));
    run.event("BlockProposed", { block: 4 as BlockNumber, slot: 4 as Slot, txCount: heavy.params.txPerBlock as TxCount, fees: 0n, txHashes: txs(4) }, 4_000, "sequencer");
    // What an aggregator reading current stakes would assign block 4 to.
    const current = Either.getOrThrow(
      assignTreeVrf({
        randomness: run.beacon(5, 4_000).payload.randomness,
        eligible: heavy.provers.map((p) => ({ prover: p.id, stake: run.stakeOf(p.id) })).filter((p) => p.stake >= heavy.params.minimumStake),
        block: 4 as BlockNumber,
        txCount: heavy.params.txPerBlock as TxCount,
        weighting: heavy.params.weighting,
      }),
    );
    const fixed = run.plannedAssignment(4);
    const differs = provableNodes(4 as BlockNumber, heavy.params.txPerBlock as TxCount).find((n) => assignedProver(current, n) !== assignedProver(fixed, n));
    expect(differs, `block 4 is assigned the same with ${victim} slashed`).toBeDefined();
    const node = defined(differs);
    const wrong = run.event("NodeAssigned", { block: 4 as BlockNumber, level: node.level, index: node.index, prover: defined(assignedProver(current, node)), deadline: 7_000 as Timestamp, publicInput: txHash(4, node.index), childProofHashes: [] }, 4_000, "aggregator");
    expect(rules(checkInvariants({ network: heavy, events: run.events }))).toContainEqual([1, "assignment-disagrees", [wrong.id, expect.any(String)]]);
    // Block 8's epoch has not started: no EpochStarted yet.
    const early = run.event("NodeAssigned", { block: 8 as BlockNumber, level: 0 as Level, index: 0 as NodeIndex, prover: nth(heavy.provers, 0).id, deadline: 11_000 as Timestamp, publicInput: txHash(8, 0), childProofHashes: [] }, 8_000, "aggregator");
    run.event("BlockProposed", { block: 8 as BlockNumber, slot: 8 as Slot, txCount: heavy.params.txPerBlock as TxCount, fees: 0n, txHashes: txs(8) }, 8_000, "sequencer");
    expect(rules(checkInvariants({ network: heavy, events: run.events }))).toContainEqual([1, "assigned-before-epoch", [early.id]]);
  });
});

describe("invariant 3: slashes follow attributable faults", () => {
  it("reports a missed-deadline slash with no NodeDeadlineMissed behind it", () => {
    const run = new RunBuilder(network).genesis();
    run.block(0);
    const prover = nth(network.provers, 2).id;
    run.fault("slow", prover, 0);
    const slash = run.event("ProverSlashed", { prover, amount: 10n, reason: "missed", ...node, evidence: [] }, 4_000, "l1-settlement");
    const report = checkInvariants({ network, events: run.events });
    expect(rules(report)).toEqual([[3, "slash-without-miss", [slash.id]]]);
  });

  it("reports the slash of an honest prover, even with a NodeDeadlineMissed", () => {
    const run = new RunBuilder(network).genesis();
    run.block(0);
    const prover = nth(network.provers, 1).id;
    const missed = run.event("NodeDeadlineMissed", { ...node, prover, deadline: 3_000 as Timestamp }, 3_000, "aggregator");
    const slash = run.event("ProverSlashed", { prover, amount: 10n, reason: "missed", ...node, evidence: [missed.id] }, 3_000, "l1-settlement");
    const report = checkInvariants({ network, events: run.events });
    expect(rules(report)).toEqual([[3, "honest-slashed", [slash.id]]]);
    // A caller that names the honest provers decides alone.
    const named = checkInvariants({ network, events: run.events, honest: new Set<ProverId>() });
    expect(named.violations).toEqual([]);
  });

  it("reports a missed-deadline slash of a prover that had posted a receipt before the deadline", () => {
    const { run, slash, missed } = failureRun();
    const receipt = run.event("PostReceipt", { ...slash.payload, proofHash: "1".repeat(64) as Hash }, missed.payload.deadline - 100, `prover-pool/${slash.payload.prover}`);
    const report = checkInvariants({ network, events: run.events });
    expect(rules(report)).toEqual([[3, "slashed-despite-receipt", [slash.id, missed.id, receipt.id]]]);
  });

  it("dates a receipt its prover made while partitioned from the brokers at the heal: made before the deadline, posted after it, the slash stands", () => {
    const { run, slash, missed } = failureRun();
    const { prover } = slash.payload;
    const deadline = missed.payload.deadline;
    const partitioned = run.event("FaultInjected", { fault: "partition", target: prover, params: { via: "toxiproxy" } }, deadline - 500, "orchestrator", "faults");
    run.event("PostReceipt", { ...slash.payload, proofHash: "1".repeat(64) as Hash }, deadline - 100, `prover-pool/${prover}`);
    // Healed after the deadline: the receipt reached the L1 too late.
    run.event("FaultHealed", { fault: "partition", target: prover }, deadline + 1_000, "orchestrator", "faults");
    expect(checkInvariants({ network, events: run.events }).violations).toEqual([]);
    // Healed before the deadline: the receipt was posted in time, and the slash is not attributable.
    const early = failureRun();
    const p = early.slash.payload.prover;
    const d = early.missed.payload.deadline;
    early.run.event("FaultInjected", { fault: "partition", target: p, params: {} }, d - 500, "orchestrator", "faults");
    const inTime = early.run.event("PostReceipt", { ...early.slash.payload, proofHash: "1".repeat(64) as Hash }, d - 100, `prover-pool/${p}`);
    early.run.event("FaultHealed", { fault: "partition", target: p }, d - 50, "orchestrator", "faults");
    expect(rules(checkInvariants({ network, events: early.run.events }))).toEqual([[3, "slashed-despite-receipt", [early.slash.id, early.missed.id, inTime.id]]]);
    expect(partitioned.payload.fault).toBe("partition");
  });

  it("accepts a receipt posted after the deadline: the slash stands", () => {
    const { run, slash, missed } = failureRun();
    run.event("PostReceipt", { ...slash.payload, proofHash: "1".repeat(64) as Hash }, missed.payload.deadline + 1, `prover-pool/${slash.payload.prover}`);
    expect(checkInvariants({ network, events: run.events }).violations).toEqual([]);
  });

  it("accepts an invalid-proof slash after a signed proof rejected for its public input, and reports one after a mere duplicate", () => {
    const run = new RunBuilder(network).genesis();
    const block = run.block(0);
    const prover = nth(network.provers, 3).id;
    run.fault("invalid", prover, 0);
    const bad = run.proof(0, 0, 0, prover, "2".repeat(64) as Hash, [], 1_000);
    run.event("ProofRejected", { ...node, prover, proofHash: bad.payload.proofHash, reason: "wrong-public-input" }, 1_000, "aggregator");
    run.event("ProverSlashed", { prover, amount: 10n, reason: "invalid", ...node, evidence: [bad.id] }, 1_000, "l1-settlement");
    expect(checkInvariants({ network, events: run.events }).violations).toEqual([]);

    // A duplicate of the accepted proof by another prover is no equivocation.
    const other = nth(network.provers.filter((p) => p.id !== defined(block.proofs.get("0/1")).payload.prover), 0).id;
    run.fault("invalid", other, 0);
    const late = defined(block.proofs.get("0/1"));
    run.event("ProofRejected", { ...late.payload, prover: other, reason: "duplicate" }, 1_500, "aggregator");
    const slash = run.event("ProverSlashed", { block: late.payload.block, level: late.payload.level, index: late.payload.index, prover: other, amount: 10n, reason: "invalid", evidence: [] }, 1_500, "l1-settlement");
    expect(rules(checkInvariants({ network, events: run.events }))).toEqual([[3, "slash-without-invalid-proof", [slash.id]]]);
  });

  it("accepts an invalid-proof slash for an equivocation: a second, different, well-signed proof rejected as a duplicate", () => {
    const run = new RunBuilder(network).genesis();
    const block = run.block(0);
    const first = defined(block.proofs.get("0/0")).payload;
    run.fault("equivocate", first.prover, 0);
    // Another statement of the same node, signed by the same prover (its accepted proof is on record).
    const other = run.proof(0, 0, 0, first.prover, first.publicInput, ["5".repeat(64) as Hash], 1_000);
    run.event("ProofRejected", { ...node, prover: first.prover, proofHash: other.payload.proofHash, reason: "duplicate" }, 1_000, "aggregator");
    run.event("ProverSlashed", { prover: first.prover, amount: 10n, reason: "invalid", ...node, evidence: [other.id] }, 1_000, "l1-settlement");
    expect(checkInvariants({ network, events: run.events }).violations).toEqual([]);
  });

  it("takes the faults of the network configuration as faults from the start", () => {
    const run = new RunBuilder(network).genesis();
    run.block(0);
    const prover = nth(network.provers, 1).id;
    run.event("NodeDeadlineMissed", { ...node, prover, deadline: 3_000 as Timestamp }, 3_000, "aggregator");
    run.event("ProverSlashed", { prover, amount: 10n, reason: "missed", ...node, evidence: [] }, 3_000, "l1-settlement");
    const configured = { ...network, faults: [{ fault: "slow", target: prover, params: { factor: "3" } }] } as NetworkConfig;
    const report = checkInvariants({ network: configured, events: run.events });
    expect(report.violations).toEqual([]);
    expect(report.honest).not.toContain(prover);
  });
});

describe("invariant 4: the ledger", () => {
  it("holds through registrations, rewards and a slash with its bounty, whichever of ProverSlashed and StakeChanged comes first", () => {
    const { run, slash } = failureRun();
    const cut = run.events.findIndex((e) => e.type === "StakeChanged" && e.payload.reason === "slash");
    const slashAt = run.events.indexOf(slash);
    const swapped = [...run.events];
    [swapped[cut], swapped[slashAt]] = [defined(swapped[slashAt]), defined(swapped[cut])];
    for (const events of [run.events, swapped]) {
      const report = checkInvariants({ network, events });
      expect(report.violations).toEqual([]);
      const { balances, stakes, burned, escrow, initialSupply, minted } = report.ledger;
      const sum = (m: ReadonlyMap<string, bigint>) => [...m.values()].reduce((a, b) => a + b, 0n);
      expect(escrow).toBe(0n);
      expect(sum(balances) + sum(stakes) + burned + escrow).toBe(initialSupply + minted);
      expect(stakes.get(slash.payload.prover)).toBe(defined(network.provers.find((p) => p.id === slash.payload.prover)).stake - slash.payload.amount);
    }
  });

  it("holds through a missed deadline's slash put in escrow and given back (release) when the receipt is read after the miss", () => {
    const run = new RunBuilder(network).genesis();
    run.block(0, { finalize: false });
    const prover = nth(network.provers, 1);
    run.event("NodeDeadlineMissed", { ...node, prover: prover.id, deadline: 6_000 as Timestamp }, 6_000, "aggregator");
    run.event("StakeChanged", { prover: prover.id, stake: prover.stake - 10n, delta: -10n, reason: "slash" }, 6_000, "l1-settlement");
    const report = checkInvariants({ network, events: run.events });
    expect(report.ledger.escrow).toBe(10n);
    run.event("StakeChanged", { prover: prover.id, stake: prover.stake, delta: 10n, reason: "release" }, 6_300, "l1-settlement");
    const released = checkInvariants({ network, events: run.events });
    expect(released.violations.filter((v) => v.invariant === 4)).toEqual([]);
    expect(released.ledger.escrow).toBe(0n);
    expect(released.ledger.stakes.get(prover.id)).toBe(prover.stake);
  });

  it("reports a StakeChanged whose stake is not the stake before plus its delta", () => {
    const run = new RunBuilder(network).genesis();
    run.block(0);
    const prover = nth(network.provers, 0);
    const jump = run.event("StakeChanged", { prover: prover.id, stake: prover.stake + 10n, delta: 5n, reason: "deposit" }, 3_000, "l1-settlement");
    const report = checkInvariants({ network, events: run.events });
    expect(rules(report)).toEqual([[4, "stake-jump", [jump.id]]]);
    expect(nth(report.violations, 0).message).toContain("5 appeared from nowhere");
  });

  it("reports a slash larger than the stake, a bounty larger than its slash, and a reward for a block never finalized", () => {
    const run = new RunBuilder(network).genesis();
    run.block(0, { finalize: false });
    const [a, b] = [nth(network.provers, 0), nth(network.provers, 1)];
    for (const p of [a, b]) run.fault("crash", p.id, 0);
    run.event("NodeDeadlineMissed", { ...node, prover: a.id, deadline: 6_000 as Timestamp }, 6_000, "aggregator");
    run.event("NodeDeadlineMissed", { ...node, prover: b.id, deadline: 6_000 as Timestamp }, 6_000, "aggregator");
    const tooMuch = run.event("ProverSlashed", { prover: a.id, amount: a.stake + 1n, reason: "missed", ...node, evidence: [] }, 6_000, "l1-settlement");
    const bounty = run.event("ProverSlashed", { prover: b.id, amount: 10n, reason: "missed", ...node, evidence: [], bounty: { prover: a.id, amount: 11n } }, 6_001, "l1-settlement");
    const unearned = run.event("RewardPaid", { block: 0 as BlockNumber, prover: b.id, amount: 5n, level: 0 as Level, index: 0 as NodeIndex }, 6_002, "l1-settlement");
    const report = checkInvariants({ network, events: run.events });
    expect(rules(report).filter(([invariant]) => invariant === 4)).toEqual([
      [4, "negative-stake", [tooMuch.id]],
      [4, "bounty-exceeds-slash", [bounty.id]],
      [4, "reward-without-finalization", [unearned.id]],
    ]);
  });

  it("reports a registration its prover's genesis balance cannot pay for", () => {
    const run = new RunBuilder(network).genesis();
    const outsider = "prover-99" as ProverId;
    const registered = run.event("ProverRegistered", { prover: outsider, stake: 5n, publicKey: "3".repeat(64) as PublicKey }, 100, "l1-settlement");
    expect(rules(checkInvariants({ network, events: run.events }))).toEqual([[4, "negative-balance", [registered.id]]]);
  });
});
