import { join, relative, resolve } from "node:path";
import { Console, Effect } from "effect";
import { apiVersionsProbe, repoRoot } from "@zk-testnet/kafka";
import { UsageError, choiceFlag, intFlag, parseArgs } from "../args.ts";
import { loadCatalogue, loadScenario, type Scenario } from "../scenario/load.ts";
import { failureLines } from "../scenario/report.ts";
import type { ScenarioRun } from "../scenario/run.ts";
import { MODES, type Mode } from "../scenario/schema.ts";
import { runSuite } from "../scenario/suite.ts";

/** Some runs of a suite failed; the lines above and the reports say which and how to reproduce them. */
export class ScenariosFailed extends Error {
  readonly _tag = "ScenariosFailed";
}

const USAGE = "usage: testnet scenario list | scenario run <name|file|all>... [--mode sim|embedded|kafka|containers] [--seed S] [--seeds N] [--report-dir DIR] [--jobs N] [--brokers host:port,...]";

const RUN_FLAGS = { mode: "string", seed: "string", seeds: "string", "report-dir": "string", jobs: "string", brokers: "string" } as const;

/** `testnet scenario list` and `testnet scenario run`. */
export const scenarioCommand = (argv: readonly string[]) => {
  const [sub, ...rest] = argv;
  switch (sub) {
    case "list":
      return listCommand(rest);
    case "run":
      return runCommand(rest);
    case undefined:
      return Effect.fail(new UsageError({ message: USAGE }));
    default:
      return Effect.fail(new UsageError({ message: `unknown scenario command ${sub} (${USAGE})` }));
  }
};

const asUsage = <A, R>(effect: Effect.Effect<A, { readonly message: string }, R>) => Effect.mapError(effect, (e) => new UsageError({ message: e.message }));

const listCommand = (argv: readonly string[]) =>
  Effect.gen(function* () {
    if (argv.length > 0) return yield* new UsageError({ message: "usage: testnet scenario list" });
    const scenarios = yield* asUsage(loadCatalogue());
    const width = Math.max(4, ...scenarios.map((s) => s.name.length));
    const modesWidth = Math.max(5, ...scenarios.map((s) => s.modes.join(",").length));
    yield* Console.log(`${"NAME".padEnd(width)}  ${"MODES".padEnd(modesWidth)}  DESCRIPTION`);
    for (const s of scenarios) yield* Console.log(`${s.name.padEnd(width)}  ${s.modes.join(",").padEnd(modesWidth)}  ${s.description.replace(/\s+/g, " ").trim()}`);
  });

const display = (path: string): string => relative(process.cwd(), path) || ".";

const printRun = (run: ScenarioRun) =>
  Effect.gen(function* () {
    const head = `${run.outcome.toUpperCase().padEnd(7)} ${run.scenario} seed ${run.seed} (${run.mode}) ${(run.durationMs / 1000).toFixed(1)} s`;
    if (run.outcome === "passed") return yield* Console.log(`${head}  log ${run.logHash?.slice(0, 12)}`);
    if (run.outcome === "skipped") return yield* Console.log(`SKIPPED ${run.scenario} (${run.mode}): ${run.error}`);
    yield* Console.log(head);
    for (const line of failureLines(run)) yield* Console.log(`  ${line}`);
    yield* Console.log(`  reproduce: ${run.reproduce}`);
    if (run.logFile !== undefined) yield* Console.log(`  log: ${display(run.logFile)} (./testnet replay ${display(run.logFile)})`);
  });

