import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Effect } from "effect";
import { livePid, startCluster, stopCluster, type ClusterLayout, type ClusterOptions, type StartError } from "./cluster.ts";
import { stateDir } from "./paths.ts";

/** The file where `testnet infra up` records what it started, for `testnet infra down`. */
const infraFile = (): string => join(stateDir(), "infra.json");

export const readInfra = (): ClusterLayout | undefined => {
  if (!existsSync(infraFile())) return undefined;
  try {
    return JSON.parse(readFileSync(infraFile(), "utf8")) as ClusterLayout;
  } catch {
    return undefined;
  }
};

/** Starts detached brokers that outlive this process and records them; reuses a live one of the same size. */
export const infraUp = (options: ClusterOptions): Effect.Effect<ClusterLayout, StartError> =>
  Effect.gen(function* () {
    const current = readInfra();
    if (current !== undefined) {
      const live = current.nodes.filter((n) => livePid(n) !== undefined).length;
      if (live === current.nodes.length && current.nodes.length === options.nodes) return current;
      yield* stopCluster(current);
    }
    const layout = yield* startCluster({ ...options, label: options.label ?? "infra" });
    mkdirSync(stateDir(), { recursive: true });
    writeFileSync(infraFile(), JSON.stringify(layout, null, 2));
    return layout;
  });

/** Stops what infraUp started. Returns the layout it stopped, if any. */
export const infraDown: Effect.Effect<ClusterLayout | undefined> = Effect.gen(function* () {
  const current = readInfra();
  if (current === undefined) return undefined;
  yield* stopCluster(current, true);
  rmSync(infraFile(), { force: true });
  return current;
});

/**
 * Stops every broker any run left under the state directory (a crashed test run, say), so
 * that nothing keeps running after the tests. Returns how many processes it stopped.
 */
export const reapStrayBrokers: Effect.Effect<number> = Effect.gen(function* () {
  const root = join(stateDir(), "kafka");
  if (!existsSync(root)) return 0;
  let stopped = 0;
  for (const run of readdirSync(root)) {
    const file = join(root, run, "layout.json");
    if (!existsSync(file)) continue;
    const layout = JSON.parse(readFileSync(file, "utf8")) as ClusterLayout;
    const live = layout.nodes.filter((n) => livePid(n) !== undefined);
    stopped += live.length;
    if (live.length > 0) yield* stopCluster(layout, true);
  }
  return stopped;
});
