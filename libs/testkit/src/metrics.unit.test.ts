import { describe, expect, it } from "vitest";
import { blockPayout } from "@zk-testnet/mechanisms";
import type { BlockNumber, Hash, Level, NodeIndex, ProverId } from "@zk-testnet/protocol";
import { gini, nakamoto, percentile, runMetrics } from "./metrics.ts";
import { formatMetrics } from "./report.ts";
import { defined, leafWithOtherSibling, RunBuilder, testNetwork } from "./testing.ts";

const network = testNetwork();

describe("the spread of rewards", () => {
  it.each([
    { amounts: [5n, 5n, 5n, 5n], gini: 0, nakamoto: 3 },
    { amounts: [0n, 0n, 0n, 10n], gini: 0.75, nakamoto: 1 },
    { amounts: [1n, 2n, 3n, 4n], gini: 0.25, nakamoto: 2 },
    { amounts: [5n, 3n, 2n], gini: 0.2, nakamoto: 2 },
    { amounts: [1n, 1n], gini: 0, nakamoto: 2 },
    { amounts: [0n, 0n], gini: 0, nakamoto: 0 },
    { amounts: [], gini: 0, nakamoto: 0 },
  ])("Gini $gini and Nakamoto $nakamoto for $amounts", ({ amounts, gini: g, nakamoto: n }) => {
    expect(gini(amounts)).toBeCloseTo(g, 12);
    expect(nakamoto(amounts)).toBe(n);
  });

  it("gives a Gini of (n - 1) / n when one prover earns everything", () => {
    const amounts = [10n ** 30n, ...Array.from({ length: 9 }, () => 0n)];
    expect(gini(amounts)).toBeCloseTo(0.9, 12);
  });

  it("takes nearest-rank percentiles", () => {
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 50)).toBe(5);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 95)).toBe(10);
    expect(percentile([], 50)).toBeUndefined();
  });
});

describe("runMetrics", () => {
  it("measures a run from its log alone", () => {
    const run = new RunBuilder(network).genesis();
    const first = run.block(0);
    const second = run.block(1, { missed: { level: 0, index: leafWithOtherSibling(run.plannedAssignment(1)) } });
    run.fault("crash", defined(second.slash).payload.prover, 0);
    // A racing proof of an already accepted leaf: work that no tree uses.
    const accepted = defined(first.proofs.get("0/0")).payload;
    run.proof(0, 0, 0, (accepted.prover === "prover-1" ? "prover-2" : "prover-1") as ProverId, accepted.publicInput, [], 600);
    // A proof of a block that is still open.
    run.block(2, { finalize: false });
    run.proof(2, 0, 0, "prover-1" as ProverId, "4".repeat(64) as Hash, [], 4_700);
    run.event("UncleRewardPaid", { block: 0 as BlockNumber, prover: "prover-3" as ProverId, amount: 7n, level: 0 as Level, index: 0 as NodeIndex }, 5_000, "l1-settlement");

    const metrics = runMetrics(run.events, network);
    // Leaves at +0.5 s, merges at +0.8 s, the root at +1.1 s, finalized 0.1 s later; the taken-over leaf a deadline (6 s) later.
    expect(metrics.timeToFinalityMs).toEqual({ p50: 1_200, p95: 7_200, max: 7_200, count: 2 });
    expect(metrics.blocks).toEqual({ proposed: 3, finalized: 2, reorgedOut: 0, pending: 1 });
    expect(metrics.proofs).toMatchObject({ submitted: 7 * 3 + 2, accepted: 7 * 3 });
    expect(metrics.proofs.acceptedPerSecond).toBeCloseTo((21 * 1000) / metrics.durationMs, 9);
    expect(metrics.takeovers).toEqual({ count: 1, open: 0 });
    expect(metrics.slashes).toMatchObject({ count: 1, missed: 1, invalid: 0, amount: defined(second.slash).payload.amount });
    expect(metrics.uncleClaims).toEqual({ count: 1, amount: 7n });
    expect(metrics.wastedProofs).toEqual({ count: 1, share: 1 / 15, unsettled: 8 });
    const paid = [...first.rewards, ...second.rewards].reduce((sum, r) => sum + r.payload.amount, 0n) + 7n;
    expect(metrics.rewards.total).toBe(paid);
    expect(metrics.rewards.costPerBlock).toBe(paid / 2n);
    // The taken-over leaf is not paid (takeoverPaid is off): less than two full payouts.
    expect(paid - 7n).toBeLessThan(2n * blockPayout(400n, network.params).distributed);
    expect(metrics.rewards.byProver.map((r) => r.prover)).toEqual(network.provers.map((p) => p.id));
    expect(metrics.rewards.gini).toBeGreaterThanOrEqual(0);
    expect(metrics.rewards.nakamoto).toBeGreaterThanOrEqual(1);
    const text = formatMetrics(metrics);
    expect(text).toContain("time to finality: p50 1.2 s, p95 7.2 s, max 7.2 s over 2 block(s)");
    expect(text).toContain("takeovers: 1 (0 open)");
  });

  it("reports an empty run without dividing by zero", () => {
    const metrics = runMetrics([], network);
    expect(metrics.timeToFinalityMs).toBeUndefined();
    expect(metrics.proofs.acceptedPerSecond).toBeUndefined();
    expect(metrics.rewards.costPerBlock).toBeUndefined();
    expect(metrics.wastedProofs.share).toBeUndefined();
    expect(formatMetrics(metrics)).toContain("p50 n/a");
  });
});
