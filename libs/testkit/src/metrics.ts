import type { NetworkConfig } from "@zk-testnet/network";
import type { ProtocolEvent } from "@zk-testnet/protocol";
import { submittedProofHashes } from "./proof-tree.ts";
import { indexRun } from "./run-log.ts";

// The metrics of PROTOCOL.md ("Metrics a run reports"), from the log alone.

/** The nearest-rank percentile of ascending values; undefined for none. */
export const percentile = (sorted: readonly number[], p: number): number | undefined =>
  sorted.length === 0 ? undefined : sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];

/**
 * The Gini coefficient of non-negative amounts: sum over all pairs of |x_i − x_j| over
 * 2·n²·mean. 0 when everyone has the same (or nobody has anything), (n − 1)/n when one has all.
 */
export const gini = (amounts: readonly bigint[]): number => {
  const n = amounts.length;
  const total = amounts.reduce((a, b) => a + b, 0n);
  if (n === 0 || total === 0n) return 0;
  const sorted = [...amounts].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  // With x sorted ascending and ranks i = 1..n: G = (2·Σ i·x_i) / (n·Σ x) − (n + 1) / n, exact in bigints up to the last division.
  const weighted = sorted.reduce((acc, x, i) => acc + BigInt(i + 1) * x, 0n);
  const numerator = 2n * weighted - BigInt(n + 1) * total;
  return Number(numerator) / Number(BigInt(n) * total);
};

/** The Nakamoto coefficient: the fewest holders that together have more than half of the total; 0 when the total is 0. */
export const nakamoto = (amounts: readonly bigint[]): number => {
  const total = amounts.reduce((a, b) => a + b, 0n);
  if (total === 0n) return 0;
  const descending = [...amounts].sort((a, b) => (a > b ? -1 : a < b ? 1 : 0));
  let held = 0n;
  for (const [i, amount] of descending.entries()) {
    held += amount;
    if (2n * held > total) return i + 1;
  }
  return descending.length;
};

export interface Distribution {
  readonly p50: number;
  readonly p95: number;
  readonly max: number;
  readonly count: number;
}

export interface RunMetrics {
  /** From the first event to the last, ms. */
  readonly durationMs: number;
  readonly blocks: { readonly proposed: number; readonly finalized: number; readonly reorgedOut: number; readonly pending: number };
  /** BlockFinalized time − BlockProposed time, ms, over finalized blocks; undefined when none finalized. */
  readonly timeToFinalityMs: Distribution | undefined;
  readonly proofs: {
    readonly submitted: number;
    readonly accepted: number;
    readonly rejected: number;
    /** Accepted proofs per second of the run; undefined for a run without duration. */
    readonly acceptedPerSecond: number | undefined;
    readonly submittedPerSecond: number | undefined;
  };
  /** TakeoverOpened events, and how many of them opened the node to every prover. */
  readonly takeovers: { readonly count: number; readonly open: number };
  readonly slashes: { readonly count: number; readonly amount: bigint; readonly missed: number; readonly invalid: number };
  readonly uncleClaims: { readonly count: number; readonly amount: bigint };
  /**
   * Distinct submitted proofs (by proof hash) of settled blocks (finalized or reorged out) that
   * are not in a finalized tree, and their share of all such proofs. Proofs of blocks still
   * open when the run ended are counted apart, as `unsettled`.
   */
  readonly wastedProofs: { readonly count: number; readonly share: number | undefined; readonly unsettled: number };
  readonly rewards: {
    /** RewardPaid plus UncleRewardPaid. */
    readonly total: bigint;
    /** Per prover, every known prover included (0 for one that earned nothing), by prover id. */
    readonly byProver: readonly { readonly prover: string; readonly amount: bigint }[];
    /** Rewards paid per finalized block (floor); undefined when none finalized. */
    readonly costPerBlock: bigint | undefined;
    readonly gini: number;
    readonly nakamoto: number;
  };
}

/** p50, p95 and max of ascending values; undefined for none. */
const distribution = (sorted: readonly number[]): Distribution | undefined => {
  const [p50, p95, max] = [percentile(sorted, 50), percentile(sorted, 95), percentile(sorted, 100)];
  return p50 === undefined || p95 === undefined || max === undefined ? undefined : { p50, p95, max, count: sorted.length };
};