/** Checks --brokers: host:port list, kafka mode, one run (a run's topics stay on the broker), someone answering. */
const brokersOf = (raw: string | true | undefined, mode: Mode, runs: number) =>
  Effect.gen(function* () {
    if (raw === undefined) return undefined;
    if (mode !== "kafka") return yield* new UsageError({ message: "--brokers needs --mode kafka" });
    const brokers = String(raw).split(",");
    if (brokers.some((b) => !/^[\w.-]+:\d{1,5}$/.test(b))) return yield* new UsageError({ message: `--brokers must be host:port[,host:port...], got ${String(raw)}` });
    if (runs !== 1) return yield* new UsageError({ message: "--brokers takes one run (one scenario, one seed): runs would share the broker's topics" });
    const answers = yield* Effect.forEach(brokers, (b) => {
      const [host, port] = b.split(":");
      return Effect.promise(() => apiVersionsProbe(host!, Number(port), 3_000));
    });
    if (!answers.some(Boolean)) return yield* new UsageError({ message: `no Kafka broker answers at ${brokers.join(",")}` });
    return brokers;
  });

const runCommand = (argv: readonly string[]) =>
  Effect.gen(function* () {
    const parsed = parseArgs(argv, RUN_FLAGS);
    if (parsed instanceof UsageError) return yield* parsed;
    if (parsed.positionals.length === 0) return yield* new UsageError({ message: USAGE });
    const f = parsed.flags;
    const mode = choiceFlag(f, "mode", MODES, "sim");
    if (mode instanceof UsageError) return yield* mode;
    const seeds = f["seeds"] === undefined ? undefined : intFlag(f, "seeds", 20, 1, 10_000);
    if (seeds instanceof UsageError) return yield* seeds;
    const jobs = intFlag(f, "jobs", 0, 1, 64);
    if (jobs instanceof UsageError) return yield* jobs;
    const given = typeof f["seed"] === "string" ? f["seed"] : undefined;
    if (given !== undefined && seeds !== undefined) return yield* new UsageError({ message: "--seed and --seeds exclude each other" });
    // A simulation runs each scenario's seeds (20 by default, seconds in all); a real-time run
    // takes its slots on the wall clock (30 s to a minute a run in kafka or containers mode), so
    // without --seed or --seeds it runs seed 1 alone.
    const seed = given ?? (mode !== "sim" && seeds === undefined ? "1" : undefined);

    const scenarios: Scenario[] = [];
    for (const ref of parsed.positionals) {
      if (ref === "all") scenarios.push(...(yield* asUsage(loadCatalogue())));
      else {
        const scenario = yield* asUsage(loadScenario(ref));
        if (!scenario.modes.includes(mode)) {
          return yield* new UsageError({ message: `scenario ${scenario.name} runs in ${scenario.modes.join(", ")}, not ${mode}` });
        }
        scenarios.push(scenario);
      }
    }
    const runs = scenarios.filter((s) => s.modes.includes(mode)).reduce((n, s) => n + (seed !== undefined ? 1 : (seeds ?? s.seeds)), 0);
    const brokers = yield* brokersOf(f["brokers"], mode, runs);
    const reportDir = typeof f["report-dir"] === "string" ? resolve(f["report-dir"]) : join(repoRoot, "reports", "scenarios");

    yield* Console.log(`scenarios: ${scenarios.length}, ${runs} run(s) in ${mode} mode`);
    const report = yield* runSuite(scenarios, {
      mode,
      reportDir,
      onResult: printRun,
      ...(seed !== undefined ? { seed } : {}),
      ...(seeds !== undefined ? { seeds } : {}),
      ...(jobs !== 0 ? { jobs } : {}),
      ...(brokers !== undefined ? { brokers } : {}),
    });
    const t = report.totals;
    yield* Console.log(
      `\n${t.passed} passed, ${t.failed} failed, ${t.errors} errors${t.skipped > 0 ? `, ${t.skipped} skipped` : ""} in ${(report.durationMs / 1000).toFixed(1)} s`,
    );
    yield* Console.log(`reports: ${display(report.files.junit)}, ${display(report.files.json)}`);
    if (t.failed + t.errors > 0) return yield* Effect.fail(new ScenariosFailed(`${t.failed + t.errors} of ${report.runs.length - t.skipped} run(s) did not pass; each has its reproduce command above`));
  });
