import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Console, Data, Effect, Either, ExecutionStrategy, Scope } from "effect";
import {
  DockerEngine,
  KAFKA_CONTAINER_PORT,
  clusterKafkaEnv,
  clusterNodeAlias,
  KAFKA_NETWORK_PORT,
  dockerNetwork,
  ensureImages,
  ensureToxiproxyImage,
  freeTcpPort,
  networkKafkaEnv,
  startContainer,
  type ContainerFailed,
  type RunningContainer,
  type StartedNetwork,
} from "@zk-testnet/containers";
import { toxiproxyClient } from "@zk-testnet/toxiproxy";
import { appendEvents, EventLog, KafkaEventLog, protocolTopicSpecs } from "@zk-testnet/event-log";
import { makeEvent, type Slot } from "@zk-testnet/protocol";
import { repoRoot, stateDir } from "@zk-testnet/kafka";
import { encodeNetwork, type NetworkConfig } from "@zk-testnet/network";
import { networkFileOf } from "../commands/replay.ts";
import { checkRun } from "./check.ts";
import { deliveryFaultsEnv, injectFaults, isNetworkFault, type FaultBackends, type FaultStep } from "./faults.ts";
import { isolatedShardOf, networkTargets, proxyName, toxiproxyControl } from "./network-faults.ts";
import { awaitRunEnd, followRun } from "./monitor.ts";
import { SERVICES, type ServiceName } from "./processes.ts";
import { awaitRegistrations } from "./registrations.ts";
import { summarize, type RunReport } from "./report.ts";

/** The Toxiproxy container of a run with network faults other than partitions: its name and alias. */
export const TOXIPROXY_CONTAINER = "toxiproxy";
const TOXIPROXY_API_PORT = 8474;
/** Proxies listen from this port on, inside the Toxiproxy container. */
const FIRST_PROXY_PORT = 20_000;

/**
 * Starts Toxiproxy as a container on the run's network (image built on first use) and one
 * proxy per broker for each of `containers`; returns each container's ZKT_BROKER_ROUTES.
 */
const startToxiproxyContainer = (net: StartedNetwork, runDir: string, containers: readonly string[], brokers: readonly string[]) =>
  Effect.gen(function* () {
    const image = yield* ensureToxiproxyImage;
    const apiPort = yield* freeTcpPort;
    const container = yield* startContainer({
      name: TOXIPROXY_CONTAINER,
      image,
      network: net,
      aliases: [TOXIPROXY_CONTAINER],
      env: { LOG_LEVEL: "info" },
      ports: [{ container: TOXIPROXY_API_PORT, host: apiPort }],
      readyLine: "Starting Toxiproxy HTTP server",
      startupTimeoutMs: 60_000,
      logFile: join(runDir, `${TOXIPROXY_CONTAINER}.container.log`),
      stopTimeoutSeconds: 0,
    });
    const client = toxiproxyClient(`http://127.0.0.1:${apiPort}`);
    const proxies = new Map<string, string[]>();
    const routes = new Map<string, string>();
    let port = FIRST_PROXY_PORT;
    for (const name of containers) {
      const names: string[] = [];
      const entries: string[] = [];
      for (const [i, broker] of brokers.entries()) {
        const listen = port++;
        const created = yield* client.createProxy({ name: proxyName(name, i), listen: `0.0.0.0:${listen}`, upstream: broker });
        names.push(created.name);
        entries.push(`${broker}=${TOXIPROXY_CONTAINER}:${listen}`);
      }
      proxies.set(name, names);
      routes.set(name, entries.join(","));
    }
    yield* Console.log(`toxiproxy: container ${TOXIPROXY_CONTAINER} (API http://127.0.0.1:${apiPort}), proxies for ${containers.join(", ")}`);
    return { container, client, proxies, routes };
  });

/** The broker's container: its name in the run and its alias on the run's network. */
export const KAFKA_CONTAINER = "kafka";

/** Where the repository is bind-mounted (read-only) in the service containers, and the run's folder (read-write). */
const REPO_MOUNT = "/opt/zk-testnet";
const RUN_MOUNT = "/zkt/run";
/** Node's compile cache, shared by the containers and kept across runs: a service starts about a third faster with it. */
const CACHE_MOUNT = "/zkt/cache";

