import { join } from "node:path";
import { describe, expect, it } from "@effect/vitest";
import { Effect } from "effect";
import { failedRunsExplained, loadCatalogue, runSuite } from "@zk-testnet/orchestrator/scenario";

// Every scenario of e2e/scenarios in simulation, over ZKT_SCENARIO_SEEDS seeds (default: each
// scenario's own, 20 unless it says otherwise). Writes reports/scenarios/junit.xml and report.json.
const SEEDS = process.env["ZKT_SCENARIO_SEEDS"] === undefined ? undefined : Number(process.env["ZKT_SCENARIO_SEEDS"]);
const REPORT_DIR = join(import.meta.dirname, "..", "..", "reports", "scenarios");

describe("scenario suite (simulation)", () => {
  it.effect(
    `every scenario passes its invariants and expectations over ${SEEDS ?? "its"} seeds`,
    () =>
      Effect.gen(function* () {
        // A scenario that needs brokers (kafka-broker-killed) has no sim mode.
        const scenarios = (yield* loadCatalogue()).filter((s) => s.modes.includes("sim"));
        expect(scenarios.length).toBeGreaterThan(0);
        const report = yield* runSuite(scenarios, { mode: "sim", reportDir: REPORT_DIR, ...(SEEDS !== undefined ? { seeds: SEEDS } : {}) });
        expect(failedRunsExplained(report.runs), `see ${report.files.junit}`).toEqual([]);
        expect(report.totals.passed).toBe(scenarios.reduce((n, s) => n + (SEEDS ?? s.seeds), 0));
      }),
    600_000,
  );
});
