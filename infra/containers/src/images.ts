import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Effect } from "effect";
import { DockerEngine } from "./engine.ts";
import { ImageBuildFailed } from "./errors.ts";
import { buildImagesScript, repoRoot } from "./paths.ts";
import { errorLine, lines, runScript, tailOf } from "./script.ts";

/** Debian bookworm minbase + OpenJDK 17 JRE, imported from a debootstrapped root file system. */
export const BASE_IMAGE = "zk-testnet/debian-base:12-local";

/** The Kafka 4.1.2 broker on BASE_IMAGE; its environment follows the official apache/kafka image. */
export const KAFKA_IMAGE = "zk-testnet/kafka:4.1.2-local";

/** The pinned Node (.node-version) on BASE_IMAGE; the services run from the repository, bind-mounted read-only. */
export const NODE_SERVICE_IMAGE = `zk-testnet/node-service:${readFileSync(join(repoRoot, ".node-version"), "utf8").trim()}-local`;

export interface Images {
  readonly base: string;
  readonly kafka: string;
  readonly nodeService: string;
  /** What build-images.sh reported: what it built or found up to date, and how long it took. */
  readonly report: string;
}

/**
 * Builds the local images on the engine unless they are present and up to date (build-images.sh).
 * The first build on a machine runs debootstrap (about a minute); later ones take about a second.
 */
export const ensureImages: Effect.Effect<Images, ImageBuildFailed, DockerEngine> = Effect.gen(function* () {
  const engine = yield* DockerEngine;
  const result = yield* runScript(buildImagesScript, [], { env: { ...process.env, ...engine.env }, timeoutMs: 45 * 60_000 });
  const report = lines(result.stderr)
    .filter((line) => line.startsWith("build-images:"))
    .join("\n");
  const [base, kafka, nodeService] = (lines(result.stdout).at(-1) ?? "").split(" ");
  if (result.code !== 0 || base === undefined || kafka === undefined || nodeService === undefined) {
    return yield* new ImageBuildFailed({
      message: errorLine(result.stderr, result.code === null ? "build-images.sh was stopped after 45 minutes" : `build-images.sh exited with ${result.code}`),
      outputTail: tailOf(result.stderr, 40),
    });
  }
  yield* Effect.logDebug(report);
  return { base, kafka, nodeService, report };
});

/**
 * Builds the Toxiproxy image (`build-images.sh toxiproxy`: the base if missing, toxiproxy-server
 * from source through the Go module proxy, once) unless it is up to date; returns its tag.
 * Only containers-mode runs with latency, timeout, reset or bandwidth faults need it.
 */
export const ensureToxiproxyImage: Effect.Effect<string, ImageBuildFailed, DockerEngine> = Effect.gen(function* () {
  const engine = yield* DockerEngine;
  const result = yield* runScript(buildImagesScript, ["toxiproxy"], { env: { ...process.env, ...engine.env }, timeoutMs: 45 * 60_000 });
  const tag = lines(result.stdout).at(-1);
  if (result.code !== 0 || tag === undefined || tag === "") {
    return yield* new ImageBuildFailed({
      message: errorLine(result.stderr, result.code === null ? "build-images.sh toxiproxy was stopped after 45 minutes" : `build-images.sh toxiproxy exited with ${result.code}`),
      outputTail: tailOf(result.stderr, 40),
    });
  }
  return tag;
});
