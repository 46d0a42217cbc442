import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, openSync, closeSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Console, Context, Data, Duration, Effect, ExecutionStrategy, Layer, Scope } from "effect";
import { appendEvents, EventLog, KafkaEventLog, protocolTopicSpecs, type EventLogApi } from "@zk-testnet/event-log";
import { makeEvent, type Slot } from "@zk-testnet/protocol";
import { freeTcpPort, KafkaCluster, repoRoot, stateDir } from "@zk-testnet/kafka";
import { encodeNetwork, type NetworkConfig } from "@zk-testnet/network";
import { networkFileOf } from "../commands/replay.ts";
import { checkRun } from "./check.ts";
import { deliveryFaultsEnv, injectFaults, type FaultBackends, type FaultStep } from "./faults.ts";
import { awaitRunEnd, followRun } from "./monitor.ts";
import { isolatedShardOf, networkTargets, proxyProcesses } from "./network-faults.ts";
import { awaitRegistrations } from "./registrations.ts";
import { summarize, type RunReport } from "./report.ts";

/** The five services, in the order they start. */
export const SERVICES = ["l1-settlement", "aggregator", "prover-pool", "vrf-beacon", "sequencer"] as const;
export type ServiceName = (typeof SERVICES)[number];

export interface ServiceProcess {
  /** The process's name: a service, or a shard of the prover pool (`prover-pool-2`). */
  readonly name: string;
  readonly child: ChildProcess;
  readonly logFile: string;
  exit?: string;
}

const stopChild = (p: ServiceProcess) =>
  Effect.gen(function* () {
    if (p.child.exitCode !== null || p.child.signalCode !== null) return;
    p.child.kill("SIGTERM");
    const exited = yield* Effect.async<boolean>((resume) => {
      if (p.child.exitCode !== null || p.child.signalCode !== null) return resume(Effect.succeed(true));
      p.child.once("exit", () => resume(Effect.succeed(true)));
    }).pipe(Effect.timeout(Duration.seconds(10)), Effect.orElseSucceed(() => false));
    if (!exited) p.child.kill("SIGKILL");
  });

/** Starts one service as its own Node process, logging to its own file; stopped with the scope. */
export const startServiceProcess = (name: string, env: Record<string, string>, runDir: string, service: ServiceName = name as ServiceName) =>
  Effect.acquireRelease(
    Effect.sync(() => {
      const logFile = join(runDir, `${name}.log`);
      const out = openSync(join(runDir, `${name}.stdout`), "a");
      const child = spawn(process.execPath, [join(repoRoot, "services", service, "src/main.ts")], {
        // Node's compile cache: a service process starts on ~40% less CPU once one has run.
        env: { NODE_COMPILE_CACHE: join(stateDir(), "node-compile-cache"), ...process.env, ...env, ZKT_LOG_FILE: logFile },
        stdio: ["ignore", out, out],
      });
      closeSync(out);
      const handle: ServiceProcess = { name, child, logFile };
      child.once("exit", (code, signal) => {
        handle.exit = signal !== null ? `killed by ${signal}` : `exited with ${code}`;
      });
      return handle;
    }),
    stopChild,
  );

/**
 * `testnet up --mode kafka`: a Kafka broker (unless brokers are given), the catalogue's topics,
 * and each service as its own process. Everything it started stops with it, Ctrl-C included.
 */
/** Appends FaultInjected { crash } for each prover of a killed process, at the current slot. */
const recordCrash = (log: EventLogApi, network: NetworkConfig, provers: readonly string[], kill: number) =>
  Effect.gen(function* () {
    const now = yield* Effect.clockWith((c) => c.currentTimeMillis);
    const slot = Math.max(0, Math.floor((now - network.genesisMs) / network.params.slotMs));
    const events = [];
    for (const [i, target] of provers.entries()) {
      events.push(
        yield* makeEvent({
          type: "FaultInjected",
          source: "orchestrator",
          causationId: null,
          position: 1_000_000 + kill * 1_000 + i,
          correlationId: `kill-${kill}`,
          slot: slot as Slot,
          payload: { fault: "crash", target, params: { via: "SIGKILL" } },
        } as never),
      );
    }
    yield* appendEvents(log, events as never);
  }).pipe(Effect.catchAll((error) => Effect.logWarning(`could not record the crash of ${provers.join(", ")}: ${error._tag}`)));

