import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { Context, Duration, Effect, Layer } from "effect";
import { BrokerFailed, UnknownBroker, type JarsUnavailable, type JavaUnavailable } from "./errors.ts";
import { fetchJars } from "./jars.ts";
import { kafkaPackageDir, stateDir } from "./paths.ts";
import { apiVersionsProbe } from "./probe.ts";
import { fileContains, fileSize, isAlive, isStopped, signal, spawnDetached, tail } from "./process.ts";

export interface BrokerNode {
  readonly id: number;
  readonly port: number;
  readonly controllerPort: number;
  readonly dir: string;
  readonly logFile: string;
  readonly pidFile: string;
  readonly propsFile: string;
  /** Where clients reach this broker when it is advertised elsewhere (a proxy in front of it). */
  readonly advertised?: string;
  /** The direct listener that replication uses when the client listener is advertised elsewhere. */
  readonly internalPort?: number;
}

/** A broker's own client listener, as handed to an `advertise` hook. */
export interface BrokerEndpoint {
  readonly id: number;
  readonly port: number;
}

/**
 * Returns the host:port that clients should use for a broker instead of its own port, e.g. a
 * proxy's listen address after creating the proxy towards `127.0.0.1:<port>`.
 */
export type Advertise<E = never> = (broker: BrokerEndpoint) => Effect.Effect<string, E>;

/** Everything needed to find, signal and stop a cluster again, also from another process. */
export interface ClusterLayout {
  readonly dir: string;
  readonly clusterId: string;
  readonly libs: string;
  readonly nodes: readonly BrokerNode[];
  readonly bootstrap: string;
}

export interface ClusterOptions<E = never> {
  /** 1 for a single broker, 3 for a cluster with replication factor 3 and min.insync.replicas 2. */
  readonly nodes: 1 | 3;
  /** A label for the run directory under the state directory. */
  readonly label?: string;
  /** Broker heap, e.g. "512m". */
  readonly heap?: string;
  /**
   * Advertise each broker's client listener at another address (called once per broker before
   * it starts). Replication then uses a separate direct listener and the controller quorum stays
   * direct too, so only client traffic crosses the advertised address.
   */
  readonly advertise?: Advertise<E>;
}

export type StartError = JavaUnavailable | JarsUnavailable | BrokerFailed;

const READY_TIMEOUT = Duration.seconds(120);
const STOP_GRACE = Duration.seconds(15);
const STARTED_LINE = "Kafka Server started";

/**
 * A Kafka cluster id: a base64url-encoded 16-byte UUID that, as Kafka's own Uuid.randomUuid
 * ensures, does not start with "-" (the storage tool would read it as an option).
 */
export const newClusterId = (): string => {
  for (;;) {
    const id = randomBytes(16).toString("base64url");
    if (!id.startsWith("-")) return id;
  }
};

/** Distinct free ports on 127.0.0.1, held open together so none is handed out twice. */
const freePorts = (count: number): Effect.Effect<number[]> =>
  Effect.promise(async () => {
    const servers = await Promise.all(
      Array.from({ length: count }, () =>
        new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
          const server = createServer();
          server.once("error", reject);
          server.listen(0, "127.0.0.1", () => resolve(server));
        }),
      ),
    );
    const ports = servers.map((s) => {
      const address = s.address();
      return typeof address === "object" && address !== null ? address.port : 0;
    });
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
    return ports;
  });

/** A broker's listener lines: one PLAINTEXT listener, or, when advertised elsewhere, an INTERNAL one for replication beside it. */
const listenerProperties = (node: BrokerNode): string[] =>
  node.advertised === undefined || node.internalPort === undefined
    ? [
        `listeners=PLAINTEXT://127.0.0.1:${node.port},CONTROLLER://127.0.0.1:${node.controllerPort}`,
        `advertised.listeners=PLAINTEXT://127.0.0.1:${node.port}`,
        "controller.listener.names=CONTROLLER",
        "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
        "inter.broker.listener.name=PLAINTEXT",
      ]
    : [
        `listeners=PLAINTEXT://127.0.0.1:${node.port},INTERNAL://127.0.0.1:${node.internalPort},CONTROLLER://127.0.0.1:${node.controllerPort}`,
        `advertised.listeners=PLAINTEXT://${node.advertised},INTERNAL://127.0.0.1:${node.internalPort}`,
        "controller.listener.names=CONTROLLER",
        "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,INTERNAL:PLAINTEXT",
        "inter.broker.listener.name=INTERNAL",
      ];