/** Services need this long from their containers' start to registered provers (3 to 10 s seen on 2 busy cores). */
const SERVICES_START_MS = 20_000;

/** The provers were not all registered before slot 0, or a container went down first. */
export class ContainersNotReady extends Data.TaggedError("ContainersNotReady")<{ readonly message: string }> {}

/** A container went down that nobody stopped, and the log could not be read to check the run. */
export class ContainersFailed extends Data.TaggedError("ContainersFailed")<{ readonly message: string }> {}

/** A control action on a container failed (no such container, or Docker refused). */
export class ContainerActionFailed extends Data.TaggedError("ContainerActionFailed")<{ readonly message: string }> {}

/** What a test (or the fault injector) can do to a running containers-mode testnet; each action is recorded on testnet.faults. */
export interface ContainerControl {
  /** The broker as this machine reaches it (its published port on 127.0.0.1). */
  readonly brokers: readonly string[];
  /** The run's containers: `kafka`, the services, and prover-pool shards `prover-pool-N`. */
  readonly containers: () => readonly string[];
  /** The provers a prover-pool container runs (none for other containers). */
  readonly proversOf: (name: string) => readonly string[];
  /** SIGKILL the container's process (docker kill: a crash, FaultInjected crash) and wait until it is down; its file system stays. */
  readonly stop: (name: string) => Effect.Effect<void, ContainerActionFailed>;
  /** Start it again (FaultHealed crash); a service rebuilds its state by replay, the broker from its data. */
  readonly start: (name: string) => Effect.Effect<void, ContainerActionFailed>;
  /** Freeze it with the cgroup freezer (docker pause: FaultInjected hang). */
  readonly pause: (name: string) => Effect.Effect<void, ContainerActionFailed>;
  readonly unpause: (name: string) => Effect.Effect<void, ContainerActionFailed>;
  /** Take it off the run's network (FaultInjected partition); it runs on with no route to anyone. */
  readonly disconnect: (name: string) => Effect.Effect<void, ContainerActionFailed>;
  readonly reconnect: (name: string) => Effect.Effect<void, ContainerActionFailed>;
  readonly report: RunReport;
}

export interface ContainerRunOptions {
  readonly logOut?: string | undefined;
  readonly logFormat?: string;
  /** Runs beside the testnet once every container is started (a fault schedule, a test); its failure ends the run. */
  readonly during?: (control: ContainerControl) => Effect.Effect<void, unknown>;
  readonly faults?: readonly FaultStep[];
  /** Run the prover pool as this many containers, the provers dealt round-robin (default 1). */
  readonly proverContainers?: number;
  /** Brokers: one container `kafka` (default), or a 3-node cluster `kafka-1` to `kafka-3` (replication factor 3, min ISR 2) for broker faults. */
  readonly kafkaNodes?: 1 | 3;
}

type Action = "stop" | "start" | "pause" | "unpause" | "disconnect" | "reconnect";

/** What each action is as a fault, whether it lifts one, and how it was done. */
const FAULT_OF: Record<Action, { readonly fault: string; readonly heals: boolean; readonly via: string }> = {
  stop: { fault: "crash", heals: false, via: "docker kill" },
  start: { fault: "crash", heals: true, via: "docker start" },
  pause: { fault: "hang", heals: false, via: "docker pause" },
  unpause: { fault: "hang", heals: true, via: "docker unpause" },
  disconnect: { fault: "partition", heals: false, via: "docker network disconnect" },
  reconnect: { fault: "partition", heals: true, via: "docker network connect" },
};

/** How one container of the run is made: which service, with which environment. */
interface Planned {
  readonly name: string;
  readonly service: ServiceName;
  readonly env: Record<string, string>;
  readonly provers: readonly string[];
}

/**
 * The service containers, in SERVICES order: each prover of `isolated` alone in a pool container
 * of its own (for network faults on it), the others dealt round-robin over `shards` containers.
 */