/** How long the service processes get, at least, from the brokers being up to slot 0 (about 8 s on an idle 2-core machine; the rest is margin for a busy one). */
export const PROCESS_START_MS = 20_000;

/** The provers were not all registered before slot 0: the run would start with a partial eligible set. */
export class ProcessesNotReady extends Data.TaggedError("ProcessesNotReady")<{ readonly message: string }> {}

/** Why the registrations cannot complete: a process that exited before every prover was registered. */
const exitedEarly = (children: ReadonlyMap<string, ServiceProcess>) =>
  Effect.sync(() => {
    const dead = [...children.values()].find((c) => c.exit !== undefined);
    return dead === undefined ? undefined : `${dead.name} exited (${dead.exit}) before every prover was registered (log: ${dead.logFile})`;
  });

/** What a test (or the fault injector) can do to a running kafka-mode testnet. */
export interface ProcessControl {
  readonly brokers: readonly string[];
  /** The names of the running processes (services, and prover-pool shards `prover-pool-N`). */
  readonly processes: () => readonly string[];
  /** The provers a prover-pool shard runs. */
  readonly proversOf: (name: string) => readonly string[];
  /** SIGKILL a process and wait until it is gone. */
  readonly kill: (name: string) => Effect.Effect<void>;
  /** Start a process again (after kill); it rebuilds its state by replay. */
  readonly restart: (name: string) => Effect.Effect<void>;
  /** SIGSTOP a process: it keeps its state and sockets but does nothing (a hang). */
  readonly pause: (name: string) => Effect.Effect<void>;
  /** SIGCONT a paused process. */
  readonly resume: (name: string) => Effect.Effect<void>;
  readonly report: RunReport;
}

export interface ProcessRunOptions {
  readonly brokers?: readonly string[] | undefined;
  readonly logOut?: string | undefined;
  readonly logFormat?: string;
  /** Runs beside the testnet once every process is started (a fault schedule, a test). */
  readonly during?: (control: ProcessControl) => Effect.Effect<void>;
  readonly faults?: readonly FaultStep[];
  /** Run the prover pool as this many processes, the provers dealt round-robin (default 1). */
  readonly proverProcesses?: number;
  /** Brokers of the cluster started for the run when none are given (default 1; 3 for broker faults: RF 3, min ISR 2). */
  readonly kafkaNodes?: 1 | 3;
}