export const serverProperties = (layout: Omit<ClusterLayout, "bootstrap" | "libs">, node: BrokerNode): string => {
  const replicas = layout.nodes.length;
  const minIsr = replicas >= 3 ? 2 : 1;
  const voters = layout.nodes.map((n) => `${n.id}@127.0.0.1:${n.controllerPort}`).join(",");
  return [
    "process.roles=broker,controller",
    `node.id=${node.id}`,
    `controller.quorum.voters=${voters}`,
    ...listenerProperties(node),
    `log.dirs=${join(node.dir, "data")}`,
    `default.replication.factor=${replicas}`,
    `min.insync.replicas=${minIsr}`,
    `offsets.topic.replication.factor=${replicas}`,
    "offsets.topic.num.partitions=10",
    `transaction.state.log.replication.factor=${replicas}`,
    `transaction.state.log.min.isr=${minIsr}`,
    "group.initial.rebalance.delay.ms=0",
    "num.partitions=3",
    "auto.create.topics.enable=true",
    // Short session timeouts so a killed broker is noticed within seconds.
    "broker.session.timeout.ms=6000",
    "broker.heartbeat.interval.ms=1000",
    "",
  ].join("\n");
};

/**
 * A broker's JVM options (the heap apart), as processes and as containers: tuned for starting
 * often on a small machine rather than for peak throughput. C1 only and the serial collector
 * halve its start-up CPU (about 5.5 s to 2.8 s of CPU to ready on 2 cores), which a suite's
 * other run, mid-way through its deadlines, would otherwise lose.
 */
export const BROKER_JVM_OPTIONS: readonly string[] = ["-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Djava.awt.headless=true"];

const javaArgs = (libs: string, heap: string, node: BrokerNode): string[] => [
  `-Xms${heap}`,
  `-Xmx${heap}`,
  ...BROKER_JVM_OPTIONS,
  `-Dlog4j2.configurationFile=${join(kafkaPackageDir, "config/log4j2.yaml")}`,
  `-Dkafka.logs.dir=${node.dir}`,
  "-cp",
  `${libs}/*`,
  "kafka.Kafka",
  node.propsFile,
];

const runStorageFormat = (libs: string, clusterId: string, node: BrokerNode): Effect.Effect<void, BrokerFailed> =>
  Effect.async<void, BrokerFailed>((resume) => {
    const pid = spawnDetached(
      "java",
      [
        "-Xmx128m",
        `-Dlog4j2.configurationFile=${join(kafkaPackageDir, "config/log4j2.yaml")}`,
        "-cp",
        `${libs}/*`,
        "kafka.tools.StorageTool",
        "format",
        `--cluster-id=${clusterId}`,
        "-c",
        node.propsFile,
        "--ignore-formatted",
      ],
      node.logFile,
      node.dir,
    );
    const timer = setInterval(() => {
      if (isAlive(pid)) return;
      clearInterval(timer);
      void fileContains(node.logFile, "Formatting").then((formatted) =>
        formatted
          ? resume(Effect.void)
          : void tail(node.logFile).then((logTail) =>
              resume(
                Effect.fail(
                  new BrokerFailed({ nodeId: node.id, message: "storage format failed", logFile: node.logFile, logTail }),
                ),
              ),
            ),
      );
    }, 100);
    return Effect.sync(() => {
      clearInterval(timer);
      signal(pid, "SIGKILL");
    });
  });

