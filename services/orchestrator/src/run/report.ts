import type { ProtocolEvent } from "@zk-testnet/protocol";

/** What a run looked like, folded from its events alone. */
export interface BlockProgress {
  readonly block: number;
  readonly slot: number;
  readonly txCount: number;
  readonly proposedAt: number;
  assigned: number;
  accepted: number;
  finalizedAt?: number;
  reorgedAt?: number;
}

export interface RunReport {
  readonly blocks: Map<number, BlockProgress>;
  readonly rewards: Map<string, bigint>;
  /** Ledger totals as the L1's events tell them. */
  staked: bigint;
  slashed: bigint;
  burned: bigint;
  proofsSubmitted: number;
  takeovers: number;
  missed: number;
  slashes: number;
  bounties: bigint;
  uncles: bigint;
  reorged: number;
  faults: number;
  proofsAccepted: number;
  proofsRejected: number;
  registered: number;
}

export const emptyReport = (): RunReport => ({
  blocks: new Map(),
  rewards: new Map(),
  staked: 0n,
  slashed: 0n,
  burned: 0n,
  proofsSubmitted: 0,
  takeovers: 0,
  missed: 0,
  slashes: 0,
  bounties: 0n,
  uncles: 0n,
  reorged: 0,
  faults: 0,
  proofsAccepted: 0,
  proofsRejected: 0,
  registered: 0,
});

/** A line a person can follow, for the events worth a line; undefined for the others. */
export type ProgressLine = string | undefined;

/** Folds one event into the report and says what happened, if it is worth a line. */
export const observe = (report: RunReport, event: ProtocolEvent): ProgressLine => {
  switch (event.type) {
    case "BlockProposed": {
      const p = event.payload;
      if (report.blocks.has(p.block)) return undefined;
      report.blocks.set(p.block, { block: p.block, slot: p.slot, txCount: p.txCount, proposedAt: event.time, assigned: 0, accepted: 0 });
      return `slot ${p.slot}: block ${p.block} proposed (${p.txCount} txs, fees ${p.fees})`;
    }
    case "NodeAssigned": {
      const b = report.blocks.get(event.payload.block);
      if (b !== undefined) b.assigned++;
      return undefined;
    }
    case "ProofSubmitted":
      report.proofsSubmitted++;
      return undefined;
    case "ProofAccepted": {
      report.proofsAccepted++;
      const b = report.blocks.get(event.payload.block);
      if (b !== undefined) b.accepted++;
      return undefined;
    }
    case "ProofRejected":
      report.proofsRejected++;
      return `block ${event.payload.block}: proof of node ${event.payload.level}/${event.payload.index} by ${event.payload.prover} rejected (${event.payload.reason})`;
    case "ProverRegistered":
      report.registered++;
      return undefined;
    case "StakeChanged":
      report.staked += event.payload.delta;
      return undefined;
    case "NodeDeadlineMissed":
      report.missed++;
      return `block ${event.payload.block}: node ${event.payload.level}/${event.payload.index} missed its deadline (${event.payload.prover})`;
    case "TakeoverOpened":
      report.takeovers++;
      return `block ${event.payload.block}: node ${event.payload.level}/${event.payload.index} taken over (${event.payload.step}) from ${event.payload.from}${event.payload.to === undefined ? " by an open round" : ` to ${event.payload.to}`}`;
    case "UncleRewardPaid":
      report.uncles += event.payload.amount;
      return `block ${event.payload.block}: uncle reward ${event.payload.amount} to ${event.payload.prover}`;
    case "BlockReorgedOut": {
      report.reorged++;
      const b = report.blocks.get(event.payload.block);
      if (b !== undefined) b.reorgedAt = event.time;
      return `block ${event.payload.block} reorged out (${event.payload.reason})`;
    }
    case "ProverEjected":
      return `prover ${event.payload.prover} ejected at epoch ${event.payload.epoch} (stake ${event.payload.stake})`;
    case "FaultInjected":
      report.faults++;
      return `fault injected: ${event.payload.fault} on ${event.payload.target}`;
    case "FaultHealed":
      return `fault healed: ${event.payload.fault} on ${event.payload.target}`;
    case "ProverSlashed": {
      report.slashes++;
      report.slashed += event.payload.amount;
      const bounty = (event.payload as { bounty?: { amount: bigint } }).bounty?.amount ?? 0n;
      report.bounties += bounty;
      report.burned += event.payload.amount - bounty;
      return `prover ${event.payload.prover} slashed ${event.payload.amount} (${event.payload.reason})`;
    }
    case "BlockFinalized": {
      const b = report.blocks.get(event.payload.block);
      if (b === undefined || b.finalizedAt !== undefined) return undefined;
      b.finalizedAt = event.time;
      return `slot ${event.slot}: block ${b.block} finalized, ${b.accepted} proofs, ${((event.time - b.proposedAt) / 1000).toFixed(1)} s after its proposal`;
    }
    case "RewardPaid": {
      const p = event.payload;
      report.rewards.set(p.prover, (report.rewards.get(p.prover) ?? 0n) + p.amount);
      return undefined;
    }
    default:
      return undefined;
  }
};

