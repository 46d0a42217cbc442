import { join } from "node:path";
import { describe, expect, it } from "@effect/vitest";
import { Effect } from "effect";
import { failedRunsExplained, loadCatalogue, runSuite } from "@zk-testnet/orchestrator/scenario";

// Scenarios in kafka mode, once each (seed 1): a real broker (or a 3-node cluster for broker
// faults) and one process per service. ZKT_KAFKA_SCENARIOS=all runs every scenario that lists
// kafka among its modes (about a minute each); by default, the ones below, which cover each
// kafka back end: a service SIGKILLed and restarted (its replay and catch-up), raw records, a
// fault event a service applies, a broker of the 3-node cluster killed and restarted, and a
// prover cut off from the brokers through Toxiproxy. (Prover profiles go through Kafka in the
// containers suite, and a prover-pool process SIGKILLed in processes.e2e.)
const DEFAULT = ["aggregator-crash-replay", "malformed-records", "aggregator-griefing", "kafka-broker-killed", "prover-partitioned"];
const chosen = process.env["ZKT_KAFKA_SCENARIOS"];
const REPORT_DIR = join(import.meta.dirname, "..", "..", "reports", "scenarios-kafka");

describe("scenario suite (kafka mode)", () => {
  it.live(
    `every chosen scenario passes its invariants and expectations once over Kafka (${chosen ?? DEFAULT.join(", ")})`,
    () =>
      Effect.gen(function* () {
        const all = (yield* loadCatalogue()).filter((s) => s.modes.includes("kafka"));
        const names = chosen === "all" ? all.map((s) => s.name) : (chosen?.split(",") ?? DEFAULT);
        const scenarios = all.filter((s) => names.includes(s.name));
        expect(scenarios.map((s) => s.name).sort()).toEqual([...names].sort());
        const report = yield* runSuite(scenarios, { mode: "kafka", seed: "1", reportDir: REPORT_DIR });
        expect(failedRunsExplained(report.runs), `see ${report.files.junit}`).toEqual([]);
        expect(report.totals.passed).toBe(scenarios.length);
      }),
    1_200_000,
  );
});
