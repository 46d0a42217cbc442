import { Effect, Either, Logger, LogLevel, Option, Scheduler, TestClock, TestContext } from "effect";
import { runService, type ServiceHandle } from "@zk-testnet/actors";
import { SIM_BEACON_SCHEME_ID } from "@zk-testnet/crypto";
import { DeliveryFaults, EventLog, protocolCodec, protocolTopicSpecs, type EventLogError, type SubscriptionStats } from "@zk-testnet/event-log";
import { slotStart, type NetworkConfig } from "@zk-testnet/network";
import type { ProtocolEvent } from "@zk-testnet/protocol";
import type { AnyStateMachine } from "xstate";
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
  /** The network as it ran: its beacon's scheme named (see `simulatedNetwork`). Check or replay the log with this one. */
  readonly network: NetworkConfig;
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

/**
 * Effect's default scheduler, task for task, but its hand-off to the event loop every 2048
 * ticks goes through setImmediate instead of setTimeout's 1 ms floor, which idled most of a
 * run's wall time; nothing else is on the event loop, so the order of tasks is the same.
 */
const simScheduler: Scheduler.Scheduler = (() => {
  const runnerOf = Scheduler.SchedulerRunner.cached((depth, drain) => {
    if (depth >= 2048) setImmediate(() => drain(0));
    else void Promise.resolve(undefined).then(() => drain(depth + 1));
  });
  return {
    shouldYield: (fiber) => Scheduler.defaultScheduler.shouldYield(fiber),
    scheduleTask: (task, priority, fiber) => runnerOf(fiber).scheduleTask(task, priority),
  };
})();

/**
 * What TestClock waits on (three times per timer it fires) for every fiber to run until it
 * suspends: one event-loop turn. Its own is a setTimeout of 0, floored at 1 ms; this is the
 * same turn in the same first-in-first-out order as the scheduler's hand-off above.
 */
const yieldTurn: Effect.Effect<void> = Effect.async((resume) => {
  const turn = setImmediate(() => resume(Effect.void));
  return Effect.sync(() => clearImmediate(turn));
});

/**
 * The network as a simulation runs it: its beacon signs in the simulated scheme (Ed25519, see
 * libs/crypto) unless the network names a scheme. drand's BLS costs ~30 ms of pairing and
 * signing a round, more than the rest of a block; a simulation needs rounds that verify, not
 * rounds a drand client verifies (it serves no drand API).
 */
export const simulatedNetwork = (network: NetworkConfig): NetworkConfig =>
  network.beacon.scheme !== undefined ? network : { ...network, beacon: { ...network.beacon, scheme: SIM_BEACON_SCHEME_ID } };

/** The five services as runService runs them here, in the order they depend on each other. */
const simServices = (network: NetworkConfig): ReadonlyMap<string, ServiceStarter> =>
  new Map(
    [l1Settlement, aggregator, proverPool, vrfBeacon, sequencer].map((def) => {
      const definition = def(network);
      return [definition.name, runService(definition as never) as ServiceStarter] as const;
    }),
  );

/** The six invariants on a run's log, with each running service's live state against its replay. */
const checkInvariants = (network: NetworkConfig, jsonl: string, handles: readonly ServiceHandle<AnyStateMachine>[]) =>
  Effect.gen(function* () {
    // A service still down at the end has no live state to compare.
    const replayed = yield* replayHashes(network, handles);
    // Beacon rounds the aggregator verified are remembered (libs/crypto): the checker does not verify them again.
    const invariants = checkJsonl(jsonl, network, { replayCheck: () => replayed });
    if (Either.isLeft(invariants)) return yield* Effect.die(invariants.left);
    return invariants.right;
  });

/** A simulation whose log `check` judges before the services stop. */
const simulation = <I>(
  network: NetworkConfig,
  faults: readonly FaultStep[],
  check: (jsonl: string, handles: readonly ServiceHandle<AnyStateMachine>[]) => Effect.Effect<I, EventLogError, EventLog>,
) =>
  Effect.gen(function* () {
    // This run's own TestClock (TestContext below) waits on yieldTurn, not on setTimeout.
    yield* TestClock.testClockWith((clock) => Effect.sync(() => void Object.assign(clock, { yieldTimer: yieldTurn })));
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
    const invariants = yield* check(jsonl, services.handles() as readonly ServiceHandle<AnyStateMachine>[]);
    const deliveries: Record<string, SubscriptionStats> = {};
    for (const handle of services.handles()) deliveries[handle.name] = yield* handle.subscription.stats;
    return {
      network,
      summary: summarize(report),
      events,
      jsonl,
      endTime: yield* TestClock.currentTimeMillis,
      invariants,
      deliveries,
    } satisfies Omit<SimulationResult, "invariants"> & { readonly invariants: I };
  }).pipe(
    Effect.scoped,
    Effect.provide(embeddedLogFor(network, faults)),
    Effect.provide(TestContext.TestContext),
    // A simulation speaks through its log and its report.
    Logger.withMinimumLogLevel(LogLevel.Error),
    Effect.withScheduler(simScheduler),
  );

/**
 * The whole network in this fiber's runtime over an embedded log, driven by TestClock: time
 * moves only when every service is idle, a quarter slot at a time, until the last block's
 * proving window has passed. Each run has a clock of its own starting at 0, so a run depends
 * only on its network and faults. No HTTP server (the beacon's API is the service's), and the
 * beacon signs in the simulated scheme unless the network names one (`simulatedNetwork`; the
 * result's `network` is the one to check or replay its log with). Every fault kind has its
 * back end here: services crash and restart, delivery faults wrap the log.
 */
export const simulate = (network: NetworkConfig, faults: readonly FaultStep[] = []) => {
  const simulated = simulatedNetwork(network);
  return simulation(simulated, faults, (jsonl, handles) => checkInvariants(simulated, jsonl, handles));
};

/** `simulate` without the invariant check and the replay of every service: the same run and log, for benchmarks. */
export const simulateUnchecked = (network: NetworkConfig, faults: readonly FaultStep[] = []) =>
  Effect.map(
    simulation(simulatedNetwork(network), faults, () => Effect.void),
    ({ invariants: _, ...run }) => run,
  );
