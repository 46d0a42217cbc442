import { parentPort } from "node:worker_threads";
import { Effect } from "effect";
import type { Scenario } from "./load.ts";
import { runScenario, type RunOptions } from "./run.ts";

/** A run handed to a worker thread: the scenario travels as data (structured clone keeps its bigints). */
export interface WorkerTask {
  readonly index: number;
  readonly scenario: Scenario;
  readonly options: RunOptions;
}

// One worker runs several simulations at once: a simulation spends part of its time waiting on
// TestClock's timer yields, which the others fill.
parentPort?.on("message", (task: WorkerTask) => {
  void Effect.runPromise(runScenario(task.scenario, task.options)).then((run) => parentPort?.postMessage({ index: task.index, run }));
});
