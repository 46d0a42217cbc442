import { execFile } from "node:child_process";
import { join } from "node:path";
import { Effect } from "effect";
import { JarsUnavailable, JavaUnavailable } from "./errors.ts";
import { kafkaPackageDir } from "./paths.ts";

/**
 * Resolves the broker's jars (Maven Central, cached under the user's cache directory) and
 * returns the directory holding them. The first call per process does the work.
 */
export const fetchJars: Effect.Effect<string, JavaUnavailable | JarsUnavailable> = Effect.async<
  string,
  JavaUnavailable | JarsUnavailable
>((resume) => {
  const script = join(kafkaPackageDir, "scripts/fetch-jars.sh");
  const child = execFile("bash", [script], { timeout: 600_000 }, (error, stdout, stderr) => {
    const lines = stdout.trim().split("\n");
    const libs = lines[lines.length - 1] ?? "";
    if (!error && libs.length > 0) return resume(Effect.succeed(libs));
    const message = stderr.trim().split("\n").filter(Boolean).slice(-3).join("\n") || String(error);
    const code = (error as { code?: number } | null)?.code;
    resume(Effect.fail(code === 3 ? new JavaUnavailable({ message }) : new JarsUnavailable({ message })));
  });
  return Effect.sync(() => child.kill("SIGKILL"));
}).pipe(Effect.cached, Effect.flatten);
