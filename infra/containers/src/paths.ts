import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** This package's folder (this file lives in infra/containers/src). */
export const containersDir = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** Root of the repository. */
export const repoRoot = resolve(containersDir, "../..");

export const engineScript = join(containersDir, "scripts/engine.sh");
export const buildImagesScript = join(containersDir, "scripts/build-images.sh");

/** Where the engine keeps its state; engine.sh uses the same rule. */
export const engineStateDir = (): string => join(process.env["ZKT_STATE_DIR"] ?? join(repoRoot, ".testnet"), "docker");

/** dockerd's log when engine.sh started the engine. */
export const engineLogFile = (): string => join(engineStateDir(), "dockerd.log");
