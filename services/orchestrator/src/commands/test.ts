import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Command } from "@effect/platform";
import { Console, Data, Effect, Layer } from "effect";
import { DockerEngine, ensureImages } from "@zk-testnet/containers";
import { reapStrayBrokers, repoRoot } from "@zk-testnet/kafka";
import { UsageError, choiceFlag, parseArgs } from "../args.ts";

/** Some check or test did not pass; the summary line has already been printed. */
export class TestsFailed extends Data.TaggedError("TestsFailed")<{ readonly message: string }> {}

const TIERS = ["all", "unit", "int", "e2e"] as const;

interface VitestReport {
  readonly numPassedTests: number;
  readonly numFailedTests: number;
  readonly numPendingTests: number;
  readonly numTodoTests: number;
  readonly numTotalTests: number;
  readonly success: boolean;
}

const bin = (name: string) => join(repoRoot, "node_modules/.bin", name);

const run = (label: string, command: Command.Command) =>
  Effect.gen(function* () {
    yield* Console.log(`\n== ${label}`);
    return yield* Command.exitCode(
      command.pipe(Command.workingDirectory(repoRoot), Command.stdout("inherit"), Command.stderr("inherit")),
    );
  });

/**
 * `testnet test [--tier all|unit|int|e2e] [--no-lint] [-- vitest args]`: lint and typecheck,
 * then every test in one vitest run, with the Docker engine and images the container tests
 * need. Ends with the line `N passed, N failed, N skipped` from vitest's JSON report.
 */
export const testCommand = (argv: readonly string[]) =>
  Effect.gen(function* () {
    const parsed = parseArgs(argv, { tier: "string", "no-lint": "boolean" });
    if (parsed instanceof UsageError) return yield* parsed;
    if (parsed.positionals.length > 0) return yield* new UsageError({ message: `unexpected argument ${parsed.positionals[0]} (vitest arguments go after --)` });
    const tier = choiceFlag(parsed.flags, "tier", TIERS, "all");
    if (tier instanceof UsageError) return yield* tier;

    const strays = yield* reapStrayBrokers;
    if (strays > 0) yield* Console.log(`stopped ${strays} broker(s) left by an earlier run`);

    const failures: string[] = [];
    if (parsed.flags["no-lint"] !== true) {
      if ((yield* run("lint (nx run-many -t lint)", Command.make(bin("nx"), "run-many", "-t", "lint", "--outputStyle=static"))) !== 0) failures.push("lint");
      if ((yield* run("typecheck (tsc --noEmit)", Command.make(bin("tsc"), "--noEmit", "-p", "tsconfig.json"))) !== 0) failures.push("typecheck");
    }

    const reportDir = join(repoRoot, "reports");
    mkdirSync(reportDir, { recursive: true });
    const reportFile = join(reportDir, "vitest.json");
    const vitestArgs = [
      "run",
      ...(tier === "all" ? [] : ["--project", tier]),
      "--reporter=default",
      "--reporter=json",
      `--outputFile.json=${reportFile}`,
      ...parsed.rest,
    ];
    const needsEngine = tier === "all" || tier === "int" || tier === "e2e";

    const vitest = (env: Record<string, string>) =>
      run(`tests (vitest ${vitestArgs.join(" ")})`, Command.make(bin("vitest"), ...vitestArgs).pipe(Command.env(env)));

    const code = needsEngine
      ? yield* Effect.gen(function* () {
          const engine = yield* DockerEngine;
          yield* Console.log(`docker engine: ${engine.dockerHost} (${engine.origin})`);
          const images = yield* ensureImages;
          yield* Console.log(`images: ${images.base} ${images.kafka}`);
          return yield* vitest({ ...engine.env });
        }).pipe(Effect.provide(Layer.fresh(DockerEngine.layer)))
      : yield* vitest({});

    yield* reapStrayBrokers;
    if (!existsSync(reportFile)) {
      yield* Console.log("0 passed, 0 failed");
      return yield* new TestsFailed({ message: `vitest wrote no report (exit ${code})` });
    }
    const report = JSON.parse(readFileSync(reportFile, "utf8")) as VitestReport;
    if (code !== 0 && report.numFailedTests === 0) failures.push(`vitest exited ${code}`);
    if (report.numFailedTests > 0) failures.push(`${report.numFailedTests} test(s)`);
    if (report.numTotalTests === 0) failures.push("no test ran");
    if (failures.length > 0) yield* Console.log(`\nfailed: ${failures.join(", ")}`);
    const skipped = report.numPendingTests + report.numTodoTests;
    yield* Console.log(`${report.numPassedTests} passed, ${report.numFailedTests} failed${skipped > 0 ? `, ${skipped} skipped` : ""}`);
    if (failures.length > 0) return yield* new TestsFailed({ message: failures.join(", ") });
  });