const plan = (network: NetworkConfig, env: Record<string, string>, shards: number, isolated: readonly string[]): Planned[] =>
  SERVICES.flatMap((service): Planned[] => {
    if (service !== "prover-pool") return [{ name: service, service, env, provers: [] }];
    if (shards <= 1 && isolated.length === 0) return [{ name: service, service, env, provers: network.provers.map((p) => p.id) }];
    const alone = isolated.map((id): Planned => {
      const name = isolatedShardOf(id);
      return { name, service, env: { ...env, ZKT_PROVERS: id, ZKT_SHARD: name }, provers: [id] };
    });
    const dealt = network.provers.filter((p) => !isolated.includes(p.id));
    const count = Math.min(Math.max(1, shards), dealt.length);
    return [
      ...alone,
      ...Array.from({ length: count }, (_, k) => {
        const ids = dealt.filter((_, i) => i % count === k).map((p) => p.id);
        const name = count === 1 ? "prover-pool" : `prover-pool-${k + 1}`;
        return { name, service, env: { ...env, ZKT_PROVERS: ids.join(","), ZKT_SHARD: name }, provers: ids };
      }),
    ];
  });

/** The current slot (0 before genesis), for the events the control appends. */
const currentSlot = (network: NetworkConfig) =>
  Effect.map(Effect.clockWith((c) => c.currentTimeMillis), (now) => Math.max(0, Math.floor((now - network.genesisMs) / network.params.slotMs)) as Slot);

/**
 * `testnet up --mode containers`: on one Docker network, a Kafka broker container and a container
 * per service (the pinned Node image, the repository bind-mounted read-only), the orchestrator in
 * this process reaching the broker through its published port. Everything is removed with the scope.
 */
