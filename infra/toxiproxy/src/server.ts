import { spawn, type ChildProcess } from "node:child_process";
import { Duration, Effect, Schedule, type Scope } from "effect";
import { freeTcpPort } from "@zk-testnet/kafka";
import { buildToxiproxy } from "./build.ts";
import { toxiproxyClient, type ToxiproxyClient } from "./client.ts";
import { ToxiproxyFailed, type ToxiproxyApiError, type ToxiproxyUnavailable } from "./errors.ts";

export interface ToxiproxyServer {
  /** Base URL of the HTTP API, e.g. http://127.0.0.1:41234. */
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  readonly version: string;
  readonly client: ToxiproxyClient;
  /** The last lines the server printed, for a failing test to show. */
  readonly logTail: (lines?: number) => string;
}

export interface ToxiproxyOptions {
  /** A toxiproxy-server binary to run instead of building one. */
  readonly binary?: string;
  /** The server's LOG_LEVEL (debug, info, warn, error); warn keeps per-connection lines out. */
  readonly logLevel?: string;
}

const READY_TIMEOUT = Duration.seconds(15);
const STOP_GRACE_MS = 5_000;
const KEEP_OUTPUT_BYTES = 64 * 1024;

const stop = (child: ChildProcess): Promise<void> =>
  new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => child.kill("SIGKILL"), STOP_GRACE_MS);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill("SIGTERM");
  });

/** One attempt: spawn on a free port and wait until GET /version answers. */
const startOnce = (binary: string, logLevel: string): Effect.Effect<ToxiproxyServer, ToxiproxyFailed, Scope.Scope> =>
  Effect.gen(function* () {
    const port = yield* freeTcpPort;
    let output = "";
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString("utf8")).slice(-KEEP_OUTPUT_BYTES);
    };
    const logTail = (lines = 40) => output.split("\n").slice(-lines - 1).join("\n");
    const child = yield* Effect.acquireRelease(
      Effect.sync(() => {
        const child = spawn(binary, ["-host", "127.0.0.1", "-port", String(port)], {
          stdio: ["ignore", "pipe", "pipe"],
          env: { ...process.env, LOG_LEVEL: logLevel },
        });
        child.stdout?.on("data", keep);
        child.stderr?.on("data", keep);
        child.on("error", (e) => keep(Buffer.from(`spawn error: ${e.message}\n`)));
        // A process that exits without closing its scope must not leave the server behind.
        const onExit = () => child.kill("SIGKILL");
        process.once("exit", onExit);
        return { child, onExit };
      }),
      ({ child, onExit }) =>
        Effect.promise(() => stop(child)).pipe(Effect.ensuring(Effect.sync(() => process.off("exit", onExit)))),
    ).pipe(Effect.map(({ child }) => child));

    const url = `http://127.0.0.1:${port}`;
    const client = toxiproxyClient(url);
    const exited = () => child.exitCode !== null || child.signalCode !== null || child.pid === undefined;
    const version = yield* Effect.suspend((): Effect.Effect<string, ToxiproxyFailed | ToxiproxyApiError> =>
      exited()
        ? Effect.fail(new ToxiproxyFailed({ message: "toxiproxy-server exited during start", logTail: logTail() }))
        : client.version,
    ).pipe(
      Effect.retry({
        schedule: Schedule.spaced("50 millis"),
        while: (e) => e._tag === "ToxiproxyApiError",
      }),
      Effect.timeoutFail({
        duration: READY_TIMEOUT,
        onTimeout: () => new ToxiproxyFailed({ message: "toxiproxy-server did not answer in time", logTail: logTail() }),
      }),
      Effect.catchTag("ToxiproxyApiError", (e) => Effect.fail(new ToxiproxyFailed({ message: e.message, logTail: logTail() }))),
      // A failed attempt stops its process now, not when the caller's scope closes.
      Effect.tapError(() => Effect.promise(() => stop(child))),
    );
    return { url, port, pid: child.pid ?? 0, version, client, logTail };
  });

/**
 * Builds (once) and starts toxiproxy-server on 127.0.0.1 with a free API port, waits until its
 * API answers, and stops it when the scope closes. A start that loses its port to another
 * process is tried again on a new one.
 */
export const startToxiproxy = (
  options: ToxiproxyOptions = {},
): Effect.Effect<ToxiproxyServer, ToxiproxyUnavailable | ToxiproxyFailed, Scope.Scope> =>
  Effect.gen(function* () {
    const binary = options.binary ?? (yield* buildToxiproxy);
    const logLevel = options.logLevel ?? "warn";
    return yield* startOnce(binary, logLevel).pipe(Effect.retry({ times: 2 }));
  });
