import { Effect } from "effect";
import { onTestFailed } from "vitest";
import type { KafkaClusterApi } from "./cluster.ts";

/** Registers a hook that prints the tail of every broker's log when the current test fails. */
export const printBrokerLogsOnFailure = (cluster: KafkaClusterApi, lines = 60): Effect.Effect<void> =>
  Effect.sync(() =>
    onTestFailed(async () => {
      for (const node of cluster.layout.nodes) {
        const text = await Effect.runPromise(cluster.logTail(node.id, lines));
        console.error(`--- broker ${node.id} (${node.logFile}), last ${lines} lines ---\n${text}`);
      }
    }),
  );
