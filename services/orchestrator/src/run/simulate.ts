import { Effect, Either, Logger, LogLevel, Option, TestClock, TestContext } from "effect";
import { runService } from "@zk-testnet/actors";
import { DeliveryFaults, EventLog, protocolCodec, protocolTopicSpecs, type SubscriptionStats } from "@zk-testnet/event-log";
import { slotStart, type NetworkConfig } from "@zk-testnet/network";
import type { ProtocolEvent } from "@zk-testnet/protocol";
import { definition as aggregator } from "@zk-testnet/aggregator";
import { definition as l1Settlement } from "@zk-testnet/l1-settlement";
import { definition as proverPool } from "@zk-testnet/prover-pool";
import { definition as sequencer } from "@zk-testnet/sequencer";
import { definition as vrfBeacon } from "@zk-testnet/vrf-beacon";
import { checkJsonl, type InvariantReport } from "@zk-testnet/testkit";
import { replayHashes } from "./check.ts";
import { embeddedLogFor, injectFaults, makeServiceControl, type FaultStep, type ServiceStarter } from "./faults.ts";
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
  /** What each service running at the end got from its subscription since it last started (duplicates dropped, dead letters). */
  readonly deliveries: Readonly<Record<string, SubscriptionStats>>;
}

/** Lets every fiber that can run, run (the embedded log and the hosts use no timers of their own). */
const settle = Effect.repeatN(Effect.yieldNow(), 200);

/** The five services as runService runs them here, in the order they depend on each other. */
const simServices = (network: NetworkConfig): ReadonlyMap<string, ServiceStarter> =>
  new Map(
    [l1Settlement, aggregator, proverPool, vrfBeacon, sequencer].map((def) => {
      const definition = def(network);
      return [definition.name, runService(definition as never) as ServiceStarter] as const;
    }),
  );

/**
 * The whole network in this fiber's runtime over an embedded log, driven by TestClock: time
 * moves only when every service is idle, a quarter slot at a time, until the last block's
 * proving window has passed. Each run has a clock of its own starting at 0, so a run depends
 * only on its network and faults. No HTTP server (the beacon's API is the service's). Every
 * fault kind has its back end here: services crash and restart, delivery faults wrap the log.
 */
export const simulate = (network: NetworkConfig, faults: readonly FaultStep[] = []) =>
  Effect.gen(function* () {
    const log = yield* EventLog;
    yield* log.createTopics(protocolTopicSpecs);
    const services = yield* makeServiceControl(simServices(network));
    yield* services.startAll;
    const delivery = yield* Effect.serviceOption(DeliveryFaults);
    if (faults.length > 0) {
      yield* Effect.forkScoped(injectFaults(network, faults, { services: services.control, ...(Option.isSome(delivery) ? { delivery: delivery.value } : {}) }));
    }
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
    // A service still down at the end has no live state to compare.
    const replayed = yield* replayHashes(network, services.handles() as never);
    const invariants = checkJsonl(jsonl, network, { replayCheck: () => replayed });
    if (Either.isLeft(invariants)) return yield* Effect.die(invariants.left);
    const deliveries: Record<string, SubscriptionStats> = {};
    for (const handle of services.handles()) deliveries[handle.name] = yield* handle.subscription.stats;
    return {
      summary: summarize(report),
      events,
      jsonl,
      endTime: yield* TestClock.currentTimeMillis,
      invariants: invariants.right,
      deliveries,
    } satisfies SimulationResult;
  }).pipe(
    Effect.scoped,
    Effect.provide(embeddedLogFor(network, faults)),
    Effect.provide(TestContext.TestContext),
    // A simulation speaks through its log and its report.
    Logger.withMinimumLogLevel(LogLevel.Error),
  );