export const runProcesses = (requested: NetworkConfig, options: ProcessRunOptions = {}) =>
  Effect.gen(function* () {
    // A broker started here lives as long as this run's scope.
    const { brokers, logOut, logFormat = "json" } = options;
    const cluster = brokers === undefined ? Context.get(yield* Layer.build(KafkaCluster.layer({ nodes: options.kafkaNodes ?? 1, label: "up" })), KafkaCluster) : undefined;
    // The beacon runs in its own process: pick its port here so this process knows the URL, once
    // the brokers hold theirs (a port picked before could be one a starting broker then takes).
    const withPort = requested.beacon.port === 0 ? { ...requested, beacon: { ...requested.beacon, port: yield* freeTcpPort } } : requested;
    const bootstrap = brokers ?? cluster!.brokers;
    yield* Console.log(`brokers: ${bootstrap.join(",")}`);

    return yield* Effect.gen(function* () {
      const log = yield* EventLog;
      yield* log.createTopics(protocolTopicSpecs);
      const report = yield* followRun(`orchestrator-${withPort.seed}-${Date.now()}`);
      // A prover a network fault targets runs alone in a pool process of its own, so that the
      // fault cuts or slows that prover and no other; the targets of network faults reach the
      // brokers through proxies of their own.
      const targeted = networkTargets(options.faults ?? []);
      const isolated = withPort.provers.filter((p) => targeted.provers.includes(p.id)).map((p) => p.id as string);
      const proxied = [...targeted.services, ...isolated.map(isolatedShardOf)];
      const proxies = proxied.length === 0 ? undefined : yield* proxyProcesses(proxied, bootstrap);
      if (proxies !== undefined) yield* Console.log(`toxiproxy: ${proxies.server.url}, proxies for ${proxied.join(", ")}`);

      // The brokers, the topics and the proxies (Toxiproxy is built on its first use) may have
      // eaten the lead the caller planned (three JVMs on a busy machine): slot 0 moves so that
      // the processes, started next, still get PROCESS_START_MS to start and register.
      const now = yield* Effect.clockWith((c) => c.currentTimeMillis);
      const network =
        withPort.genesisMs >= now + PROCESS_START_MS ? withPort : { ...withPort, genesisMs: Math.ceil((now + PROCESS_START_MS) / 1_000) * 1_000 };
      if (network !== withPort) yield* Console.log(`slot 0 moved ${network.genesisMs - withPort.genesisMs} ms later: starting the brokers${proxies === undefined ? "" : " and the proxies"} took most of the lead`);
      // Runs of a suite can start in the same millisecond with the same seed.
      const runDir = join(stateDir(), "runs", `${new Date().toISOString().replace(/[:.]/g, "-")}-${network.seed}-${randomBytes(3).toString("hex")}`);
      mkdirSync(runDir, { recursive: true });
      writeFileSync(join(runDir, "network.json"), encodeNetwork(network));

      const env = { ZKT_NETWORK: encodeNetwork(network), ZKT_BROKERS: bootstrap.join(","), ZKT_LOG_FORMAT: logFormat, ...deliveryFaultsEnv(options.faults ?? []) };
      const children = new Map<string, ServiceProcess>();
      const envOf = new Map<string, Record<string, string>>();
      const serviceOf = new Map<string, ServiceName>();
      const shards = Math.max(1, options.proverProcesses ?? 1);
      const dealt = network.provers.filter((p) => !isolated.includes(p.id));
      for (const service of SERVICES) {
        if (service === "prover-pool" && (shards > 1 || isolated.length > 0)) {
          for (const id of isolated) {
            const name = isolatedShardOf(id);
            envOf.set(name, { ...env, ZKT_PROVERS: id, ZKT_SHARD: name });
            serviceOf.set(name, service);
          }
          for (let k = 0; k < Math.min(shards, dealt.length); k++) {
            const ids = dealt.filter((_, i) => i % shards === k).map((p) => p.id);
            const name = shards === 1 ? "prover-pool" : `prover-pool-${k + 1}`;
            envOf.set(name, { ...env, ZKT_PROVERS: ids.join(","), ZKT_SHARD: name });
            serviceOf.set(name, service);
          }
        } else {
          envOf.set(service, env);
          serviceOf.set(service, service);
        }
      }
      if (proxies !== undefined) {
        for (const name of proxied) {
          const routes = proxies.routesOf(name);
          if (routes !== undefined && envOf.has(name)) envOf.set(name, { ...envOf.get(name)!, ZKT_BROKER_ROUTES: routes });
        }
      }
      // The L1 and the provers first, and the rest once every prover is registered: the L1 fixes
      // epoch 0's eligible set when the first block reaches it, so no registration may trail it.
      const first = [...envOf.keys()].filter((name) => serviceOf.get(name) === "l1-settlement" || serviceOf.get(name) === "prover-pool");
      // The processes stop together at the end (each takes a second or more to leave its groups),
      // before the brokers and the proxies, which were there before them.
      const scope = yield* Effect.scope;
      const servicesScope = yield* Scope.fork(scope, ExecutionStrategy.parallel);
      for (const name of first) children.set(name, yield* startServiceProcess(name, envOf.get(name)!, runDir, serviceOf.get(name)!).pipe(Scope.extend(servicesScope)));
      const registered = yield* awaitRegistrations(network, report, exitedEarly(children), "processes");
      if (registered !== undefined) return yield* Effect.fail(new ProcessesNotReady({ message: registered }));
      for (const [name, e] of envOf) if (!children.has(name)) children.set(name, yield* startServiceProcess(name, e, runDir, serviceOf.get(name)!).pipe(Scope.extend(servicesScope)));
      const stoppedOnPurpose = new Set<string>();
      let killCount = 0;
      const control: ProcessControl = {
        brokers: bootstrap,
        report,
        processes: () => [...children.keys()],
        proversOf: (name) => envOf.get(name)?.["ZKT_PROVERS"]?.split(",") ?? (name === "prover-pool" ? network.provers.map((p) => p.id) : []),
        kill: (name) =>
          Effect.gen(function* () {
            const p = children.get(name);
            if (p === undefined) return yield* Effect.logWarning(`no process ${name} to kill (processes: ${[...children.keys()].join(", ")})`);
            stoppedOnPurpose.add(name);
            // What is done to the run is in its log: a killed pool's provers crashed.
            const provers = envOf.get(name)?.["ZKT_PROVERS"]?.split(",") ?? (name === "prover-pool" ? network.provers.map((x) => x.id) : []);
            if (provers.length > 0) yield* recordCrash(log, network, provers, killCount++);
            p.child.kill("SIGKILL");
            yield* Effect.async<void>((resume) => {
              if (p.exit !== undefined) return resume(Effect.void);
              p.child.once("exit", () => resume(Effect.void));
            });
          }),
        pause: (name) => Effect.sync(() => void children.get(name)?.child.kill("SIGSTOP")),
        resume: (name) => Effect.sync(() => void children.get(name)?.child.kill("SIGCONT")),
        restart: (name) =>
          Effect.gen(function* () {
            const p = yield* startServiceProcess(name, envOf.get(name) ?? env, runDir, serviceOf.get(name) ?? (name as ServiceName)).pipe(Scope.extend(servicesScope));
            children.set(name, p);
            stoppedOnPurpose.delete(name);
          }),
      };
      yield* Console.log(`services: ${[...children.keys()].join(", ")} (one process each); logs in ${runDir}`);
      yield* Console.log(`beacon: http://127.0.0.1:${network.beacon.port}${network.beacon.basePath}`);
      if (options.during !== undefined) yield* Effect.forkIn(options.during(control), scope);
      if (options.faults !== undefined && options.faults.length > 0) {
        // A broker fault that cannot be done (no such node) is logged by the injector's warning path, never thrown.
        const orWarn = (effect: Effect.Effect<void, unknown>) => effect.pipe(Effect.catchAll((e) => Effect.logWarning(`broker fault failed: ${String(e)}`)));
        const backends: FaultBackends = {
          delivery: "consumers",
          services: { stop: control.kill, start: control.restart, pause: control.pause, resume: control.resume },
          ...(proxies !== undefined ? { network: proxies.control } : {}),
          ...(cluster !== undefined && cluster.layout.nodes.length === 3
            ? {
                brokers: {
                  kill: (n) => orWarn(cluster.kill(n)),
                  restart: (n) => orWarn(cluster.restart(n)),
                  pause: (n) => orWarn(cluster.pause(n)),
                  resume: (n) => orWarn(cluster.resume(n)),
                },
              }
            : {}),
        };
        yield* Effect.forkIn(injectFaults(network, options.faults, backends), scope);
      }
      const dead = Effect.sync(() => [...children.values()].find((c) => c.exit !== undefined && !stoppedOnPurpose.has(c.name))).pipe(
        Effect.map((c) => (c === undefined ? undefined : `${c.name} ${c.exit} (log: ${c.logFile})`)),
      );
      const outcome = yield* awaitRunEnd(network, report, dead);
      // The processes' states are not reachable from here: invariants 1 to 5 on the log.
      const invariants = yield* checkRun(network);
      if (logOut !== undefined) {
        writeFileSync(logOut, yield* log.exportJsonl());
        writeFileSync(networkFileOf(logOut), encodeNetwork(network));
        yield* Console.log(`event log: ${logOut}`);
      }
      // `network`: the one the run used (its slot 0 may have moved), for replay and expectations.
      return { summary: summarize(report), outcome, runDir, invariants, network };
    }).pipe(Effect.provide(KafkaEventLog.layer({ brokers: bootstrap, clientId: "orchestrator" })));
  }).pipe(Effect.scoped);
