export { invariantTitles, type InvariantNumber, type Violation } from "./violation.ts";
export {
  checkInvariants,
  checkJsonl,
  violationsByInvariant,
  type CheckInput,
  type InvariantReport,
  type JsonlCheckOptions,
  type RunSummary,
} from "./check.ts";
export { isDeadLetterTopic, logOrder, readJsonl, type JsonlRun, type LoggedEvent, type SkippedRecord } from "./jsonl.ts";
export type { LedgerTotals } from "./invariants/ledger.ts";
export type { LivenessSummary, UncheckedBlock } from "./invariants/liveness.ts";
export type { ReplayedState } from "./invariants/replay.ts";
export { configuredFaults, faultWindows, type FaultWindow } from "./honesty.ts";
export { submittedProofHashes, treePublicInputs, verifySubmittedTree, type TreeCheck, type TreeNode } from "./proof-tree.ts";
export { gini, nakamoto, percentile, runMetrics, type Distribution, type RunMetrics } from "./metrics.ts";
export { formatMetrics, formatReport } from "./report.ts";
