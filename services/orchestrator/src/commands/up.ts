import { writeFileSync } from "node:fs";
import { Console, Effect, Either } from "effect";
import { DockerEngine } from "@zk-testnet/containers";
import { apiVersionsProbe } from "@zk-testnet/kafka";
import { encodeNetwork, makeNetwork, type NetworkConfig } from "@zk-testnet/network";
import { formatMetrics, formatReport, readJsonl, runMetrics } from "@zk-testnet/testkit";
import { UsageError, choiceFlag, intFlag, parseArgs } from "../args.ts";
import { runContainers } from "../run/containers.ts";
import { runEmbedded } from "../run/embedded.ts";
import { kafkaNodesFor, parseFaultSpec, type FaultStep } from "../run/faults.ts";
import { runProcesses } from "../run/processes.ts";
import { emptyReport, formatSummary, observe } from "../run/report.ts";
import { simulate } from "../run/simulate.ts";
import { networkFileOf } from "./replay.ts";

/** The run did not finalize every block it proposed; the summary says which. */
export class RunIncomplete extends Error {
  readonly _tag = "RunIncomplete";
}

/** How long before slot 0 the processes of a kafka-mode testnet are started. */
export const KAFKA_MODE_LEAD_MS = 15_000;

/** How long before slot 0 a containers-mode testnet starts: the broker's container (5 to 15 s), then the services' (20 s allowed). */
export const CONTAINERS_MODE_LEAD_MS = 35_000;

const FLAGS = {
  mode: "string",
  slots: "string",
  provers: "string",
  txs: "string",
  seed: "string",
  "slot-ms": "string",
  "log-out": "string",
  "log-format": "string",
  brokers: "string",
  "beacon-port": "string",
  "beacon-path": "string",
  faults: "string",
  sim: "boolean",
} as const;

/**
 * `up --mode sim`: the whole network under simulate's virtual clock, then the same lines, metrics
 * and invariant report as the other modes print; the outcome as `awaitRunEnd` names it.
 */
const runSimulated = (network: NetworkConfig, logOut: string | undefined, faults: readonly FaultStep[]) =>
  Effect.gen(function* () {
    const run = yield* simulate(network, faults);
    const progress = emptyReport();
    for (const event of run.events) {
      const line = observe(progress, event);
      if (line !== undefined) yield* Console.log(line);
    }
    const read = readJsonl(run.jsonl);
    if (Either.isRight(read)) yield* Console.log(`\n${formatMetrics(runMetrics(read.right.events, run.network))}`);
    yield* Console.log(`\n${formatReport(run.invariants)}`);
    if (logOut !== undefined) {
      writeFileSync(logOut, run.jsonl);
      writeFileSync(networkFileOf(logOut), encodeNetwork(run.network));
      yield* Console.log(`event log: ${logOut}`);
    }
    return { summary: run.summary, invariants: run.invariants, outcome: run.summary.unfinalized.length === 0 ? "finalized" : "window-passed" };
  });

/**
 * `testnet up [--mode embedded|kafka|sim|containers] [--sim] [--slots N] [--provers N] [--txs T] [--seed S]
 *  [--slot-ms MS] [--log-out FILE.jsonl] [--log-format json|pretty] [--brokers host:port,...]`
 */
