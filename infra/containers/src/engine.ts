import { request } from "node:http";
import { Context, Effect, Layer } from "effect";
import { EngineUnavailable } from "./errors.ts";
import { engineLogFile, engineScript } from "./paths.ts";
import { errorLine, lines, runScript, tailOf } from "./script.ts";

/**
 * Where the engine came from:
 * - `started`: this layer started a project-private dockerd and stops it when its scope closes
 * - `running`: a dockerd that an earlier `engine.sh start` started was already up (left running)
 * - `external`: an engine that engine.sh did not start (DOCKER_HOST or /var/run/docker.sock)
 * - `environment`: taken from DOCKER_HOST as given, without engine.sh
 */
export type EngineOrigin = "started" | "running" | "external" | "environment";

export interface DockerEngineApi {
  /** e.g. unix:///…/.testnet/docker/run/docker.sock */
  readonly dockerHost: string;
  readonly origin: EngineOrigin;
  /**
   * Environment for the docker client, child processes and testcontainers: DOCKER_HOST, and
   * TESTCONTAINERS_RYUK_DISABLED=true because the reaper's image cannot be pulled here
   * (containers are removed by their tests, and `engine.sh stop` removes whatever is left).
   */
  readonly env: Readonly<Record<string, string>>;
}

const engineEnv = (dockerHost: string): Readonly<Record<string, string>> => ({
  DOCKER_HOST: dockerHost,
  TESTCONTAINERS_RYUK_DISABLED: "true",
});

/** Whether the Docker API answers /_ping at a unix:// or tcp:// host (other schemes: not checked). */
export const pingEngine = (dockerHost: string): Effect.Effect<void, EngineUnavailable> => {
  const unavailable = (why: string) =>
    new EngineUnavailable({ message: `the Docker engine at ${dockerHost} does not answer: ${why}`, logFile: engineLogFile(), logTail: "" });
  let target: { socketPath: string } | { host: string; port: number };
  if (dockerHost.startsWith("unix://")) {
    target = { socketPath: dockerHost.slice("unix://".length) };
  } else if (dockerHost.startsWith("tcp://")) {
    const url = new URL(dockerHost.replace(/^tcp:/, "http:"));
    target = { host: url.hostname, port: Number(url.port || 2375) };
  } else {
    return Effect.void;
  }
  return Effect.async<void, EngineUnavailable>((resume) => {
    const req = request({ ...target, path: "/_ping", method: "GET", timeout: 10_000 }, (res) => {
      res.resume();
      if (res.statusCode === 200) resume(Effect.void);
      else resume(Effect.fail(unavailable(`HTTP ${res.statusCode ?? "?"}`)));
    });
    req.on("timeout", () => req.destroy(new Error("no answer within 10 s")));
    req.on("error", (error) => resume(Effect.fail(unavailable(error.message))));
    req.end();
    return Effect.sync(() => req.destroy());
  });
};

/** `engine.sh start`, parsed. */
export const startEngine: Effect.Effect<DockerEngineApi, EngineUnavailable> = Effect.gen(function* () {
  // Ten minutes: the first start on a fresh machine installs docker.io with apt-get.
  const result = yield* runScript(engineScript, ["start"], { timeoutMs: 600_000 });
  const out = lines(result.stdout);
  const host = out.findLast((line) => line.startsWith("DOCKER_HOST="))?.slice("DOCKER_HOST=".length);
  const origin = out.findLast((line) => line.startsWith("ZKT_DOCKER_ENGINE="))?.slice("ZKT_DOCKER_ENGINE=".length);
  if (result.code !== 0 || host === undefined || (origin !== "started" && origin !== "running" && origin !== "external")) {
    return yield* new EngineUnavailable({
      message: errorLine(
        result.stderr,
        result.code === null ? "engine.sh start was stopped after 10 minutes" : `engine.sh start exited with ${result.code}`,
      ),
      logFile: engineLogFile(),
      logTail: tailOf(result.stderr, 40),
    });
  }
  return { dockerHost: host, origin, env: engineEnv(host) };
});

/** `engine.sh stop`; it stops only a dockerd that engine.sh started. Never fails. */
export const stopEngine: Effect.Effect<void> = Effect.gen(function* () {
  const result = yield* runScript(engineScript, ["stop"], { timeoutMs: 180_000 });
  if (result.code !== 0) {
    yield* Effect.logWarning(`engine.sh stop failed: ${errorLine(result.stderr, `exit ${result.code}`)}`);
  }
});

export class DockerEngine extends Context.Tag("@zk-testnet/containers/DockerEngine")<DockerEngine, DockerEngineApi>() {
  /**
   * Runs `engine.sh start` (reusing an engine that already answers) and, when the scope closes,
   * `engine.sh stop`, but only if this layer was the one that started the engine.
   */
  static readonly layer: Layer.Layer<DockerEngine, EngineUnavailable> = Layer.scoped(
    DockerEngine,
    Effect.acquireRelease(startEngine, (engine) => (engine.origin === "started" ? stopEngine : Effect.void)),
  );

  /** The engine named by DOCKER_HOST (as a test runner's global setup exports it); never starts or stops one. */
  static readonly fromEnv: Layer.Layer<DockerEngine, EngineUnavailable> = Layer.effect(
    DockerEngine,
    Effect.gen(function* () {
      const host = process.env["DOCKER_HOST"];
      if (host === undefined || host === "") {
        const reason = process.env["ZKT_DOCKER_ENGINE_ERROR"];
        return yield* new EngineUnavailable({
          message:
            reason === undefined
              ? "DOCKER_HOST is not set: start an engine with infra/containers/scripts/engine.sh start and export its DOCKER_HOST line"
              : `no Docker engine: ${reason}`,
          logFile: engineLogFile(),
          logTail: "",
        });
      }
      yield* pingEngine(host);
      return { dockerHost: host, origin: "environment" as const, env: engineEnv(host) };
    }),
  );
}