export const runContainers = (requested: NetworkConfig, options: ContainerRunOptions = {}) =>
  Effect.gen(function* () {
    const engine = yield* DockerEngine;
    // testcontainers reads its engine from the environment, once.
    Object.assign(process.env, engine.env);
    const images = yield* ensureImages;
    const { logOut, logFormat = "json" } = options;
    const runDir = join(stateDir(), "runs", `${new Date().toISOString().replace(/[:.]/g, "-")}-${requested.seed}-containers`);
    mkdirSync(runDir, { recursive: true });
    const cacheDir = join(stateDir(), "containers", "node-compile-cache");
    mkdirSync(cacheDir, { recursive: true });

    const net = yield* dockerNetwork;
    const nodes = options.kafkaNodes ?? 1;
    // One broker `kafka`, or the nodes of a cluster `kafka-1`..`kafka-3`, which start together (a KRaft quorum waits for its voters).
    const brokerNames = nodes === 1 ? [KAFKA_CONTAINER] : Array.from({ length: nodes }, (_, i) => clusterNodeAlias(i + 1));
    yield* Console.log(`network: ${net.getName()}; starting ${brokerNames.join(", ")} (${images.kafka})`);
    const brokerContainers = yield* Effect.forEach(
      brokerNames,
      (name, i) =>
        Effect.gen(function* () {
          const hostPort = yield* freeTcpPort;
          const container = yield* startContainer({
            name,
            image: images.kafka,
            network: net,
            aliases: [name],
            env: nodes === 1 ? networkKafkaEnv(name, hostPort) : clusterKafkaEnv(i + 1, nodes, hostPort),
            ports: [{ container: KAFKA_CONTAINER_PORT, host: hostPort }],
            readyLine: "Kafka Server started",
            startupTimeoutMs: 120_000,
            logFile: join(runDir, `${name}.container.log`),
            // Its data goes with the container: no controlled shutdown is worth waiting for.
            stopTimeoutSeconds: 0,
          });
          return { name, container, address: `127.0.0.1:${hostPort}` };
        }),
      { concurrency: "unbounded" },
    );
    const bootstrap = brokerContainers.map((b) => b.address);
    const inNetwork = brokerNames.map((name) => `${name}:${KAFKA_NETWORK_PORT}`);
    yield* Console.log(`brokers: ${bootstrap.join(",")} (containers: ${inNetwork.join(",")})`);

    // A cold image build or a slow broker may have used up the lead: slot 0 moves to whole seconds later.
    const now = yield* Effect.clockWith((c) => c.currentTimeMillis);
    const network =
      requested.genesisMs >= now + SERVICES_START_MS ? requested : { ...requested, genesisMs: Math.ceil((now + SERVICES_START_MS) / 1_000) * 1_000 };
    if (network !== requested) yield* Console.log(`slot 0 moved ${network.genesisMs - requested.genesisMs} ms later: the start used up the lead before genesis`);
    writeFileSync(join(runDir, "network.json"), encodeNetwork(network));

    return yield* Effect.gen(function* () {
      const log = yield* EventLog;
      // The services' containers are removed together, after this process stops following the run
      // (scopes close last-in first-out) and before the broker goes.
      const servicesScope = yield* Scope.fork(yield* Effect.scope, ExecutionStrategy.parallel);
      yield* log.createTopics(protocolTopicSpecs);
      const report = yield* followRun(`orchestrator-${network.seed}-${Date.now()}`);
      const env = { ZKT_NETWORK: encodeNetwork(network), ZKT_BROKERS: inNetwork.join(","), ZKT_LOG_FORMAT: logFormat, ...deliveryFaultsEnv(options.faults ?? []) };
      // A prover a network fault targets runs alone in a container of its own: the fault cuts that prover and no other.
      const targeted = networkTargets(options.faults ?? []);
      const isolated = network.provers.filter((p) => targeted.provers.includes(p.id)).map((p) => p.id as string);
      const running = new Map<string, RunningContainer>(brokerContainers.map((b) => [b.name, b.container]));
      const unproxied = plan(network, env, Math.max(1, options.proverContainers ?? 1), isolated);
      /** The container a network fault on a service or a prover goes to. */
      const containerOf = (target: string) => (unproxied.some((p) => p.name === target) ? target : isolatedShardOf(target));
      // Latency, timeout, reset and bandwidth go through a Toxiproxy container: each targeted
      // container reaches every broker through a proxy of its own (ZKT_BROKER_ROUTES), so the fault
      // is on its path alone. A partition needs none: the container leaves the network.
      const toxicTargets = [...new Set((options.faults ?? []).filter((f) => isNetworkFault(f.kind) && f.kind !== "partition").map((f) => containerOf(f.target)))];
      const toxiproxy = toxicTargets.length === 0 ? undefined : yield* startToxiproxyContainer(net, runDir, toxicTargets, inNetwork);
      const planned = unproxied.map((p) => {
        const routes = toxiproxy?.routes.get(p.name);
        return routes === undefined ? p : { ...p, env: { ...p.env, ZKT_BROKER_ROUTES: routes } };
      });
      if (toxiproxy !== undefined) running.set(TOXIPROXY_CONTAINER, toxiproxy.container);
      const user = typeof process.getuid === "function" && typeof process.getgid === "function" ? `${process.getuid()}:${process.getgid()}` : undefined;
      const start = (p: Planned) =>
        Effect.map(
          startContainer({
            name: p.name,
            image: images.nodeService,
            network: net,
            aliases: [p.name],
            env: { ...p.env, ZKT_LOG_FILE: `${RUN_MOUNT}/${p.name}.log`, NODE_COMPILE_CACHE: CACHE_MOUNT },
            command: [`services/${p.service}/src/main.ts`],
            ...(user !== undefined ? { user } : {}),
            binds: [
              { source: repoRoot, target: REPO_MOUNT, readOnly: true },
              { source: runDir, target: RUN_MOUNT },
              { source: cacheDir, target: CACHE_MOUNT },
            ],
            logFile: join(runDir, `${p.name}.container.log`),
            stopTimeoutSeconds: 2,
          }).pipe(Scope.extend(servicesScope)),
          (c) => void running.set(p.name, c),
        );
      const stoppedOnPurpose = new Set<string>();
      let controlFailure: string | undefined;
      const down = Effect.gen(function* () {
        if (controlFailure !== undefined) return controlFailure;
        for (const [name, c] of running) {
          if (stoppedOnPurpose.has(name)) continue;
          const state = yield* Effect.either(c.state);
          if (Either.isLeft(state)) return `${name}: ${state.left.message}`;
          if (!state.right.running) return `${name} exited (code ${state.right.exitCode}) (log: ${join(runDir, `${name}.log`)}, output: ${join(runDir, `${name}.container.log`)})`;
        }
        return undefined;
      });

      // The L1 and the provers first, and the rest once every prover is registered: the L1 fixes
      // epoch 0's eligible set when the first block reaches it, so no registration may trail it.
      const first = planned.filter((p) => p.service === "l1-settlement" || p.service === "prover-pool");
      const startedAt = yield* Effect.clockWith((c) => c.currentTimeMillis);
      yield* Effect.forEach(first, start, { concurrency: "unbounded", discard: true });
      const registered = yield* awaitRegistrations(network, report, down, "containers");
      if (registered !== undefined) {
        // What the log holds says how far the start got: kept for the failed run.
        yield* log.exportJsonl().pipe(
          Effect.flatMap((text) => Effect.sync(() => writeFileSync(join(runDir, "events.jsonl"), text))),
          Effect.ignore,
        );
        return yield* new ContainersNotReady({ message: `${registered} (logs: ${runDir})` });
      }
      const readyAt = yield* Effect.clockWith((c) => c.currentTimeMillis);
      yield* Console.log(`provers registered ${((readyAt - startedAt) / 1_000).toFixed(1)} s after their containers were started, ${((network.genesisMs - readyAt) / 1_000).toFixed(1)} s before slot 0`);
      yield* Effect.forEach(
        planned.filter((p) => !running.has(p.name)),
        start,
        { concurrency: "unbounded", discard: true },
      );

      const proversOf = (name: string) => planned.find((p) => p.name === name)?.provers ?? [];
      let recorded = 0;
      // What is done to the run is in its log: the container's service or shard, and each prover it runs.
      const recordFault = (action: Action, name: string, targets: readonly string[]) =>
        Effect.gen(function* () {
          if (targets.length === 0) return;
          const { fault, heals, via } = FAULT_OF[action];
          const slot = yield* currentSlot(network);
          const n = recorded++;
          const events = [];
          for (const [i, target] of targets.entries()) {
            events.push(
              yield* makeEvent({
                type: heals ? "FaultHealed" : "FaultInjected",
                source: "orchestrator",
                causationId: null,
                position: 2_000_000 + n * 1_000 + i,
                correlationId: `container-fault-${n}`,
                slot,
                payload: heals ? { fault, target } : { fault, target, params: target === name ? { via } : { via, container: name } },
              } as never),
            );
          }
          yield* appendEvents(log, events as never);
        }).pipe(Effect.catchAll((error) => Effect.logWarning(`could not record ${action} of ${name}: ${error._tag}`)));

      /**
       * `all`: the container and its provers (the control); `provers`: only those (the fault
       * injector records the container); `none`: the injector records the fault's own target.
       */
      const act = (action: Action, name: string, logged: "all" | "provers" | "none") =>
        Effect.gen(function* () {
          const c = running.get(name);
          if (c === undefined) return yield* new ContainerActionFailed({ message: `no container ${name} (containers: ${[...running.keys()].join(", ")})` });
          const perform = Effect.gen(function* () {
            if (action === "stop") stoppedOnPurpose.add(name);
            yield* c[action === "stop" ? "kill" : action];
            if (action === "start") stoppedOnPurpose.delete(name);
          }).pipe(Effect.mapError((e: ContainerFailed) => new ContainerActionFailed({ message: e.message })));
          const targets = logged === "all" ? [name, ...proversOf(name)] : logged === "provers" ? proversOf(name) : [];
          // The broker takes the log with it: its fault is recorded while it is up (before it goes, after it is back).
          const recordAfter = name === KAFKA_CONTAINER && FAULT_OF[action].heals;
          if (!recordAfter) yield* recordFault(action, name, targets);
          yield* perform;
          if (recordAfter) yield* recordFault(action, name, targets);
        });

      const control: ContainerControl = {
        brokers: bootstrap,
        report,
        containers: () => [...running.keys()],
        proversOf,
        stop: (name) => act("stop", name, "all"),
        start: (name) => act("start", name, "all"),
        pause: (name) => act("pause", name, "all"),
        unpause: (name) => act("unpause", name, "all"),
        disconnect: (name) => act("disconnect", name, "all"),
        reconnect: (name) => act("reconnect", name, "all"),
      };
      yield* Console.log(`services: ${[...running.keys()].filter((n) => n !== KAFKA_CONTAINER).join(", ")} (one container each); logs in ${runDir}`);

      const scope = yield* Effect.scope;
      if (options.during !== undefined) {
        yield* Effect.forkIn(
          options.during(control).pipe(
            Effect.catchAllCause((cause) =>
              Effect.sync(() => {
                controlFailure = `the run's control failed: ${cause.toString().split("\n")[0]}`;
              }),
            ),
          ),
          scope,
        );
      }
      if (options.faults !== undefined && options.faults.length > 0) {
        // The injector records the service's own events; the back ends add its provers'. Brokers
        // only in a cluster: the injector records a heal before it acts, which a single broker that
        // is down cannot take.
        const injected = (action: Action, logged: "provers" | "none" = "provers") => (name: string) =>
          act(action, name, logged).pipe(Effect.catchAll((e) => Effect.logWarning(`fault on ${name} not carried out: ${e.message}`)));
        const toxics = toxiproxy === undefined ? undefined : toxiproxyControl(toxiproxy.client, (target) => toxiproxy.proxies.get(containerOf(target)), "toxiproxy");
        const backends: FaultBackends = {
          delivery: "consumers",
          services: { stop: injected("stop"), start: injected("start"), pause: injected("pause"), resume: injected("unpause") },
          ...(nodes === 3
            ? {
                brokers: {
                  kill: (n) => injected("stop", "none")(clusterNodeAlias(n)),
                  restart: (n) => injected("start", "none")(clusterNodeAlias(n)),
                  pause: (n) => injected("pause", "none")(clusterNodeAlias(n)),
                  resume: (n) => injected("unpause", "none")(clusterNodeAlias(n)),
                },
              }
            : {}),
          network: {
            via: "docker network disconnect",
            unsupported: (kind, target) => {
              if (kind !== "partition") return toxics === undefined ? `${kind} of ${target}: no Toxiproxy container in this run` : toxics.unsupported(kind, target);
              return planned.some((p) => p.name === containerOf(target)) ? undefined : `no container runs ${target} alone`;
            },
            inject: (target, kind, params) => (kind === "partition" ? injected("disconnect", "none")(containerOf(target)) : (toxics?.inject(target, kind, params) ?? Effect.void)),
            heal: (target, kind) => (kind === "partition" ? injected("reconnect", "none")(containerOf(target)) : (toxics?.heal(target, kind) ?? Effect.void)),
          },
        };
        yield* Effect.forkIn(injectFaults(network, options.faults, backends), scope);
      }

      // Docker is asked about the containers once a second, not on every poll of the run's end.
      let lastCheck = 0;
      const dead = Effect.gen(function* () {
        if (controlFailure !== undefined) return controlFailure;
        const now = yield* Effect.clockWith((c) => c.currentTimeMillis);
        if (now - lastCheck < 1_000) return undefined;
        lastCheck = now;
        return yield* down;
      });
      const outcome = yield* awaitRunEnd(network, report, dead);
      // The services' states are not reachable from here: invariants 1 to 5 on the log. With the
      // broker gone there is no log to check: the failure is what went down.
      const invariants = yield* checkRun(network).pipe(
        Effect.mapError((error) =>
          outcome === "finalized" || outcome === "window-passed" ? error : new ContainersFailed({ message: `${outcome}; the log could not be read: ${error.message}` }),
        ),
      );
      const failed = outcome !== "finalized" || !invariants.ok;
      // A failed run keeps its log even when none was asked for.
      const jsonlOut = logOut ?? (failed ? join(runDir, "events.jsonl") : undefined);
      if (jsonlOut !== undefined) {
        writeFileSync(jsonlOut, yield* log.exportJsonl());
        writeFileSync(networkFileOf(jsonlOut), encodeNetwork(network));
        yield* Console.log(`event log: ${jsonlOut}`);
      }
      return { summary: summarize(report), outcome, runDir, invariants, network };
    }).pipe(Effect.provide(KafkaEventLog.layer({ brokers: bootstrap, clientId: "orchestrator" })));
  }).pipe(Effect.scoped);