export const upCommand = (argv: readonly string[]) =>
  Effect.gen(function* () {
    const parsed = parseArgs(argv, FLAGS);
    if (parsed instanceof UsageError) return yield* parsed;
    if (parsed.positionals.length > 0) return yield* new UsageError({ message: `unexpected argument ${parsed.positionals[0]}` });
    const f = parsed.flags;
    const chosen = choiceFlag(f, "mode", ["embedded", "kafka", "sim", "containers"] as const, f["sim"] === true ? "sim" : "embedded");
    if (f["sim"] === true && chosen !== "sim") return yield* new UsageError({ message: `--sim and --mode ${String(f["mode"])} exclude each other` });
    const mode = chosen;
    const slots = intFlag(f, "slots", 10, 1, 100_000);
    const provers = intFlag(f, "provers", 8, 1, 100_000);
    const txs = intFlag(f, "txs", 8, 1, 4_096);
    const slotMs = intFlag(f, "slot-ms", 2_000, 1_000, 600_000);
    const beaconPort = intFlag(f, "beacon-port", 0, 0, 65_535);
    const logFormat = choiceFlag(f, "log-format", ["json", "pretty"] as const, "json");
    for (const v of [mode, slots, provers, txs, slotMs, beaconPort, logFormat]) if (v instanceof UsageError) return yield* v;
    if ((slotMs as number) % 1_000 !== 0) return yield* new UsageError({ message: "--slot-ms must be a multiple of 1000 (the beacon's drand API counts whole seconds)" });
    if (mode === "sim" && (f["beacon-port"] !== undefined || f["beacon-path"] !== undefined)) {
      return yield* new UsageError({ message: "a simulation serves no beacon API: --beacon-port and --beacon-path need --mode embedded or kafka" });
    }
    const brokersFlag = f["brokers"];
    if (brokersFlag !== undefined && mode !== "kafka") return yield* new UsageError({ message: "--brokers needs --mode kafka" });
    const brokers = typeof brokersFlag === "string" ? brokersFlag.split(",") : undefined;
    if (brokers !== undefined && brokers.some((b) => !/^[\w.-]+:\d{1,5}$/.test(b))) {
      return yield* new UsageError({ message: `--brokers must be host:port[,host:port...], got ${String(brokersFlag)}` });
    }
    if (brokers !== undefined) {
      const answers = yield* Effect.forEach(brokers, (b) => {
        const [host, port] = b.split(":");
        return Effect.promise(() => apiVersionsProbe(host!, Number(port), 3_000));
      });
      if (!answers.some(Boolean)) return yield* new UsageError({ message: `no Kafka broker answers at ${brokers.join(",")}` });
    }
    const seed = typeof f["seed"] === "string" ? f["seed"] : "zk-testnet";
    const logOut = typeof f["log-out"] === "string" ? f["log-out"] : undefined;
    const basePath = typeof f["beacon-path"] === "string" ? f["beacon-path"] : "";

    // Slot 0 starts at a whole second after every service is up and the provers are registered
    // (the eligible set of epoch 0 is the provers registered by its start): one slot in one
    // process; in kafka mode five Node processes start and join their groups first (about 8 s
    // on 2 cores), so at least KAFKA_MODE_LEAD_MS.
    // A simulation's clock starts at 0: two slots for the services to start and the provers to register.
    const now = mode === "sim" ? 0 : yield* Effect.clockWith((c) => c.currentTimeMillis);
    const lead =
      mode === "kafka"
        ? Math.max(KAFKA_MODE_LEAD_MS, slotMs as number)
        : mode === "containers"
          ? Math.max(CONTAINERS_MODE_LEAD_MS, slotMs as number)
          : mode === "sim"
            ? 2 * (slotMs as number)
            : (slotMs as number);
    const port = beaconPort as number;
    const network = makeNetwork({
      seed,
      genesisMs: Math.ceil((now + lead) / 1_000) * 1_000,
      slots: slots as number,
      provers: provers as number,
      txPerBlock: txs as number,
      slotMs: slotMs as number,
      beacon: { port, basePath },
    });
    if (Either.isLeft(network)) return yield* new UsageError({ message: network.left.message });
    const faults = typeof f["faults"] === "string" ? parseFaultSpec(f["faults"], network.right) : [];
    if (typeof faults === "string") return yield* new UsageError({ message: `--faults: ${faults}` });

    yield* Console.log(`testnet: ${mode} mode, ${provers} provers, ${slots} blocks of ${txs} txs, slot ${slotMs} ms, seed ${seed}`);
    const result =
      mode === "embedded"
        ? yield* runEmbedded(network.right, logOut, logFormat as "json" | "pretty", faults)
        : mode === "sim"
          ? yield* runSimulated(network.right, logOut, faults)
          : mode === "containers"
            ? yield* runContainers(network.right, { logOut, logFormat: logFormat as string, faults, kafkaNodes: kafkaNodesFor(faults) }).pipe(Effect.provide(DockerEngine.layer))
            : yield* runProcesses(network.right, { brokers, logOut, logFormat: logFormat as string, faults, kafkaNodes: kafkaNodesFor(faults) });
    yield* Console.log(`\n${formatSummary(result.summary)}`);
    if (!result.invariants.ok) {
      return yield* Effect.fail(new RunIncomplete(`invariant violations (${result.invariants.violations.length}): see the report above`));
    }
    if (result.outcome !== "finalized" || result.summary.unfinalized.length > 0) {
      return yield* Effect.fail(new RunIncomplete(`not every block was finalized (${result.outcome})`));
    }
  });
