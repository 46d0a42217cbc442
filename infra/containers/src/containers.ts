import { writeFile } from "node:fs/promises";
import { Data, Duration, Effect, Schedule, type Scope } from "effect";
import { GenericContainer, Network, Wait, getContainerRuntimeClient, type StartedNetwork } from "testcontainers";

export type { StartedNetwork };

/** A Docker operation on a container or network failed; says which and why. */
export class ContainerFailed extends Data.TaggedError("ContainerFailed")<{ readonly message: string }> {}

const attempt = <A>(what: string, run: () => Promise<A>): Effect.Effect<A, ContainerFailed> =>
  Effect.tryPromise({ try: run, catch: (e) => new ContainerFailed({ message: `${what}: ${e instanceof Error ? e.message : String(e)}` }) });

/** A Docker network of testcontainers' making (a bridge with its own DNS for aliases); removed when the scope closes. */
export const dockerNetwork: Effect.Effect<StartedNetwork, ContainerFailed, Scope.Scope> = Effect.acquireRelease(
  attempt("create a Docker network", () => new Network().start()),
  (network) =>
    attempt(`remove network ${network.getName()}`, () => network.stop()).pipe(
      // The engine may still be releasing the endpoint of a container it has just removed.
      Effect.retry(Schedule.spaced("500 millis").pipe(Schedule.intersect(Schedule.recurs(10)))),
      Effect.catchAll((error) => Effect.logWarning(error.message)),
    ),
);

export interface ContainerSpec {
  /** The container's name in this run (not Docker's name, which stays unique per engine). */
  readonly name: string;
  readonly image: string;
  readonly network: StartedNetwork;
  /** Names other containers on the network reach it by. */
  readonly aliases?: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  readonly command?: readonly string[];
  /** uid:gid to run as (files it writes to a bind mount are then the caller's). */
  readonly user?: string;
  readonly binds?: readonly { readonly source: string; readonly target: string; readonly readOnly?: boolean }[];
  /** Container ports published on the same host port, so a restart keeps the address clients were told. */
  readonly ports?: readonly { readonly container: number; readonly host: number }[];
  /** A line its output prints once it serves; awaited on every start. */
  readonly readyLine?: string;
  readonly startupTimeoutMs?: number;
  /** Where its output (stdout and stderr, every start) is written when the scope closes. */
  readonly logFile?: string;
  /** Seconds between SIGTERM and SIGKILL when the scope closes (default 3; 0 kills at once). */
  readonly stopTimeoutSeconds?: number;
  readonly labels?: Readonly<Record<string, string>>;
}

export interface ContainerState {
  readonly running: boolean;
  readonly paused: boolean;
  readonly exitCode: number;
  readonly connected: boolean;
}

/** A started container and what can be done to it; each action waits until it is done. */
export interface RunningContainer {
  readonly name: string;
  readonly id: string;
  /** SIGKILL its process (docker kill: a crash) and wait until it is down; its file system stays for `start`. */
  readonly kill: Effect.Effect<void, ContainerFailed>;
  /** Start it again (docker start), waiting for its ready line if it has one. */
  readonly start: Effect.Effect<void, ContainerFailed>;
  /** Freeze every process of it (cgroup freezer): it keeps its state and sockets but does nothing. */
  readonly pause: Effect.Effect<void, ContainerFailed>;
  readonly unpause: Effect.Effect<void, ContainerFailed>;
  /** Take it off the run's network (it keeps running, with no route to anyone). */
  readonly disconnect: Effect.Effect<void, ContainerFailed>;
  /** Put it back on the run's network under the same aliases. */
  readonly reconnect: Effect.Effect<void, ContainerFailed>;
  readonly state: Effect.Effect<ContainerState, ContainerFailed>;
  /** Its whole output so far, every start of it, stdout and stderr interleaved. */
  readonly logs: Effect.Effect<string, ContainerFailed>;
}

/** Docker's multiplexed log format (no TTY): frames of an 8-byte header (stream, 3 zero bytes, big-endian length) and the payload. */
export const demuxDockerLog = (buffer: Buffer): string => {
  const parts: Buffer[] = [];
  let at = 0;
  while (at + 8 <= buffer.length) {
    const size = buffer.readUInt32BE(at + 4);
    parts.push(buffer.subarray(at + 8, at + 8 + size));
    at += 8 + size;
  }
  return Buffer.concat(parts).toString("utf8");
};

const occurrences = (text: string, line: string): number => text.split(line).length - 1;

/**
 * Starts a container on the network (testcontainers) and hands back its controls. When the scope
 * closes it is thawed, stopped (SIGTERM, then SIGKILL after `stopTimeoutSeconds`), its output written to `logFile`,
 * and removed with its anonymous volumes.
 */