const readPid = (node: BrokerNode): number | undefined => {
  try {
    const pid = Number(readFileSync(node.pidFile, "utf8").trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
};

/** The pid of a broker process that is still alive, if any. */
export const livePid = (node: BrokerNode): number | undefined => {
  const pid = readPid(node);
  return pid !== undefined && isAlive(pid, node.propsFile) ? pid : undefined;
};

const failed = (node: BrokerNode, message: string) =>
  Effect.promise(() => tail(node.logFile)).pipe(
    Effect.flatMap((logTail) => Effect.fail(new BrokerFailed({ nodeId: node.id, message, logFile: node.logFile, logTail }))),
  );

/** Starts one broker process and waits until it has logged its start and answers ApiVersions. */
export const startNode = (layout: ClusterLayout, node: BrokerNode, heap = "512m"): Effect.Effect<void, BrokerFailed> =>
  Effect.gen(function* () {
    if (livePid(node) !== undefined) return;
    const from = fileSize(node.logFile);
    const pid = spawnDetached("java", javaArgs(layout.libs, heap, node), node.logFile, node.dir);
    writeFileSync(node.pidFile, `${pid}\n`);
    const ready = Effect.gen(function* () {
      while (true) {
        if (!isAlive(pid)) return yield* failed(node, `broker ${node.id} exited during start`);
        const started = yield* Effect.promise(() => fileContains(node.logFile, STARTED_LINE, from));
        if (started && (yield* Effect.promise(() => apiVersionsProbe("127.0.0.1", node.port)))) return;
        yield* Effect.sleep(Duration.millis(200));
      }
    });
    yield* ready.pipe(
      Effect.timeoutFail({
        duration: READY_TIMEOUT,
        onTimeout: () => new BrokerFailed({ nodeId: node.id, message: "not ready in time", logFile: node.logFile, logTail: "" }),
      }),
      Effect.catchTag("BrokerFailed", (e) =>
        Effect.sync(() => signal(pid, "SIGKILL")).pipe(
          Effect.zipRight(e.logTail === "" ? failed(node, e.message) : Effect.fail(e)),
        ),
      ),
    );
  });

const awaitExit = (pid: number, marker: string, within: Duration.Duration): Effect.Effect<boolean> =>
  Effect.gen(function* () {
    while (isAlive(pid, marker)) yield* Effect.sleep(Duration.millis(100));
    return true;
  }).pipe(
    Effect.timeout(within),
    Effect.orElseSucceed(() => false),
  );

/** Stops one broker: SIGTERM (after SIGCONT if it was paused), then SIGKILL after a grace period. */
export const stopNode = (node: BrokerNode): Effect.Effect<void> =>
  Effect.gen(function* () {
    const pid = livePid(node);
    if (pid === undefined) return;
    signal(pid, "SIGCONT");
    signal(pid, "SIGTERM");
    if (!(yield* awaitExit(pid, node.propsFile, STOP_GRACE))) {
      signal(pid, "SIGKILL");
      yield* awaitExit(pid, node.propsFile, Duration.seconds(10));
    }
  });

/** SIGKILL one broker and wait until the process is gone. */
export const killNode = (node: BrokerNode): Effect.Effect<void> =>
  Effect.gen(function* () {
    const pid = livePid(node);
    if (pid === undefined) return;
    signal(pid, "SIGKILL");
    yield* awaitExit(pid, node.propsFile, Duration.seconds(10));
  });

/** Lays out the run directory, picks ports, writes properties and formats each node's storage. */
export const prepareCluster = <E = never>(options: ClusterOptions<E>): Effect.Effect<ClusterLayout, StartError | E> =>
  Effect.gen(function* () {
    const libs = yield* fetchJars;
    const count = options.nodes;
    const advertise = options.advertise;
    // One call, so the internal (replication) ports cannot repeat a client or controller port.
    const ports = yield* freePorts(count * (advertise === undefined ? 2 : 3));
    const label = options.label ?? `kafka-${count}`;
    const dir = join(stateDir(), "kafka", `${label}-${process.pid}-${randomBytes(3).toString("hex")}`);
    const nodes: BrokerNode[] = yield* Effect.forEach(Array.from({ length: count }, (_, i) => i), (i) =>
      Effect.gen(function* () {
        const nodeDir = join(dir, `broker-${i + 1}`);
        const node: BrokerNode = {
          id: i + 1,
          port: ports[2 * i]!,
          controllerPort: ports[2 * i + 1]!,
          dir: nodeDir,
          logFile: join(nodeDir, "broker.log"),
          pidFile: join(nodeDir, "pid"),
          propsFile: join(nodeDir, "server.properties"),
        };
        if (advertise === undefined) return node;
        const advertised = yield* advertise({ id: node.id, port: node.port });
        return { ...node, advertised, internalPort: ports[2 * count + i]! };
      }),
    );
    const clusterId = newClusterId();
    const layout: ClusterLayout = {
      dir,
      clusterId,
      libs,
      nodes,
      bootstrap: nodes.map((n) => n.advertised ?? `127.0.0.1:${n.port}`).join(","),
    };
    for (const node of nodes) {
      mkdirSync(node.dir, { recursive: true });
      writeFileSync(node.propsFile, serverProperties(layout, node));
    }
    writeFileSync(join(dir, "layout.json"), JSON.stringify(layout, null, 2));
    yield* Effect.forEach(nodes, (node) => runStorageFormat(libs, clusterId, node), { concurrency: "unbounded" });
    return layout;
  });

/** Starts every node of a prepared cluster together (a KRaft quorum needs its voters up at once). */
export const startCluster = <E = never>(options: ClusterOptions<E>): Effect.Effect<ClusterLayout, StartError | E> =>
  Effect.gen(function* () {
    const layout = yield* prepareCluster(options);
    yield* Effect.forEach(layout.nodes, (node) => startNode(layout, node, options.heap), {
      concurrency: "unbounded",
      discard: true,
    }).pipe(Effect.tapError(() => stopCluster(layout)));
    return layout;
  });

/** Stops every node; with `removeData` also deletes their data (logs are kept). */
export const stopCluster = (layout: ClusterLayout, removeData = false): Effect.Effect<void> =>
  Effect.forEach(layout.nodes, stopNode, { concurrency: "unbounded", discard: true }).pipe(
    Effect.tap(() =>
      removeData
        ? Effect.sync(() => layout.nodes.forEach((n) => rmSync(join(n.dir, "data"), { recursive: true, force: true })))
        : Effect.void,
    ),
  );

/** A running cluster that tests and the CLI can fault. */
export interface KafkaClusterApi {
  readonly layout: ClusterLayout;
  /** Comma-separated host:port list (the advertised addresses when the cluster was started with `advertise`). */
  readonly bootstrap: string;
  readonly brokers: readonly string[];
  /** SIGKILL a broker by node id. */
  readonly kill: (nodeId: number) => Effect.Effect<void, UnknownBroker>;
  /** Start a stopped or killed broker again on its data and wait until it is ready. */
  readonly restart: (nodeId: number) => Effect.Effect<void, UnknownBroker | BrokerFailed>;
  /** SIGSTOP a broker: it keeps its sockets but answers nothing. */
  readonly pause: (nodeId: number) => Effect.Effect<void, UnknownBroker>;
  /** SIGCONT a paused broker. */
  readonly resume: (nodeId: number) => Effect.Effect<void, UnknownBroker>;
  readonly isPaused: (nodeId: number) => boolean;
  /** The last lines of a broker's log, for a failing test to print. */
  readonly logTail: (nodeId: number, lines?: number) => Effect.Effect<string>;
}

export const clusterApi = (layout: ClusterLayout, heap?: string): KafkaClusterApi => {
  const node = (nodeId: number): Effect.Effect<BrokerNode, UnknownBroker> => {
    const found = layout.nodes.find((n) => n.id === nodeId);
    return found === undefined
      ? Effect.fail(new UnknownBroker({ nodeId, message: `no broker ${nodeId} in ${layout.dir}` }))
      : Effect.succeed(found);
  };
  const running = (nodeId: number): Effect.Effect<number, UnknownBroker> =>
    node(nodeId).pipe(
      Effect.flatMap((n) => {
        const pid = livePid(n);
        return pid === undefined
          ? Effect.fail(new UnknownBroker({ nodeId, message: `broker ${nodeId} is not running` }))
          : Effect.succeed(pid);
      }),
    );
  return {
    layout,
    bootstrap: layout.bootstrap,
    brokers: layout.bootstrap.split(","),
    kill: (id) => node(id).pipe(Effect.flatMap(killNode)),
    restart: (id) => node(id).pipe(Effect.flatMap((n) => startNode(layout, n, heap))),
    pause: (id) => running(id).pipe(Effect.map((pid) => signal(pid, "SIGSTOP"))),
    resume: (id) => running(id).pipe(Effect.map((pid) => signal(pid, "SIGCONT"))),
    isPaused: (id) => {
      const n = layout.nodes.find((x) => x.id === id);
      const pid = n === undefined ? undefined : livePid(n);
      return pid !== undefined && isStopped(pid);
    },
    logTail: (id, lines = 40) =>
      node(id).pipe(
        Effect.flatMap((n) => Effect.promise(() => tail(n.logFile, lines))),
        Effect.orElseSucceed(() => `(no broker ${id})`),
      ),
  };
};

export class KafkaCluster extends Context.Tag("@zk-testnet/kafka/KafkaCluster")<KafkaCluster, KafkaClusterApi>() {
  /** A cluster started for the scope and stopped (data removed, logs kept) when it closes. */
  static readonly layer = <E = never>(options: ClusterOptions<E>): Layer.Layer<KafkaCluster, StartError | E> =>
    Layer.scoped(
      KafkaCluster,
      Effect.acquireRelease(startCluster(options), (layout) => stopCluster(layout, true)).pipe(
        Effect.map((layout) => clusterApi(layout, options.heap)),
      ),
    );
  static readonly single = KafkaCluster.layer({ nodes: 1, label: "single" });
  static readonly threeNodes = KafkaCluster.layer({ nodes: 3, label: "cluster" });
}
