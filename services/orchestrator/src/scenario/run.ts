import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Cause, Effect, Either, Layer, Option } from "effect";
import { sha256 } from "@zk-testnet/event-log";
import { encodeNetwork, type NetworkConfig } from "@zk-testnet/network";
import { readJsonl, runMetrics, type InvariantReport, type RunMetrics } from "@zk-testnet/testkit";
import { DockerEngine } from "@zk-testnet/containers";
import { CONTAINERS_MODE_LEAD_MS, KAFKA_MODE_LEAD_MS } from "../commands/up.ts";
import { runContainers } from "../run/containers.ts";
import { networkFileOf } from "../commands/replay.ts";
import { runEmbedded } from "../run/embedded.ts";
import { kafkaNodesFor } from "../run/faults.ts";
import { runProcesses } from "../run/processes.ts";
import { simulate } from "../run/simulate.ts";
import { checkExpectations } from "./expect.ts";
import { faultSteps, scenarioNetwork, type Scenario } from "./load.ts";
import type { Mode } from "./schema.ts";

/** The metrics a report keeps of one run (amounts as decimal strings, times in ms). */
export interface RunMetricsReport {
  readonly blocks: { readonly proposed: number; readonly finalized: number; readonly reorgedOut: number; readonly pending: number };
  readonly timeToFinalityMs: { readonly p50: number; readonly p95: number; readonly max: number } | null;
  readonly takeovers: number;
  readonly openRounds: number;
  readonly slashes: number;
  readonly slashedAmount: string;
  readonly uncles: number;
  /** Submitted proofs of settled blocks left out of every finalized tree, and their share. */
  readonly wastedProofs: { readonly count: number; readonly share: number | null };
  readonly rewardGini: number;
  readonly nakamoto: number;
  readonly rewardsByProver: Readonly<Record<string, string>>;
}

/** One run of one scenario in one mode with one seed, as the reports keep it. */
export interface ScenarioRun {
  readonly scenario: string;
  readonly file: string;
  readonly seed: string;
  readonly mode: Mode;
  readonly outcome: "passed" | "failed" | "error" | "skipped";
  readonly violations: readonly { readonly invariant: number; readonly rule: string; readonly message: string; readonly events: readonly string[] }[];
  readonly expectationFailures: readonly string[];
  /** Why the run could not be carried out or checked (outcome "error"), or why it was skipped. */
  readonly error?: string;
  readonly metrics?: RunMetricsReport;
  /** SHA-256 of the run's JSONL export. */
  readonly logHash?: string;
  /** The saved JSONL log of a failed run (`./testnet replay FILE` reads it). */
  readonly logFile?: string;
  readonly durationMs: number;
  /** The command that runs exactly this again. */
  readonly reproduce: string;
}

export interface RunOptions {
  readonly mode: Mode;
  readonly seed: string;
  /** Where a failed run's log is saved. */
  readonly logDir: string;
  /** Kafka mode: brokers to use (one run only, they keep its topics); without them each run starts its own broker. */
  readonly brokers?: readonly string[];
}

export const reproduceCommand = (scenario: Pick<Scenario, "ref">, seed: string, mode: Mode): string =>
  `./testnet scenario run ${shellWord(scenario.ref)} --seed ${shellWord(seed)} --mode ${mode}`;

