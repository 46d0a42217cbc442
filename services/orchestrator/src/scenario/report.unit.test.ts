import { describe, expect, it } from "@effect/vitest";
import { Either } from "effect";
import { parseScenario } from "./load.ts";
import { failedRunsExplained, jsonReport, junitXml, type SuiteResults } from "./report.ts";
import type { ScenarioRun } from "./run.ts";
import { totalsOf } from "./suite.ts";

const scenario = Either.getOrThrow(
  parseScenario("name: tiny\ndescription: two provers\nnetwork: { provers: 2, slotMs: 1000 }\nslots: 1\nmodes: [sim, embedded]\n", "e2e/scenarios/tiny.yaml", "tiny"),
);

const base = { scenario: "tiny", file: "e2e/scenarios/tiny.yaml", mode: "sim", violations: [], expectationFailures: [], durationMs: 1_250 } as const;
const runs: ScenarioRun[] = [
  { ...base, seed: "1", outcome: "passed", logHash: "ab".repeat(32), reproduce: "./testnet scenario run tiny --seed 1 --mode sim" },
  {
    ...base,
    seed: "2",
    outcome: "failed",
    violations: [{ invariant: 3, rule: "honest-slashed", message: `prover-1 was slashed <"honest"> & \u0007`, events: ["e1", "e2"] }],
    expectationFailures: ["expect.takeovers: 0 takeovers, expected at least 1"],
    logHash: "cd".repeat(32),
    logFile: "reports/scenarios/logs/tiny-seed-2-sim.jsonl",
    reproduce: "./testnet scenario run tiny --seed 2 --mode sim",
  },
  { ...base, seed: "3", outcome: "error", error: "the broker did not start", reproduce: "./testnet scenario run tiny --seed 3 --mode sim" },
];
const results: SuiteResults = { mode: "sim", startedAt: "2026-01-02T03:04:05.678Z", durationMs: 4_000, scenarios: [scenario], runs, totals: totalsOf(runs) };

describe("suite reports", () => {
  it("JUnit XML: one testcase per scenario, seed and mode; a failure names what broke and how to reproduce it", () => {
    const xml = junitXml(results);
    expect(xml).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<testsuites name="zk-testnet scenarios" tests="3" failures="1" errors="1" skipped="0" time="4.000">/);
    expect(xml).toContain(`<testsuite name="tiny (sim)" tests="3" failures="1" errors="1" skipped="0" time="3.750" timestamp="2026-01-02T03:04:05">`);
    expect(xml).toContain(`<testcase classname="scenarios.sim.tiny" name="tiny seed 1 (sim)" file="e2e/scenarios/tiny.yaml" time="1.250"/>`);
    expect(xml).toContain(
      `<failure message="invariant 3 [honest-slashed]: prover-1 was slashed &lt;&quot;honest&quot;&gt; &amp; ? (events e1, e2) (and 1 more); reproduce: ./testnet scenario run tiny --seed 2 --mode sim" type="ScenarioFailed">`,
    );
    expect(xml).toContain("expect.takeovers: 0 takeovers, expected at least 1\nreproduce: ./testnet scenario run tiny --seed 2 --mode sim\nlog: reports/scenarios/logs/tiny-seed-2-sim.jsonl</failure>");
    expect(xml).toContain(`<error message="error: the broker did not start; reproduce: ./testnet scenario run tiny --seed 3 --mode sim" type="RunError">`);
    expect(xml).not.toContain("\u0007");
  });

  it("explains each failed or erred run in lines a test failure prints, with its reproduce command", () => {
    expect(failedRunsExplained(runs)).toEqual([
      [
        "tiny seed 2:",
        `  invariant 3 [honest-slashed]: prover-1 was slashed <"honest"> & \u0007 (events e1, e2)`,
        "  expect.takeovers: 0 takeovers, expected at least 1",
        "  reproduce: ./testnet scenario run tiny --seed 2 --mode sim",
      ].join("\n"),
      ["tiny seed 3:", "  error: the broker did not start", "  reproduce: ./testnet scenario run tiny --seed 3 --mode sim"].join("\n"),
    ]);
    expect(failedRunsExplained(runs.slice(0, 1))).toEqual([]);
  });

  it("JSON: per scenario, every run with its outcome, violations, expectation failures, metrics and log hash", () => {
    const json = jsonReport(results);
    expect(json.totals).toEqual({ passed: 1, failed: 1, errors: 1, skipped: 0 });
    expect(json.scenarios).toHaveLength(1);
    expect(json.scenarios[0]).toMatchObject({ name: "tiny", file: "e2e/scenarios/tiny.yaml", modes: ["sim", "embedded"] });
    expect(json.scenarios[0]?.runs.map((r) => [r.seed, r.outcome, r.logHash?.slice(0, 2) ?? null])).toEqual([
      ["1", "passed", "ab"],
      ["2", "failed", "cd"],
      ["3", "error", null],
    ]);
    expect(json.scenarios[0]?.runs[1]).toMatchObject({ expectationFailures: ["expect.takeovers: 0 takeovers, expected at least 1"], logFile: "reports/scenarios/logs/tiny-seed-2-sim.jsonl" });
    expect(JSON.parse(JSON.stringify(json))).toEqual(json);
  });
});
