import { Console, Duration, Effect } from "effect";
import { EventLog, protocolCodec, type EventLogError } from "@zk-testnet/event-log";
import { slotStart, type NetworkConfig } from "@zk-testnet/network";
import { emptyReport, observe, type RunReport } from "./report.ts";

/** The topics whose events the progress lines and the summary are made of. */
export const MONITORED_TOPICS = ["l2.blocks", "proving.assignments", "proving.proofs", "l1.events", "testnet.faults"] as const;

/** Follows the run as its own consumer group, printing a line per notable event. */
export const followRun = (group: string, quiet = false) =>
  Effect.gen(function* () {
    const log = yield* EventLog;
    const report = emptyReport();
    yield* log.subscribe({
      group,
      topics: MONITORED_TOPICS,
      codec: protocolCodec,
      handler: (event) =>
        Effect.suspend(() => {
          const line = observe(report, event);
          return line === undefined || quiet ? Effect.void : Console.log(line);
        }),
    });
    return report;
  });

/** Every block settled: finalized, or reorged out (its transactions then come again in a new block). */
const allFinalized = (report: RunReport, slots: number): boolean =>
  report.blocks.size >= slots && [...report.blocks.values()].every((b) => b.finalizedAt !== undefined || b.reorgedAt !== undefined);

/**
 * Waits until every block the sequencer will propose is finalized, or until the last block's
 * proving window has passed (wall clock, or the virtual clock of a simulation).
 */
export const awaitRunEnd = (
  network: NetworkConfig,
  report: RunReport,
  isAlive: Effect.Effect<string | undefined> = Effect.succeed(undefined),
): Effect.Effect<"finalized" | "window-passed" | string, EventLogError> =>
  Effect.gen(function* () {
    const windowMs = network.params.provingWindowEpochs * network.params.epochSlots * network.params.slotMs;
    const deadline = slotStart(network, network.slots) + windowMs;
    while (true) {
      if (allFinalized(report, network.slots)) return "finalized";
      const died = yield* isAlive;
      if (died !== undefined) return died;
      const now = yield* Effect.clockWith((c) => c.currentTimeMillis);
      if (now > deadline) return "window-passed";
      yield* Effect.sleep(Duration.millis(200));
    }
  });
