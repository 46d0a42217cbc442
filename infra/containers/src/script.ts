import { execFile } from "node:child_process";
import { Effect } from "effect";

export interface ScriptResult {
  /** Exit code; null when the script was killed (e.g. by the timeout). */
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a bash script to completion. Never fails: the caller judges the exit code. */
export const runScript = (
  script: string,
  args: readonly string[],
  options: { readonly env?: NodeJS.ProcessEnv; readonly timeoutMs: number },
): Effect.Effect<ScriptResult> =>
  Effect.async<ScriptResult>((resume) => {
    const child = execFile(
      "bash",
      [script, ...args],
      { env: options.env ?? process.env, timeout: options.timeoutMs, killSignal: "SIGTERM", maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : null;
        resume(Effect.succeed({ code, stdout, stderr }));
      },
    );
    return Effect.sync(() => child.kill("SIGTERM"));
  });

/** The lines of a script's output, without blanks. */
export const lines = (text: string): string[] =>
  text
    .split("\n")
    .map((line) => line.trimEnd())
    .filter((line) => line.length > 0);

/** The first line that reports an error (without the script's "name: error:" prefix), else the last line, else a fallback. */
export const errorLine = (stderr: string, fallback: string): string => {
  const all = lines(stderr);
  const line = all.find((l) => l.includes("error:")) ?? all[all.length - 1] ?? fallback;
  return line.replace(/^[\w.-]+: error: /, "");
};

export const tailOf = (text: string, count: number): string => lines(text).slice(-count).join("\n");
