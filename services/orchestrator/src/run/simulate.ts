import { Effect, Either, Layer, Logger, LogLevel, TestClock, TestContext } from "effect";
import { runService } from "@zk-testnet/actors";
import { EmbeddedEventLog, EventLog, protocolCodec, protocolTopicSpecs } from "@zk-testnet/event-log";
import { slotStart, type NetworkConfig } from "@zk-testnet/network";
import type { ProtocolEvent } from "@zk-testnet/protocol";
import { definition as aggregator } from "@zk-testnet/aggregator";
import { definition as l1Settlement } from "@zk-testnet/l1-settlement";
import { definition as proverPool } from "@zk-testnet/prover-pool";
import { definition as sequencer } from "@zk-testnet/sequencer";
import { definition as vrfBeacon } from "@zk-testnet/vrf-beacon";
import { checkJsonl, type InvariantReport } from "@zk-testnet/testkit";
import { replayHashes } from "./check.ts";
import { injectFaults, type FaultStep } from "./faults.ts";
import { MONITORED_TOPICS } from "./monitor.ts";
import { emptyReport, observe, summarize, type Summary } from "./report.ts";

export interface SimulationResult {
  readonly summary: Summary;
  /** Every protocol event of the run, in log order across topics (time, then topic, offset). */
  readonly events: readonly ProtocolEvent[];
  readonly jsonl: string;
  readonly endTime: number;
  /** The six invariants checked on the log, replay of every service included. */
  readonly invariants: InvariantReport;
}

/** Lets every fiber that can run, run (the embedded log and the hosts use no timers of their own). */
const settle = Effect.repeatN(Effect.yieldNow(), 200);

/**
 * The whole network in this fiber's runtime over an embedded log, driven by TestClock: time
 * moves only when every service is idle, a quarter slot at a time, until the last block's
 * proving window has passed. Each run has a clock of its own starting at 0, so a run depends
 * only on its network and faults. No HTTP server (the beacon's API is the service's).
 */
export const simulate = (network: NetworkConfig, faults: readonly FaultStep[] = []) =>
  Effect.gen(function* () {
    const log = yield* EventLog;
    yield* log.createTopics(protocolTopicSpecs);
    const services = [l1Settlement, aggregator, proverPool, vrfBeacon, sequencer];
    const handles = [];
    for (const def of services) handles.push(yield* runService(def(network) as never));
    if (faults.length > 0) yield* Effect.forkScoped(injectFaults(network, faults));
    const windowMs = network.params.provingWindowEpochs * network.params.epochSlots * network.params.slotMs;
    const end = slotStart(network, network.slots) + windowMs + network.params.slotMs;
    const step = Math.max(1, Math.floor(network.params.slotMs / 4));
    for (let now = yield* TestClock.currentTimeMillis; now < end; now = yield* TestClock.currentTimeMillis) {
      yield* settle;
      yield* TestClock.adjust(step);
    }
    yield* settle;
    const events: ProtocolEvent[] = [];
    for (const topic of MONITORED_TOPICS) {
      for (const r of yield* log.read(topic)) {
        const d = protocolCodec.decode(r.value);
        if (d._tag === "Right") events.push(d.right);
      }
    }
    events.sort((a, b) => a.time - b.time);
    const report = emptyReport();
    for (const e of events) observe(report, e);
    const jsonl = yield* log.exportJsonl();
    const replayed = yield* replayHashes(network, handles as never);
    const invariants = checkJsonl(jsonl, network, { replayCheck: () => replayed });
    if (Either.isLeft(invariants)) return yield* Effect.die(invariants.left);
    return { summary: summarize(report), events, jsonl, endTime: yield* TestClock.currentTimeMillis, invariants: invariants.right } satisfies SimulationResult;
  }).pipe(
    Effect.scoped,
    Effect.provide(Layer.fresh(EmbeddedEventLog.layer())),
    Effect.provide(TestContext.TestContext),
    // A simulation speaks through its log and its report.
    Logger.withMinimumLogLevel(LogLevel.Error),
  );
