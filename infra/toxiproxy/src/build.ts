import { execFile } from "node:child_process";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Effect } from "effect";
import { ToxiproxyUnavailable } from "./errors.ts";

/** The toxiproxy release that scripts/build.sh builds unless TOXIPROXY_VERSION says otherwise. */
export const TOXIPROXY_VERSION = "v2.12.0";

export const toxiproxyPackageDir = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/**
 * Builds toxiproxy-server from source (Go module proxy, cached under the user's cache directory)
 * and returns the binary's path. Once it has succeeded, later calls in the process reuse the path.
 */
export const buildToxiproxy: Effect.Effect<string, ToxiproxyUnavailable> = Effect.suspend(() =>
  built === undefined ? runBuild.pipe(Effect.tap((binary) => Effect.sync(() => void (built = binary)))) : Effect.succeed(built),
);

let built: string | undefined;

const runBuild = Effect.async<string, ToxiproxyUnavailable>((resume) => {
  const script = join(toxiproxyPackageDir, "scripts/build.sh");
  const child = execFile("bash", [script], { timeout: 900_000 }, (error, stdout, stderr) => {
    const lines = stdout.trim().split("\n");
    const binary = lines[lines.length - 1] ?? "";
    if (!error && binary.length > 0) return resume(Effect.succeed(binary));
    const message = stderr.trim().split("\n").filter(Boolean).slice(-3).join("\n") || String(error);
    resume(Effect.fail(new ToxiproxyUnavailable({ message })));
  });
  return Effect.sync(() => child.kill("SIGKILL"));
});