const shellWord = (word: string): string => (/^[\w./:=@-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`);

/** A file name part from a seed or scenario name. */
const fileSafe = (text: string): string => text.replace(/[^\w.-]+/g, "_");

export const metricsReport = (m: RunMetrics): RunMetricsReport => ({
  blocks: m.blocks,
  timeToFinalityMs: m.timeToFinalityMs === undefined ? null : { p50: m.timeToFinalityMs.p50, p95: m.timeToFinalityMs.p95, max: m.timeToFinalityMs.max },
  takeovers: m.takeovers.count,
  openRounds: m.takeovers.open,
  slashes: m.slashes.count,
  slashedAmount: String(m.slashes.amount),
  uncles: m.uncleClaims.count,
  wastedProofs: { count: m.wastedProofs.count, share: m.wastedProofs.share ?? null },
  rewardGini: m.rewards.gini,
  nakamoto: m.rewards.nakamoto,
  rewardsByProver: Object.fromEntries(m.rewards.byProver.map((r) => [r.prover, String(r.amount)])),
});

/** What a mode's run hands back to be checked. */
interface ModeRun {
  readonly network: NetworkConfig;
  readonly jsonl: string;
  readonly invariants: InvariantReport;
  /** Why the run ended other than by settling its blocks, when a process died under it. */
  readonly ended?: string;
}

const genesisAfter = (now: number, leadMs: number): number => Math.ceil((now + leadMs) / 1_000) * 1_000;

/**
 * Kafka mode's lead before slot 0: the broker and five Node processes start inside it (the
 * L1 and the provers first; the rest once every prover is registered, see runProcesses).
 * `up`'s lead; when the brokers take most of it, runProcesses moves slot 0 (PROCESS_START_MS).
 */
export const SCENARIO_KAFKA_LEAD_MS = KAFKA_MODE_LEAD_MS;

const runMode = (scenario: Scenario, options: RunOptions, logFile: string): Effect.Effect<ModeRun, unknown> =>
  Effect.gen(function* () {
    const steps = faultSteps(scenario);
    const slotMs = scenarioNetwork(scenario, options.seed, 0).params.slotMs;
    switch (options.mode) {
      case "sim": {
        // One slot of virtual time before slot 0 for the services to start and the provers to register, as embedded mode leaves.
        const network = scenarioNetwork(scenario, options.seed, slotMs);
        const run = yield* simulate(network, steps);
        return { network: run.network, jsonl: run.jsonl, invariants: run.invariants };
      }
      case "embedded": {
        const now = yield* Effect.clockWith((c) => c.currentTimeMillis);
        const network = scenarioNetwork(scenario, options.seed, genesisAfter(now, slotMs));
        const run = yield* runEmbedded(network, logFile, "json", steps);
        return { network, jsonl: readFileSync(logFile, "utf8"), invariants: run.invariants, ...endedOf(run.outcome) };
      }
      case "kafka": {
        const now = yield* Effect.clockWith((c) => c.currentTimeMillis);
        const network = scenarioNetwork(scenario, options.seed, genesisAfter(now, Math.max(SCENARIO_KAFKA_LEAD_MS, slotMs)));
        // A broker fault needs the 3-node cluster (RF 3, min ISR 2) the run starts itself.
        const run = yield* runProcesses(network, { brokers: options.brokers, logOut: logFile, faults: steps, kafkaNodes: kafkaNodesFor(steps) });
        return { network: run.network, jsonl: readFileSync(logFile, "utf8"), invariants: run.invariants, ...endedOf(run.outcome) };
      }
      case "containers": {
        const now = yield* Effect.clockWith((c) => c.currentTimeMillis);
        const network = scenarioNetwork(scenario, options.seed, genesisAfter(now, Math.max(CONTAINERS_MODE_LEAD_MS, slotMs)));
        // Broker faults need the 3-node cluster, as in kafka mode. The engine: the suite's (shared
        // by its runs), else the one DOCKER_HOST names, else one started for the run (and stopped
        // after it, if it was started here).
        const kafkaNodes = kafkaNodesFor(steps);
        const shared = yield* Effect.serviceOption(DockerEngine);
        const engine = Option.isSome(shared) ? Layer.succeed(DockerEngine, shared.value) : engineLayer();
        const run = yield* runContainers(network, { logOut: logFile, faults: steps, kafkaNodes }).pipe(Effect.provide(engine));
        return { network: run.network, jsonl: readFileSync(logFile, "utf8"), invariants: run.invariants, ...endedOf(run.outcome) };
      }
    }
  });

/** The Docker engine of a containers-mode run or suite: the one DOCKER_HOST names, else the running or a started one. */
export const engineLayer = () => (process.env["DOCKER_HOST"] !== undefined && process.env["DOCKER_HOST"] !== "" ? DockerEngine.fromEnv : DockerEngine.layer);

/** "finalized" and "window-passed" are ends the expectations judge; anything else is a process that died. */
const endedOf = (outcome: string): { ended?: string } => (outcome === "finalized" || outcome === "window-passed" ? {} : { ended: outcome });

/**
 * One line for a run's error: the error's tag and the first non-blank line of its message, or
 * of the whole cause when the error says nothing (an error with an empty message must still
 * say what failed).
 */
export const firstLine = (cause: Cause.Cause<unknown>): string => {
  const failure = Cause.failureOption(cause);
  const error = failure._tag === "Some" ? failure.value : Cause.squash(cause);
  const text = error instanceof Error || (typeof error === "object" && error !== null && "message" in error) ? String((error as { message: unknown }).message) : String(error);
  const tag = typeof error === "object" && error !== null && "_tag" in error && typeof error._tag === "string" ? error._tag : undefined;
  const line = (s: string) => s.split("\n").find((l) => l.trim() !== "")?.trim();
  const said = line(text);
  if (said !== undefined) return tag === undefined || said.startsWith(tag) ? said : `${tag}: ${said}`;
  const name = tag ?? (error instanceof Error ? error.name : typeof error);
  const frame = error instanceof Error ? error.stack?.split("\n").find((l) => l.trim().startsWith("at "))?.trim() : undefined;
  return `${name} without a message${frame === undefined ? "" : ` (${frame})`}`;
};

/**
 * Runs one scenario in one mode with one seed and checks it: the six invariants (invariant 6
 * where the mode can replay its services), the scenario's expectations, metrics and the log's
 * hash. A failed run's log is saved under `logDir` with its network beside it.
 */
export const runScenario = (scenario: Scenario, options: RunOptions): Effect.Effect<ScenarioRun> =>
  Effect.gen(function* () {
    const started = performance.now();
    const base = { scenario: scenario.name, file: scenario.file, seed: options.seed, mode: options.mode, reproduce: reproduceCommand(scenario, options.seed, options.mode) };
    const duration = () => Math.round(performance.now() - started);
    const logFile = join(options.logDir, `${fileSafe(scenario.name)}-seed-${fileSafe(options.seed)}-${options.mode}.jsonl`);
    mkdirSync(options.logDir, { recursive: true });
    const ran = yield* Effect.either(Effect.catchAllCause(runMode(scenario, options, logFile), (cause) => Effect.fail(firstLine(cause))));
    if (Either.isLeft(ran)) {
      return { ...base, outcome: "error", violations: [], expectationFailures: [], error: ran.left, durationMs: duration() } satisfies ScenarioRun;
    }
    const { network, jsonl, invariants, ended } = ran.right;
    const read = readJsonl(jsonl);
    if (Either.isLeft(read)) {
      return { ...base, outcome: "error", violations: [], expectationFailures: [], error: `unreadable log, line ${read.left.line}: ${read.left.message}`, durationMs: duration() } satisfies ScenarioRun;
    }
    const deadLetters = read.right.skipped.filter((s) => s.reason === "dlq");
    // A fault the mode could not carry out is left out of the log (the injector warns): the run
    // did not test what the scenario says, whatever else it shows.
    const recorded = read.right.events.filter((e) => e.type === "FaultInjected");
    const notCarriedOut = faultSteps(scenario).filter(
      (step) => !recorded.some((e) => (e.payload as { fault: string }).fault === step.kind && (e.payload as { target: string }).target === step.target),
    );
    const expectationFailures = [
      ...(ended === undefined ? [] : [`run ended early: ${ended}`]),
      ...notCarriedOut.map((step) => `fault ${step.kind}:${step.target}@slot${step.slot} was not carried out in ${options.mode} mode (see the run's warnings)`),
      ...checkExpectations(scenario.expect, { network, events: read.right.events, deadLetters }),
    ];
    const violations = invariants.violations.map((v) => ({ invariant: v.invariant, rule: v.rule, message: v.message, events: v.events.slice(0, 10) }));
    const passed = violations.length === 0 && expectationFailures.length === 0;
    if (passed) {
      rmSync(logFile, { force: true });
      rmSync(networkFileOf(logFile), { force: true });
    } else {
      writeFileSync(logFile, jsonl);
      writeFileSync(networkFileOf(logFile), encodeNetwork(network));
    }
    return {
      ...base,
      outcome: passed ? "passed" : "failed",
      violations,
      expectationFailures,
      metrics: metricsReport(runMetrics(read.right.events, network)),
      logHash: sha256(jsonl),
      ...(passed ? {} : { logFile }),
      durationMs: duration(),
    } satisfies ScenarioRun;
  });