const perSecond = (count: number, durationMs: number): number | undefined => (durationMs > 0 ? (count * 1000) / durationMs : undefined);

/** The run's metrics from its log alone (events in log order; stably re-sorted by time, each id once). */
export const runMetrics = (events: readonly ProtocolEvent[], network: NetworkConfig): RunMetrics => {
  const log = indexRun(network, events, { verifyBeacon: false });
  const durationMs = log.endTime - log.startTime;

  const ttf: number[] = [];
  for (const [block, finalized] of log.finalized) {
    const proposed = log.blocks.get(block);
    if (proposed !== undefined) ttf.push(finalized.time - proposed.time);
  }
  ttf.sort((a, b) => a - b);

  const inTree = new Set<string>();
  for (const [block, finalized] of log.finalized) {
    // The tree the L1 finalized: the last one submitted before its BlockFinalized (the first, if the log orders them otherwise).
    const roots = log.roots.get(block) ?? [];
    const root = roots.filter((r) => log.position(r.id) < log.position(finalized.id)).pop() ?? roots[0];
    if (root !== undefined) for (const hash of submittedProofHashes(root.payload)) inTree.add(hash);
  }
  const settledProofs = new Map<string, boolean>();
  const unsettledProofs = new Set<string>();
  for (const proof of log.ofType("ProofSubmitted")) {
    const { block } = proof.payload;
    if (log.finalized.has(block) || log.reorged.has(block)) settledProofs.set(proof.payload.proofHash, inTree.has(proof.payload.proofHash));
    else unsettledProofs.add(proof.payload.proofHash);
  }
  const wasted = [...settledProofs.values()].filter((used) => !used).length;

  const slashes = log.ofType("ProverSlashed");
  const uncles = log.ofType("UncleRewardPaid");
  const earned = new Map<string, bigint>(log.provers.map((p) => [p, 0n]));
  for (const reward of [...log.ofType("RewardPaid"), ...uncles]) earned.set(reward.payload.prover, (earned.get(reward.payload.prover) ?? 0n) + reward.payload.amount);
  const byProver = [...earned].map(([prover, amount]) => ({ prover, amount })).sort((a, b) => (a.prover < b.prover ? -1 : a.prover > b.prover ? 1 : 0));
  const total = byProver.reduce((sum, r) => sum + r.amount, 0n);
  const takeovers = log.ofType("TakeoverOpened");
  const accepted = log.ofType("ProofAccepted").length;
  const submitted = log.ofType("ProofSubmitted").length;

  return {
    durationMs,
    blocks: {
      proposed: log.blocks.size,
      finalized: log.finalized.size,
      reorgedOut: log.reorged.size,
      pending: [...log.blocks.keys()].filter((b) => !log.finalized.has(b) && !log.reorged.has(b)).length,
    },
    timeToFinalityMs: distribution(ttf),
    proofs: {
      submitted,
      accepted,
      rejected: log.ofType("ProofRejected").length,
      acceptedPerSecond: perSecond(accepted, durationMs),
      submittedPerSecond: perSecond(submitted, durationMs),
    },
    takeovers: { count: takeovers.length, open: takeovers.filter((t) => t.payload.to === undefined).length },
    slashes: {
      count: slashes.length,
      amount: slashes.reduce((sum, s) => sum + s.payload.amount, 0n),
      missed: slashes.filter((s) => s.payload.reason === "missed").length,
      invalid: slashes.filter((s) => s.payload.reason === "invalid").length,
    },
    uncleClaims: { count: uncles.length, amount: uncles.reduce((sum, u) => sum + u.payload.amount, 0n) },
    wastedProofs: { count: wasted, share: settledProofs.size === 0 ? undefined : wasted / settledProofs.size, unsettled: unsettledProofs.size },
    rewards: {
      total,
      byProver,
      costPerBlock: log.finalized.size === 0 ? undefined : total / BigInt(log.finalized.size),
      gini: gini(byProver.map((r) => r.amount)),
      nakamoto: nakamoto(byProver.map((r) => r.amount)),
    },
  };
};
