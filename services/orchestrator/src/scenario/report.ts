import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Scenario } from "./load.ts";
import type { ScenarioRun } from "./run.ts";
import type { Mode } from "./schema.ts";
import type { SuiteTotals } from "./suite.ts";

// A suite's reports: JUnit XML for CI (one testcase per scenario × seed × mode) and a JSON
// report with every run's violations, expectation failures, metrics and log hash.

export interface SuiteResults {
  readonly mode: Mode;
  readonly startedAt: string;
  readonly durationMs: number;
  readonly scenarios: readonly Scenario[];
  readonly runs: readonly ScenarioRun[];
  readonly totals: SuiteTotals;
}

export const JUNIT_FILE = "junit.xml";
export const JSON_FILE = "report.json";

/** Whether XML 1.0 can carry the character at all (tab, newline, return, and from space on). */
const xmlChar = (c: string): boolean => {
  const code = c.codePointAt(0) ?? 0;
  return code === 0x9 || code === 0xa || code === 0xd || (code >= 0x20 && !(code >= 0xd800 && code <= 0xdfff) && code !== 0xfffe && code !== 0xffff);
};

const xml = (text: string): string =>
  Array.from(text, (c) => (xmlChar(c) ? c : "?"))
    .join("")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;");

const seconds = (ms: number): string => (ms / 1000).toFixed(3);

/** What went wrong in a run, a line each: invariant violations, expectation failures, errors. */
export const failureLines = (run: ScenarioRun): string[] => [
  ...(run.error !== undefined && run.outcome === "error" ? [`error: ${run.error}`] : []),
  ...run.violations.map((v) => `invariant ${v.invariant} [${v.rule}]: ${v.message}${v.events.length > 0 ? ` (events ${v.events.join(", ")})` : ""}`),
  ...run.expectationFailures,
];

/** Each failed or erred run of a suite, as a block of lines: what failed and the command that replays it (empty when all passed). */
export const failedRunsExplained = (runs: readonly ScenarioRun[]): string[] =>
  runs
    .filter((r) => r.outcome === "failed" || r.outcome === "error")
    .map((r) => [`${r.scenario} seed ${r.seed}:`, ...failureLines(r).map((l) => `  ${l}`), `  reproduce: ${r.reproduce}`].join("\n"));

const testcase = (run: ScenarioRun): string => {
  const name = run.outcome === "skipped" ? `${run.scenario} (${run.mode})` : `${run.scenario} seed ${run.seed} (${run.mode})`;
  const open = `    <testcase classname="scenarios.${xml(run.mode)}.${xml(run.scenario)}" name="${xml(name)}" file="${xml(run.file)}" time="${seconds(run.durationMs)}"`;
  if (run.outcome === "passed") return `${open}/>`;
  if (run.outcome === "skipped") return `${open}>\n      <skipped message="${xml(run.error ?? "")}"/>\n    </testcase>`;
  const lines = failureLines(run);
  const details = [...lines, `reproduce: ${run.reproduce}`, ...(run.logFile !== undefined ? [`log: ${run.logFile}`] : [])].join("\n");
  const tag = run.outcome === "error" ? "error" : "failure";
  const message = `${lines[0] ?? run.outcome}${lines.length > 1 ? ` (and ${lines.length - 1} more)` : ""}; reproduce: ${run.reproduce}`;
  return `${open}>\n      <${tag} message="${xml(message)}" type="${run.outcome === "error" ? "RunError" : "ScenarioFailed"}">${xml(details)}</${tag}>\n    </testcase>`;
};

export const junitXml = (results: SuiteResults): string => {
  const suites = results.scenarios.map((scenario) => {
    const runs = results.runs.filter((r) => r.scenario === scenario.name && r.file === scenario.file);
    const t = {
      failures: runs.filter((r) => r.outcome === "failed").length,
      errors: runs.filter((r) => r.outcome === "error").length,
      skipped: runs.filter((r) => r.outcome === "skipped").length,
    };
    const time = runs.reduce((sum, r) => sum + r.durationMs, 0);
    return [
      `  <testsuite name="${xml(`${scenario.name} (${results.mode})`)}" tests="${runs.length}" failures="${t.failures}" errors="${t.errors}" skipped="${t.skipped}" time="${seconds(time)}" timestamp="${results.startedAt.slice(0, 19)}">`,
      ...runs.map(testcase),
      "  </testsuite>",
    ].join("\n");
  });
  const { totals } = results;
  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<testsuites name="zk-testnet scenarios" tests="${results.runs.length}" failures="${totals.failed}" errors="${totals.errors}" skipped="${totals.skipped}" time="${seconds(results.durationMs)}">`,
    ...suites,
    "</testsuites>",
    "",
  ].join("\n");
};

/** The JSON report: per scenario, every run with its outcome, what failed, its metrics and log hash. */
export const jsonReport = (results: SuiteResults) => ({
  mode: results.mode,
  startedAt: results.startedAt,
  durationMs: results.durationMs,
  totals: results.totals,
  scenarios: results.scenarios.map((s) => ({
    name: s.name,
    file: s.file,
    description: s.description,
    modes: s.modes,
    runs: results.runs
      .filter((r) => r.scenario === s.name && r.file === s.file)
      .map((r) => ({
        seed: r.seed,
        mode: r.mode,
        outcome: r.outcome,
        violations: r.violations,
        expectationFailures: r.expectationFailures,
        ...(r.error !== undefined ? { error: r.error } : {}),
        metrics: r.metrics ?? null,
        logHash: r.logHash ?? null,
        ...(r.logFile !== undefined ? { logFile: r.logFile } : {}),
        durationMs: r.durationMs,
        reproduce: r.reproduce,
      })),
  })),
});

/** Writes both reports into `dir`; returns their paths. */
export const writeReports = (results: SuiteResults, dir: string): { junit: string; json: string } => {
  mkdirSync(dir, { recursive: true });
  const junit = join(dir, JUNIT_FILE);
  const json = join(dir, JSON_FILE);
  writeFileSync(junit, junitXml(results));
  writeFileSync(json, `${JSON.stringify(jsonReport(results), null, 2)}\n`);
  return { junit, json };
};
