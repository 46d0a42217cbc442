import { Either } from "effect";
import type { BadExport } from "@zk-testnet/event-log";
import type { NetworkConfig } from "@zk-testnet/network";
import type { ProtocolEvent, ProverId } from "@zk-testnet/protocol";
import { assignmentOf, type BlockAssignment } from "./assignment.ts";
import { honestyOf } from "./honesty.ts";
import { checkLedger, type LedgerTotals } from "./invariants/ledger.ts";
import { checkLiveness, type LivenessSummary } from "./invariants/liveness.ts";
import { checkPayments } from "./invariants/payments.ts";
import { checkReplay, type ReplayedState } from "./invariants/replay.ts";
import { checkSlashes } from "./invariants/slashing.ts";
import { checkTrees } from "./invariants/trees.ts";
import { readJsonl, type SkippedRecord } from "./jsonl.ts";
import { indexRun, type RunLog } from "./run-log.ts";
import type { InvariantNumber, Violation } from "./violation.ts";

export interface CheckInput {
  readonly network: NetworkConfig;
  /** The run's events in log order (by time, then topic and offset); they are stably re-sorted by time and each id is taken once. */
  readonly events: readonly ProtocolEvent[];
  /** Provers never faulted; by default every known prover that no FaultInjected targets and no configured fault profile names. */
  readonly honest?: ReadonlySet<ProverId>;
  /** Live and replayed state hashes of every service (invariant 6); without it invariant 6 is not checked. */
  readonly replayCheck?: () => readonly ReplayedState[];
  /** Check the beacon rounds' signatures in the network's scheme, with the key derived from the network seed (default true). */
  readonly verifyBeacon?: boolean;
}

export interface RunSummary {
  readonly events: number;
  /** Records whose event id had been seen: dropped, as consumers drop them. */
  readonly duplicates: number;
  readonly startTime: number;
  readonly endTime: number;
  readonly proposed: number;
  readonly finalized: number;
  readonly reorgedOut: number;
  readonly slashes: number;
  readonly rewards: number;
}

export interface InvariantReport {
  readonly ok: boolean;
  /** Every violation, by invariant, then by the log position of its first offending event. */
  readonly violations: readonly Violation[];
  readonly run: RunSummary;
  /** The provers taken as honest (never faulted). */
  readonly honest: readonly string[];
  readonly liveness: LivenessSummary;
  /** The ledger rebuilt from the events, at the end of the run. */
  readonly ledger: LedgerTotals;
  /** The services whose replay was compared; undefined when invariant 6 was not checked. */
  readonly replayed: readonly string[] | undefined;
  /** Records of a JSONL export that were not read as events. */
  readonly skipped: readonly SkippedRecord[];
}

const sortViolations = (log: RunLog, violations: readonly Violation[]): readonly Violation[] => {
  const firstPosition = (v: Violation) => Math.min(...v.events.map((id) => log.position(id)).filter((p) => p >= 0), Number.MAX_SAFE_INTEGER);
  return violations
    .map((v, i) => ({ v, i, at: firstPosition(v) }))
    .sort((a, b) => a.v.invariant - b.v.invariant || a.at - b.at || a.i - b.i)
    .map(({ v }) => v);
};

/** Checks a run's log against the six invariants of PROTOCOL.md; every violation names its offending events. */
export const checkInvariants = (input: CheckInput): InvariantReport => {
  const log = indexRun(input.network, input.events, input.verifyBeacon === undefined ? {} : { verifyBeacon: input.verifyBeacon });
  const honesty = honestyOf(input.network, log.events, log.provers, input.honest);
  const assignments = new Map<number, BlockAssignment>();
  const assignment = (block: number): BlockAssignment => {
    const known = assignments.get(block);
    if (known !== undefined) return known;
    const computed = assignmentOf(log, block);
    assignments.set(block, computed);
    return computed;
  };

  const trees = checkTrees(log, assignment);
  const ledger = checkLedger(log);
  const liveness = checkLiveness(log, honesty, assignment);
  const replay = checkReplay(input.replayCheck);
  const violations = sortViolations(log, [
    ...trees.violations,
    ...checkPayments(log),
    ...checkSlashes(log, honesty),
    ...ledger.violations,
    ...liveness.violations,
    ...replay.violations,
  ]);
  return {
    ok: violations.length === 0,
    violations,
    run: {
      events: log.events.length,
      duplicates: log.duplicates,
      startTime: log.startTime,
      endTime: log.endTime,
      proposed: log.blocks.size,
      finalized: log.finalized.size,
      reorgedOut: log.reorged.size,
      slashes: log.ofType("ProverSlashed").length,
      rewards: log.ofType("RewardPaid").length,
    },
    honest: [...honesty.honest].sort(),
    liveness: liveness.summary,
    ledger: ledger.totals,
    replayed: replay.services,
    skipped: [],
  };
};

export interface JsonlCheckOptions {
  readonly honest?: ReadonlySet<ProverId>;
  readonly replayCheck?: () => readonly ReplayedState[];
  readonly verifyBeacon?: boolean;
}

/** Checks a JSONL export: raw records, dead-letter topics and undecodable records are skipped (and listed). */
export const checkJsonl = (jsonl: string, network: NetworkConfig, options: JsonlCheckOptions = {}): Either.Either<InvariantReport, BadExport> =>
  Either.map(readJsonl(jsonl), (run) => ({ ...checkInvariants({ ...options, network, events: run.events }), skipped: run.skipped }));

/** How many violations each invariant has. */
export const violationsByInvariant = (report: InvariantReport): { readonly [N in InvariantNumber]: number } => {
  const counts = { 1: 0, 2: 0, 3: 0, 4: 0, 5: 0, 6: 0 };
  for (const v of report.violations) counts[v.invariant]++;
  return counts;
};
