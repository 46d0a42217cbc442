import { Duration, Effect } from "effect";
import type { NetworkConfig } from "@zk-testnet/network";
import type { RunReport } from "./report.ts";

/**
 * Waits (polling the run's report) until every prover is registered. Returns why not when
 * `died` names a process or container that went down first, or when slot 0 comes first
 * (`what` started too slowly: "processes", "containers").
 */
export const awaitRegistrations = (network: NetworkConfig, report: RunReport, died: Effect.Effect<string | undefined>, what: string) =>
  Effect.gen(function* () {
    while (report.registered < network.provers.length) {
      const dead = yield* died;
      if (dead !== undefined) return dead;
      const now = yield* Effect.clockWith((c) => c.currentTimeMillis);
      if (now >= network.genesisMs) {
        return `only ${report.registered} of ${network.provers.length} provers were registered by slot 0: the ${what} took longer than the lead before genesis to start`;
      }
      yield* Effect.sleep(Duration.millis(50));
    }
    return undefined;
  });
