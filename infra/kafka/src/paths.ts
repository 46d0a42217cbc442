import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** Root of the repository (this file lives in infra/kafka/src). */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");

export const kafkaPackageDir = join(repoRoot, "infra/kafka");

/** Where runs keep their state (broker data, logs, pid files); ignored by git. */
export const stateDir = (): string => process.env["ZKT_STATE_DIR"] ?? join(repoRoot, ".testnet");

/** The user's cache directory for downloads that outlive a checkout. */
export const cacheDir = (): string =>
  join(process.env["XDG_CACHE_HOME"] ?? join(homedir(), ".cache"), "zk-testnet");
