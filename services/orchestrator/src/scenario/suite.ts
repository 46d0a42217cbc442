import { availableParallelism } from "node:os";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { Effect, Either, Layer, Queue } from "effect";
import type { Scenario } from "./load.ts";
import { writeReports, type SuiteResults } from "./report.ts";
import { engineLayer, reproduceCommand, runScenario, type RunOptions, type ScenarioRun } from "./run.ts";
import type { Mode } from "./schema.ts";
import type { WorkerTask } from "./worker.ts";

export interface SuiteOptions {
  readonly mode: Mode;
  /** Run every scenario with this one seed. */
  readonly seed?: string;
  /** Run every scenario with seeds "1" to N instead of its own `seeds`. */
  readonly seeds?: number;
  readonly reportDir: string;
  readonly brokers?: readonly string[];
  /**
   * Simulations: worker threads (default: one per core; 1 runs them in this thread). Real-time
   * modes: runs at once (default 1), each with brokers and processes of its own; they mostly
   * wait on the wall clock, but a machine too busy to keep their deadlines fails them.
   */
  readonly jobs?: number;
  /** Told each run as it ends, in the order they end. */
  readonly onResult?: (run: ScenarioRun) => Effect.Effect<void>;
}

export interface SuiteTotals {
  readonly passed: number;
  readonly failed: number;
  readonly errors: number;
  readonly skipped: number;
}

/** What a suite run gave (runs by scenario in the order given, then seed), and where its reports are. */
export interface SuiteReport extends SuiteResults {
  readonly files: { readonly junit: string; readonly json: string };
}

/** Simulations each worker thread runs at once. */
const SIMS_PER_WORKER = 3;

export const seedsOf = (scenario: Scenario, options: Pick<SuiteOptions, "seed" | "seeds">): string[] =>
  options.seed !== undefined ? [options.seed] : Array.from({ length: options.seeds ?? scenario.seeds }, (_, i) => String(i + 1));

const skippedRun = (scenario: Scenario, mode: Mode): ScenarioRun => ({
  scenario: scenario.name,
  file: scenario.file,
  seed: "",
  mode,
  outcome: "skipped",
  violations: [],
  expectationFailures: [],
  error: `the scenario runs in ${scenario.modes.join(", ")}, not ${mode}`,
  durationMs: 0,
  reproduce: "",
});

export const totalsOf = (runs: readonly ScenarioRun[]): SuiteTotals => ({
  passed: runs.filter((r) => r.outcome === "passed").length,
  failed: runs.filter((r) => r.outcome === "failed").length,
  errors: runs.filter((r) => r.outcome === "error").length,
  skipped: runs.filter((r) => r.outcome === "skipped").length,
});

/**
 * Runs every scenario that supports the mode over its seeds, then writes the JUnit XML and JSON
 * reports to `reportDir` (failed runs' logs under `reportDir/logs`). Simulations are spread over
 * worker threads; real-time modes run `jobs` at a time (default one).
 */
export const runSuite = (scenarios: readonly Scenario[], options: SuiteOptions): Effect.Effect<SuiteReport> =>
  Effect.gen(function* () {
    const startedAt = new Date();
    const t0 = performance.now();
    const logDir = join(options.reportDir, "logs");
    const tasks: { scenario: Scenario; options: RunOptions }[] = [];
    const slots: (ScenarioRun | undefined)[] = [];
    for (const scenario of scenarios) {
      if (!scenario.modes.includes(options.mode)) {
        slots.push(skippedRun(scenario, options.mode));
        continue;
      }
      for (const seed of seedsOf(scenario, options)) {
        slots.push(undefined);
        tasks.push({ scenario, options: { mode: options.mode, seed, logDir, ...(options.brokers !== undefined ? { brokers: options.brokers } : {}) } });
      }
    }
    const onResult = options.onResult ?? (() => Effect.void);
    const jobs = Math.max(1, options.jobs ?? (options.mode === "sim" ? availableParallelism() : 1));
    const runs =
      options.mode === "sim" && jobs > 1 && tasks.length > 1
        ? yield* inWorkers(tasks, Math.min(jobs, Math.ceil(tasks.length / SIMS_PER_WORKER)), onResult)
        : yield* withSharedEngine(
            options.mode === "containers" && tasks.length > 0,
            Effect.forEach(tasks, (t) => Effect.tap(runScenario(t.scenario, t.options), onResult), { concurrency: options.mode === "sim" ? SIMS_PER_WORKER : jobs }),
          );
    const fresh = runs.values();
    const ordered = slots.map((s) => s ?? (fresh.next().value as ScenarioRun));
    const report = { mode: options.mode, startedAt: startedAt.toISOString(), durationMs: Math.round(performance.now() - t0), scenarios, runs: ordered, totals: totalsOf(ordered) };
    const files = writeReports(report, options.reportDir);
    return { ...report, files } satisfies SuiteReport;
  });

