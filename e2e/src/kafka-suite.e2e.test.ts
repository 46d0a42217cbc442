import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest";
import { Effect } from "effect";
import { failedRunsExplained, loadCatalogue, runSuite, type SuiteReport } from "@zk-testnet/orchestrator/scenario";

// Every scenario that lists kafka among its modes, once (seed 1): each run with a broker of its
// own (a 3-node cluster for broker faults) and one process per service, two runs at a time
// (they mostly wait on the wall clock: a run is about 30 s of brokers and processes starting and
// a few seconds of slots). One test per scenario, so the report counts them one by one.
// ZKT_KAFKA_SCENARIOS picks some (comma-separated); ZKT_KAFKA_JOBS sets how many run at once.
const chosen = process.env["ZKT_KAFKA_SCENARIOS"]?.split(",");
const jobs = Number(process.env["ZKT_KAFKA_JOBS"] ?? 2);
const REPORT_DIR = join(import.meta.dirname, "..", "..", "reports", "scenarios-kafka");

const catalogue = (await Effect.runPromise(loadCatalogue())).filter((s) => s.modes.includes("kafka"));
const scenarios = chosen === undefined ? catalogue : catalogue.filter((s) => chosen.includes(s.name));

let report: SuiteReport | undefined;

describe("scenario suite (kafka mode)", () => {
  beforeAll(async () => {
    report = await Effect.runPromise(runSuite(scenarios, { mode: "kafka", seed: "1", reportDir: REPORT_DIR, jobs }));
  }, 1_800_000);

  afterAll(() => {
    if (report !== undefined) console.log(`kafka suite: ${report.totals.passed} of ${scenarios.length} passed in ${(report.durationMs / 1000).toFixed(0)} s; reports ${report.files.junit}`);
  });

  it("runs the scenarios asked for, and at least every starred one of the fault suites", () => {
    if (chosen !== undefined) expect(scenarios.map((s) => s.name).sort()).toEqual([...chosen].sort());
    else for (const starred of ["prover-crash-during-leaf", "aggregator-crash-replay", "kafka-broker-killed", "prover-partitioned"]) expect(scenarios.map((s) => s.name)).toContain(starred);
  });

  it.each(scenarios.map((s) => s.name))("%s passes its invariants and expectations over Kafka", (name) => {
    const run = report?.runs.find((r) => r.scenario === name);
    expect(run, "the suite ran it").toBeDefined();
    expect(failedRunsExplained([run!]), `see ${report?.files.junit}`).toEqual([]);
    expect(run!.outcome).toBe("passed");
  });
});
