import { join } from "node:path";
import { describe, expect, it } from "@effect/vitest";
import { Effect } from "effect";
import { failedRunsExplained, loadCatalogue, runSuite } from "@zk-testnet/orchestrator/scenario";

// Scenarios in containers mode, once each (seed 1): Kafka (one broker, or a 3-node cluster for
// broker faults) and every service in its own container on one Docker network, from images built
// here; faults through Docker: a service's container killed and started again, a broker's
// container killed and started on its data, a prover's container taken off the network and put
// back. The engine is the one the test run's global setup started (DOCKER_HOST). By default the
// starred scenarios of the fault suites: a prover crash during a leaf, an aggregator crash and
// replay, a broker killed and restarted, a prover partitioned from the brokers; and duplicated
// and reordered delivery (every service container's consumers follow the delivery faults).
// ZKT_CONTAINER_SCENARIOS=all runs every scenario with a containers mode (slow-network, for
// one, through a Toxiproxy container), or a comma-separated list.
const DEFAULT = ["prover-crash-during-leaf", "aggregator-crash-replay", "kafka-broker-killed", "prover-partitioned", "duplicated-reordered-delivery"];
const chosen = process.env["ZKT_CONTAINER_SCENARIOS"];
const REPORT_DIR = join(import.meta.dirname, "..", "..", "reports", "scenarios-containers");

describe("scenario suite (containers mode)", () => {
  it.live(
    `every chosen scenario passes its invariants and expectations once in containers (${chosen ?? DEFAULT.join(", ")})`,
    () =>
      Effect.gen(function* () {
        const all = (yield* loadCatalogue()).filter((s) => s.modes.includes("containers"));
        const names = chosen === "all" ? all.map((s) => s.name) : (chosen?.split(",") ?? DEFAULT);
        const scenarios = all.filter((s) => names.includes(s.name));
        expect(scenarios.map((s) => s.name).sort()).toEqual([...names].sort());
        const report = yield* runSuite(scenarios, { mode: "containers", seed: "1", reportDir: REPORT_DIR });
        expect(failedRunsExplained(report.runs), `see ${report.files.junit}`).toEqual([]);
        expect(report.totals.passed).toBe(scenarios.length);
      }),
    1_200_000,
  );
});