/**
 * Containers-mode runs share one Docker engine for the whole suite: one started per run would
 * be stopped by the first run to end while the others still use it. An engine that cannot be
 * had is each run's error to report, as when a run starts its own.
 */
const withSharedEngine = <A>(containers: boolean, runs: Effect.Effect<A>): Effect.Effect<A> =>
  containers
    ? Effect.scoped(
        Effect.gen(function* () {
          const built = yield* Effect.either(Layer.build(Layer.fresh(engineLayer())));
          return yield* Either.isRight(built) ? Effect.provide(runs, built.right) : runs;
        }),
      )
    : runs;

/** A run the suite owes, with its place among the results. */
interface IndexedTask {
  readonly index: number;
  readonly scenario: Scenario;
  readonly options: RunOptions;
}

const lostRun = (task: IndexedTask, why: string): ScenarioRun => ({
  scenario: task.scenario.name,
  file: task.scenario.file,
  seed: task.options.seed,
  mode: task.options.mode,
  outcome: "error",
  violations: [],
  expectationFailures: [],
  error: why,
  durationMs: 0,
  reproduce: reproduceCommand(task.scenario, task.options.seed, task.options.mode),
});

/** Runs the tasks on `workers` threads, a few at a time on each; results in task order. */
const inWorkers = (tasks: readonly { scenario: Scenario; options: RunOptions }[], workers: number, onResult: (run: ScenarioRun) => Effect.Effect<void>) =>
  Effect.gen(function* () {
    const done = yield* Queue.unbounded<{ index: number; run: ScenarioRun }>();
    const results: ScenarioRun[] = new Array(tasks.length);
    const waiting: IndexedTask[] = tasks.map((t, index) => ({ index, ...t }));
    const pool = yield* Effect.acquireRelease(
      Effect.sync(() => Array.from({ length: workers }, () => new Worker(new URL("./worker.ts", import.meta.url)))),
      (ws) => Effect.promise(() => Promise.all(ws.map((w) => w.terminate()))),
    );
    const inFlight = new Map<Worker, Map<number, IndexedTask>>(pool.map((w) => [w, new Map()]));
    const dispatch = (worker: Worker) => {
      const mine = inFlight.get(worker);
      for (let task = waiting.shift(); task !== undefined; task = waiting.shift()) {
        if (mine === undefined || mine.size >= SIMS_PER_WORKER) {
          waiting.unshift(task);
          return;
        }
        mine.set(task.index, task);
        worker.postMessage(task satisfies WorkerTask);
      }
    };
    for (const worker of pool) {
      worker.on("message", (message: { index: number; run: ScenarioRun }) => {
        inFlight.get(worker)?.delete(message.index);
        Queue.unsafeOffer(done, message);
        dispatch(worker);
      });
      // A worker that dies takes its runs with it: they are reported as errors, the other workers take the rest.
      worker.on("error", (error) => {
        const lost = [...(inFlight.get(worker)?.values() ?? [])];
        inFlight.delete(worker);
        for (const task of lost) Queue.unsafeOffer(done, { index: task.index, run: lostRun(task, `worker thread died: ${error.message}`) });
        for (const survivor of inFlight.keys()) dispatch(survivor);
      });
      dispatch(worker);
    }
    for (let received = 0; received < tasks.length; received++) {
      const { index, run } = yield* Queue.take(done);
      results[index] = run;
      yield* onResult(run);
      // Every worker died: what is left runs in this thread.
      if (inFlight.size === 0) for (let task = waiting.shift(); task !== undefined; task = waiting.shift()) yield* Queue.offer(done, { index: task.index, run: yield* runScenario(task.scenario, task.options) });
    }
    return results;
  }).pipe(Effect.scoped);