export const startContainer = (spec: ContainerSpec) =>
  Effect.acquireRelease(
    Effect.gen(function* () {
      let builder = new GenericContainer(spec.image)
        .withNetwork(spec.network)
        .withNetworkAliases(...(spec.aliases ?? []))
        .withEnvironment({ ...spec.env })
        .withLabels({ "dev.zk-testnet.run-container": spec.name, ...spec.labels })
        .withStartupTimeout(spec.startupTimeoutMs ?? 120_000);
      if (spec.command !== undefined) builder = builder.withCommand([...spec.command]);
      if (spec.user !== undefined) builder = builder.withUser(spec.user);
      if (spec.binds !== undefined) builder = builder.withBindMounts(spec.binds.map((b) => ({ source: b.source, target: b.target, mode: b.readOnly === true ? "ro" : "rw" })));
      if (spec.ports !== undefined) builder = builder.withExposedPorts(...spec.ports.map((p) => ({ container: p.container, host: p.host })));
      if (spec.readyLine !== undefined) builder = builder.withWaitStrategy(Wait.forLogMessage(spec.readyLine));
      const started = yield* attempt(`start container ${spec.name} (${spec.image})`, () => builder.start());
      const client = yield* attempt("reach the Docker engine", () => getContainerRuntimeClient());
      const docker = client.container.getById(started.getId());
      const network = client.network.getById(spec.network.getId());
      const name = spec.name;

      const inspect = attempt(`inspect ${name}`, () => docker.inspect());
      const logs = attempt(`read the output of ${name}`, () => docker.logs({ stdout: true, stderr: true, follow: false })).pipe(Effect.map(demuxDockerLog));
      const state: Effect.Effect<ContainerState, ContainerFailed> = Effect.map(inspect, (info) => ({
        running: info.State.Running,
        paused: info.State.Paused,
        exitCode: info.State.ExitCode,
        connected: spec.network.getName() in (info.NetworkSettings.Networks ?? {}),
      }));
      const awaitReady = (seenBefore: number) =>
        Effect.gen(function* () {
          const line = spec.readyLine;
          if (line === undefined) return;
          const deadline = Date.now() + (spec.startupTimeoutMs ?? 120_000);
          while (occurrences(yield* logs, line) <= seenBefore) {
            const now = yield* state;
            if (!now.running) return yield* new ContainerFailed({ message: `${name} exited (code ${now.exitCode}) before it printed "${line}"` });
            if (Date.now() > deadline) return yield* new ContainerFailed({ message: `${name} did not print "${line}" within ${spec.startupTimeoutMs ?? 120_000} ms of its start` });
            yield* Effect.sleep(Duration.millis(250));
          }
        });

      const container: RunningContainer = {
        name,
        id: started.getId(),
        state,
        logs,
        kill: Effect.gen(function* () {
          // Docker refuses to signal a frozen container.
          if ((yield* state).paused) yield* attempt(`unpause ${name}`, () => docker.unpause());
          if (!(yield* state).running) return;
          yield* attempt(`kill ${name}`, () => docker.kill({ signal: "SIGKILL" }));
          yield* attempt(`wait for ${name} to exit`, () => docker.wait({ condition: "not-running" }));
        }),
        start: Effect.gen(function* () {
          if ((yield* state).running) return;
          const seen = spec.readyLine === undefined ? 0 : occurrences(yield* logs, spec.readyLine);
          yield* attempt(`start ${name}`, () => docker.start());
          yield* awaitReady(seen);
        }),
        pause: attempt(`pause ${name}`, () => docker.pause()),
        unpause: attempt(`unpause ${name}`, () => docker.unpause()),
        disconnect: attempt(`disconnect ${name} from ${spec.network.getName()}`, () => network.disconnect({ Container: started.getId() })),
        reconnect: attempt(`connect ${name} to ${spec.network.getName()}`, () =>
          network.connect({ Container: started.getId(), EndpointConfig: { Aliases: [...(spec.aliases ?? [])] } }),
        ),
      };
      return container;
    }),
    (container) =>
      Effect.gen(function* () {
        const now = yield* container.state;
        if (now.paused) yield* container.unpause;
        const client = yield* attempt("reach the Docker engine", () => getContainerRuntimeClient());
        const docker = client.container.getById(container.id);
        if (now.running) yield* attempt(`stop ${container.name}`, () => docker.stop({ t: spec.stopTimeoutSeconds ?? 3 })).pipe(Effect.ignore);
        if (spec.logFile !== undefined) {
          const file = spec.logFile;
          const text = yield* container.logs;
          yield* Effect.tryPromise(() => writeFile(file, text)).pipe(Effect.ignore);
        }
        yield* attempt(`remove ${container.name}`, () => docker.remove({ force: true, v: true }));
      }).pipe(Effect.catchAll((error) => Effect.logWarning(`container ${container.name} not cleaned up: ${error.message}`))),
  );
