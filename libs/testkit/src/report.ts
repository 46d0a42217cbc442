import type { InvariantReport } from "./check.ts";
import type { RunMetrics } from "./metrics.ts";
import { invariantTitles, type InvariantNumber } from "./violation.ts";

// Reports a person reads: the invariants' verdict with every offending event id, and the metrics.

const INVARIANTS: readonly InvariantNumber[] = [1, 2, 3, 4, 5, 6];

const seconds = (ms: number | undefined): string => (ms === undefined ? "n/a" : `${(ms / 1000).toFixed(1)} s`);

export const formatReport = (report: InvariantReport): string => {
  const { run, liveness } = report;
  const lines = [
    `events: ${run.events}${run.duplicates > 0 ? ` (${run.duplicates} redelivered duplicates dropped)` : ""}${report.skipped.length > 0 ? `, ${report.skipped.length} records skipped` : ""}`,
    `blocks: ${run.proposed} proposed, ${run.finalized} finalized, ${run.reorgedOut} reorged out, ${liveness.pending.length} pending`,
  ];
  if (liveness.unchecked.length > 0) {
    lines.push(`liveness not checked for ${liveness.unchecked.length} block(s) without an honest prover in every sibling group:`);
    for (const u of liveness.unchecked) lines.push(`  block ${u.block}: ${u.reason}`);
  }
  if (report.replayed === undefined) lines.push("invariant 6 not checked: no replay supplied");
  if (report.ok) {
    lines.push(report.replayed === undefined ? "invariants 1 to 5 hold" : "all 6 invariants hold");
    return lines.join("\n");
  }
  lines.push(`${report.violations.length} violation(s):`);
  for (const n of INVARIANTS) {
    const broken = report.violations.filter((v) => v.invariant === n);
    if (broken.length === 0) continue;
    lines.push(`invariant ${n} (${invariantTitles[n]}): ${broken.length} violation(s)`);
    for (const v of broken) {
      lines.push(`  [${v.rule}] ${v.message}`);
      if (v.events.length > 0) lines.push(`    events: ${v.events.join(", ")}`);
    }
  }
  return lines.join("\n");
};

export const formatMetrics = (metrics: RunMetrics): string => {
  const ttf = metrics.timeToFinalityMs;
  const rate = (value: number | undefined) => (value === undefined ? "n/a" : value.toFixed(2));
  return [
    `time to finality: p50 ${seconds(ttf?.p50)}, p95 ${seconds(ttf?.p95)}, max ${seconds(ttf?.max)} over ${ttf?.count ?? 0} block(s)`,
    `proofs: ${metrics.proofs.submitted} submitted, ${metrics.proofs.accepted} accepted (${rate(metrics.proofs.acceptedPerSecond)}/s), ${metrics.proofs.rejected} rejected`,
    `takeovers: ${metrics.takeovers.count} (${metrics.takeovers.open} open)`,
    `slashes: ${metrics.slashes.count} (${metrics.slashes.missed} missed, ${metrics.slashes.invalid} invalid), ${metrics.slashes.amount} in total`,
    `uncle claims: ${metrics.uncleClaims.count}, ${metrics.uncleClaims.amount} in total`,
    `wasted proofs: ${metrics.wastedProofs.count}${metrics.wastedProofs.share === undefined ? "" : ` (${(metrics.wastedProofs.share * 100).toFixed(1)}%)`}, ${metrics.wastedProofs.unsettled} of unsettled blocks`,
    `cost per block: ${metrics.rewards.costPerBlock ?? "n/a"}; rewards ${metrics.rewards.total} in total`,
    `reward spread: Gini ${metrics.rewards.gini.toFixed(3)}, Nakamoto ${metrics.rewards.nakamoto}`,
  ].join("\n");
};