export const percentile = (sorted: readonly number[], p: number): number =>
  sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

export interface Summary {
  readonly proposed: number;
  readonly finalized: number;
  readonly unfinalized: readonly number[];
  readonly ttfP50Ms: number;
  readonly ttfP95Ms: number;
  readonly proofsAccepted: number;
  readonly proofsRejected: number;
  readonly rewards: readonly { readonly prover: string; readonly amount: bigint }[];
  readonly ledger: { readonly staked: bigint; readonly rewardsPaid: bigint; readonly slashed: bigint; readonly burned: bigint };
  readonly failures: {
    readonly faults: number;
    readonly missed: number;
    readonly takeovers: number;
    readonly slashes: number;
    readonly bounties: bigint;
    readonly uncles: bigint;
    readonly reorged: number;
  };
}

export const summarize = (report: RunReport): Summary => {
  const blocks = [...report.blocks.values()];
  const ttf = blocks.flatMap((b) => (b.finalizedAt === undefined ? [] : [b.finalizedAt - b.proposedAt])).sort((a, b) => a - b);
  return {
    proposed: blocks.length,
    finalized: ttf.length,
    unfinalized: blocks.filter((b) => b.finalizedAt === undefined && b.reorgedAt === undefined).map((b) => b.block),
    ttfP50Ms: percentile(ttf, 50),
    ttfP95Ms: percentile(ttf, 95),
    proofsAccepted: report.proofsAccepted,
    proofsRejected: report.proofsRejected,
    rewards: [...report.rewards].map(([prover, amount]) => ({ prover, amount })).sort((a, b) => (a.prover < b.prover ? -1 : 1)),
    failures: {
      faults: report.faults,
      missed: report.missed,
      takeovers: report.takeovers,
      slashes: report.slashes,
      bounties: report.bounties,
      uncles: report.uncles,
      reorged: report.reorged,
    },
    ledger: {
      staked: report.staked,
      rewardsPaid: [...report.rewards.values()].reduce((a, b) => a + b, 0n),
      slashed: report.slashed,
      burned: report.burned,
    },
  };
};

export const formatSummary = (s: Summary): string =>
  [
    `blocks: ${s.proposed} proposed, ${s.finalized} finalized${s.unfinalized.length > 0 ? ` (not finalized: ${s.unfinalized.join(", ")})` : ""}`,
    `time to finality: p50 ${(s.ttfP50Ms / 1000).toFixed(1)} s, p95 ${(s.ttfP95Ms / 1000).toFixed(1)} s`,
    `proofs: ${s.proofsAccepted} accepted, ${s.proofsRejected} rejected`,
    `failures: ${s.failures.faults} faults injected, ${s.failures.missed} deadlines missed, ${s.failures.takeovers} takeovers, ${s.failures.slashes} slashes (bounties ${s.failures.bounties}, burned ${s.ledger.burned}), uncle rewards ${s.failures.uncles}, ${s.failures.reorged} blocks reorged out`,
    formatLedger(s.ledger),
    "rewards:",
    ...s.rewards.map((r) => `  ${r.prover.padEnd(12)} ${r.amount}`),
  ].join("\n");

export const formatLedger = (l: Summary["ledger"]): string =>
  `ledger: staked ${l.staked}, rewards paid ${l.rewardsPaid}, slashed ${l.slashed}, burned ${l.burned}`;
