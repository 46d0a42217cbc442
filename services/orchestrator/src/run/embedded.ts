import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Console, Effect } from "effect";
import { DeliveryFaults, EventLog, protocolTopicSpecs } from "@zk-testnet/event-log";
import { stateDir } from "@zk-testnet/kafka";
import { PinoLogging, makePino, type LogFormat } from "@zk-testnet/logging";
import { encodeNetwork, type NetworkConfig } from "@zk-testnet/network";
import { runAggregator } from "@zk-testnet/aggregator";
import { runL1Settlement } from "@zk-testnet/l1-settlement";
import { runProverPool } from "@zk-testnet/prover-pool";
import { runSequencer } from "@zk-testnet/sequencer";
import { runVrfBeacon } from "@zk-testnet/vrf-beacon";
import { networkFileOf } from "../commands/replay.ts";
import type { InvariantReport } from "@zk-testnet/testkit";
import { checkRun, replayHashes } from "./check.ts";
import { embeddedLogFor, injectFaults, makeServiceControl, type FaultStep, type ServiceStarter } from "./faults.ts";
import { awaitRunEnd, followRun } from "./monitor.ts";
import { summarize, type Summary } from "./report.ts";

export interface EmbeddedRun {
  readonly summary: Summary;
  readonly outcome: string;
  readonly invariants: InvariantReport;
}

/**
 * Starts the five services in this process over one embedded log, in the order they depend on
 * each other, each in a scope of its own so that a fault can stop and restart it.
 */
export const startServices = (network: NetworkConfig) =>
  Effect.gen(function* () {
    let beaconUrl = "";
    const starters = new Map<string, ServiceStarter>([
      ["l1-settlement", runL1Settlement(network)],
      ["aggregator", runAggregator(network)],
      ["prover-pool", runProverPool(network)],
      [
        "vrf-beacon",
        runVrfBeacon(network).pipe(
          // A restarted beacon serves its API again, on a new port when the configured one is 0.
          Effect.tap((b) => (beaconUrl !== "" && b.url !== beaconUrl ? Console.log(`beacon: ${b.url}`) : Effect.void)),
          Effect.tap((b) => Effect.sync(() => void (beaconUrl = b.url))),
          Effect.map((b) => b.handle),
        ),
      ],
      ["sequencer", runSequencer(network)],
    ] as [string, ServiceStarter][]);
    const services = yield* makeServiceControl(starters);
    yield* services.startAll;
    return { handles: services.handles, control: services.control, beaconUrl };
  });

/** `testnet up --mode embedded`: every service in this process over the embedded event log. */
export const runEmbedded = (network: NetworkConfig, logOut: string | undefined, logFormat: LogFormat = "json", faults: readonly FaultStep[] = []) =>
  Effect.gen(function* () {
    const runDir = join(stateDir(), "runs", `${new Date().toISOString().replace(/[:.]/g, "-")}-${network.seed}`);
    mkdirSync(runDir, { recursive: true });
    const logFile = join(runDir, "testnet.log");
    yield* Console.log(`service logs: ${logFile}`);
    return yield* runAll(network, logOut, faults).pipe(Effect.provide(PinoLogging.layer(makePino({ format: logFormat, file: logFile }), "testnet")));
  });

const runAll = (network: NetworkConfig, logOut: string | undefined, faults: readonly FaultStep[]) =>
  Effect.gen(function* () {
    const log = yield* EventLog;
    yield* log.createTopics(protocolTopicSpecs);
    const report = yield* followRun("orchestrator");
    const { beaconUrl, handles, control } = yield* startServices(network);
    yield* Console.log(`beacon: ${beaconUrl}`);
    const delivery = yield* Effect.serviceOption(DeliveryFaults);
    if (faults.length > 0) {
      yield* Effect.forkScoped(injectFaults(network, faults, { services: control, ...(delivery._tag === "Some" ? { delivery: delivery.value } : {}) }));
    }
    const outcome = yield* awaitRunEnd(network, report);
    const invariants = yield* checkRun(network, yield* replayHashes(network, handles() as never));
    if (logOut !== undefined) {
      writeFileSync(logOut, yield* log.exportJsonl());
      writeFileSync(networkFileOf(logOut), encodeNetwork(network));
      yield* Console.log(`event log: ${logOut}`);
    }
    return { summary: summarize(report), outcome, invariants } satisfies EmbeddedRun;
  }).pipe(
    Effect.scoped,
    Effect.provide(embeddedLogFor(network, faults)),
  );
