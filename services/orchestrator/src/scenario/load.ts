import { existsSync, readdirSync, readFileSync } from "node:fs";
import { basename, join, relative, resolve } from "node:path";
import { Data, Effect, Either, ParseResult, Schema } from "effect";
import { LineCounter, parseDocument, type Document } from "yaml";
import { repoRoot } from "@zk-testnet/kafka";
import { makeParams } from "@zk-testnet/mechanisms";
import { makeNetwork, type FaultSpec, type NetworkConfig, type NetworkOptions, type ProverOverride } from "@zk-testnet/network";
import { parseFaultSpec, type FaultStep } from "../run/faults.ts";
import { ScenarioFile, type Fault } from "./schema.ts";

/** Where the catalogue of scenarios lives: `./testnet scenario run NAME` reads NAME.yaml from here. */
export const scenariosDir = (): string => join(repoRoot, "e2e", "scenarios");

/** One thing wrong with a scenario file: where (a field path, and its line when known) and what. */
export interface ScenarioIssue {
  readonly path: string;
  readonly line?: number;
  readonly message: string;
}

/** A scenario that cannot be read: the file and every issue, in one line. */
export class ScenarioError extends Data.TaggedError("ScenarioError")<{
  readonly file: string;
  readonly issues: readonly ScenarioIssue[];
  readonly message: string;
}> {}

const scenarioError = (file: string, issues: readonly ScenarioIssue[]): ScenarioError =>
  new ScenarioError({
    file,
    issues,
    message: issues.map((i) => `${file}${i.line === undefined ? "" : `:${i.line}`}: ${i.path === "" ? "" : `${i.path}: `}${i.message}`).join("; "),
  });

/** A scenario read and checked, with where it came from. */
export interface Scenario extends ScenarioFile {
  /** The file, as given or relative to the repository for catalogue scenarios. */
  readonly file: string;
  /** How to name it on the command line: its name for catalogue scenarios, else its file. */
  readonly ref: string;
}

type PathPart = PropertyKey;

/** `network.provers[2].stake` from ["network", "provers", 2, "stake"]. */
export const formatPath = (path: readonly PathPart[]): string =>
  path.map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join("");

/** The line of the deepest node of the path that the document has (the field itself, or its parent when it is missing). */
const lineOf = (doc: Document, lines: LineCounter, path: readonly PathPart[]): number | undefined => {
  for (let n = path.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n) as unknown[], true);
    const start = (node as { range?: readonly number[] } | undefined)?.range?.[0];
    if (start !== undefined) return lines.linePos(start).line;
  }
  return undefined;
};

/**
 * The issues worth showing: a union reports each member's failure, so an issue is dropped when
 * another lies deeper under its path (the member that got further), and so is an optional
 * field's "Expected undefined".
 */
const mostSpecific = (issues: readonly ParseResult.ArrayFormatterIssue[]): ParseResult.ArrayFormatterIssue[] => {
  const key = (path: readonly PathPart[]) => path.map(String).join("\u0000");
  const kept = issues.filter(
    (i) =>
      !i.message.startsWith("Expected undefined, actual") &&
      !issues.some((o) => o.path.length > i.path.length && i.path.every((p, n) => o.path[n] === p)),
  );
  const seen = new Set<string>();
  return kept.filter((i) => {
    const k = `${key(i.path)}\u0001${i.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
};

/** Parses and checks a scenario's text; `file` names it in errors. Pure: no file is read. */
export const parseScenario = (text: string, file: string, ref = file): Either.Either<Scenario, ScenarioError> => {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return Either.left(
      scenarioError(
        file,
        doc.errors.map((e) => ({ path: "", line: lines.linePos(e.pos[0]).line, message: `not valid YAML: ${e.message.split("\n")[0]}` })),
      ),
    );
  }
  const at = (path: readonly PathPart[], message: string): ScenarioIssue => {
    const line = lineOf(doc, lines, path);
    return { path: formatPath(path), ...(line === undefined ? {} : { line }), message };
  };
  const raw: unknown = doc.toJS();
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    return Either.left(scenarioError(file, [at([], "must be a YAML mapping of name, description, network, slots, faults, seeds, modes, expect")]));
  }
  const decoded = Schema.decodeUnknownEither(ScenarioFile, { errors: "all", onExcessProperty: "error" })(raw);
  if (Either.isLeft(decoded)) {
    const issues = mostSpecific(ParseResult.ArrayFormatter.formatErrorSync(decoded.left)).map((i) => at(i.path, i._tag === "Unexpected" ? "is not a field here" : i.message));
    return Either.left(scenarioError(file, issues));
  }
  const scenario: Scenario = { ...decoded.right, file, ref };
  const rejectedIsList = Array.isArray((raw as { expect?: { rejected?: unknown } }).expect?.rejected);
  const issues = checkScenario(scenario, at, rejectedIsList);
  return issues.length > 0 ? Either.left(scenarioError(file, issues)) : Either.right(scenario);
};

/** The checks that need the whole file: protocol parameters, the network, fault targets, provers named by expectations. */
const checkScenario = (s: Scenario, at: (path: readonly PathPart[], message: string) => ScenarioIssue, rejectedIsList: boolean): ScenarioIssue[] => {
  const params = makeParams(paramsOf(s));
  if (Either.isLeft(params)) {
    return params.left.issues.map((i) =>
      i.field === "slotMs" || i.field === "txPerBlock" ? at(["network", i.field], i.problem) : at(["network", "params", i.field], i.problem),
    );
  }
  const network = makeNetwork(networkOptions(s, "scenario-check", 0));
  if (Either.isLeft(network)) return [at(["network"], network.left.message)];
  const issues: ScenarioIssue[] = [];
  const provers = typeof s.network.provers === "number" ? [] : s.network.provers;
  for (const [i, p] of provers.entries()) {
    if (p.fault === undefined) continue;
    // A profile from genesis takes the parameters the same fault takes at run time.
    const { kind, params } = typeof p.fault === "string" ? { kind: p.fault, params: undefined } : p.fault;
    const problem = faultProblem({ kind, target: `prover-${i + 1}`, at: 0, ...(params !== undefined ? { params } : {}) }, network.right);
    if (problem !== undefined) issues.push(at(["network", "provers", i, "fault", ...problem.path], problem.message));
  }
  for (const [i, fault] of s.faults.entries()) {
    const problem = faultProblem(fault, network.right);
    if (problem !== undefined) issues.push(at(["faults", i, ...problem.path], problem.message));
  }
  const count = network.right.provers.length;
  const prover = (path: readonly PathPart[], id: string | undefined) => {
    if (id !== undefined && Number(id.slice("prover-".length)) > count) issues.push(at(path, `${id} is not in the network (prover-1 to prover-${count})`));
  };
  const e = s.expect;
  for (const [i, x] of (e.slashed ?? []).entries()) prover(["expect", "slashed", i, "prover"], x.prover);
  for (const [i, x] of (e.notSlashed ?? []).entries()) prover(["expect", "notSlashed", i], x);
  for (const [i, x] of (e.rewardShare ?? []).entries()) prover(["expect", "rewardShare", i, "prover"], x.prover);
  for (const [i, x] of (e.rejected ?? []).entries()) prover(["expect", "rejected", ...(rejectedIsList ? [i] : []), "prover"], x.prover);
  return issues;
};

const paramsOf = (s: ScenarioFile) => ({
  ...s.network.params,
  ...(s.network.txPerBlock !== undefined ? { txPerBlock: s.network.txPerBlock } : {}),
  ...(s.network.slotMs !== undefined ? { slotMs: s.network.slotMs } : {}),
});

const paramText = (value: string | number | boolean): string => String(value);

/** A fault step as the `--faults` spec would say it, so the scenario accepts exactly what the CLI does. */
const faultProblem = (fault: Fault, network: NetworkConfig): { path: PathPart[]; message: string } | undefined => {
  for (const [key, value] of Object.entries(fault.params ?? {})) {
    if (!/^[\w.:/-]+$/.test(key) || !/^[\w.:/-]+$/.test(paramText(value))) {
      return { path: ["params", key], message: "names and values may hold letters, digits and _ . : / - only" };
    }
  }
  const parsed = parseFaultSpec(faultSpecOf(fault), network);
  return typeof parsed === "string" ? { path: [], message: parsed } : undefined;
};

const faultSpecOf = (f: Fault): string => {
  const query = Object.entries(f.params ?? {})
    .map(([k, v]) => `${k}=${paramText(v)}`)
    .join("&");
  return `${f.kind}:${f.target}@slot${f.at}${f.for !== undefined ? `+${f.for}` : ""}${query === "" ? "" : `?${query}`}`;
};

/** The fault schedule of a scenario, as the injector takes it. */
export const faultSteps = (s: ScenarioFile): FaultStep[] =>
  s.faults.map((f) => ({
    kind: f.kind,
    target: f.target,
    slot: f.at,
    ...(f.for !== undefined ? { slots: f.for } : {}),
    params: Object.fromEntries(Object.entries(f.params ?? {}).map(([k, v]) => [k, paramText(v)])),
  }));

/** makeNetwork's options for one seed: per-prover overrides and fault profiles from an explicit prover list. */
export const networkOptions = (s: ScenarioFile, seed: string, genesisMs: number): NetworkOptions => {
  const { provers } = s.network;
  const list = typeof provers === "number" ? [] : provers;
  const overrides: Record<string, ProverOverride> = {};
  const faults: FaultSpec[] = [];
  for (const [i, p] of list.entries()) {
    const id = `prover-${i + 1}`;
    const o = { ...(p.stake !== undefined ? { stake: p.stake } : {}), ...(p.fee !== undefined ? { fee: p.fee } : {}), ...(p.speed !== undefined ? { speed: p.speed } : {}) };
    if (Object.keys(o).length > 0) overrides[id] = o;
    if (p.fault !== undefined) {
      const { kind, params } = typeof p.fault === "string" ? { kind: p.fault, params: undefined } : p.fault;
      faults.push({ fault: kind, target: id, ...(params !== undefined ? { params: Object.fromEntries(Object.entries(params).map(([k, v]) => [k, paramText(v)])) } : {}) });
    }
  }
  const { slotMs, txPerBlock, ...params } = paramsOf(s);
  return {
    seed,
    genesisMs,
    slots: s.slots,
    provers: typeof provers === "number" ? provers : provers.length,
    ...(txPerBlock !== undefined ? { txPerBlock } : {}),
    ...(slotMs !== undefined ? { slotMs } : {}),
    params,
    ...(faults.length > 0 ? { faults } : {}),
    ...(Object.keys(overrides).length > 0 ? { overrides } : {}),
  };
};

/** The network of one run of a scenario (already checked when it was loaded). */
export const scenarioNetwork = (s: ScenarioFile, seed: string, genesisMs: number): NetworkConfig => Either.getOrThrow(makeNetwork(networkOptions(s, seed, genesisMs)));

const readScenario = (path: string, display: string, ref: string) =>
  Effect.gen(function* () {
    const text = yield* Effect.try({
      try: () => readFileSync(path, "utf8"),
      catch: (error) => scenarioError(display, [{ path: "", message: `cannot read: ${(error as Error).message}` }]),
    });
    return yield* Either.match(parseScenario(text, display, ref), { onLeft: Effect.fail, onRight: Effect.succeed });
  });

const isFileRef = (ref: string): boolean => /\.ya?ml$/.test(ref) || ref.includes("/");

/** The names of the catalogue's scenarios (file names without .yaml), sorted. */
export const scenarioNames = (): string[] =>
  existsSync(scenariosDir())
    ? readdirSync(scenariosDir())
        .filter((f) => f.endsWith(".yaml"))
        .map((f) => f.slice(0, -".yaml".length))
        .sort()
    : [];

/** A scenario by catalogue name (e2e/scenarios/NAME.yaml) or by file path. */
export const loadScenario = (ref: string): Effect.Effect<Scenario, ScenarioError> =>
  Effect.gen(function* () {
    if (isFileRef(ref)) {
      const path = resolve(ref);
      if (!existsSync(path)) return yield* scenarioError(ref, [{ path: "", message: "no such file" }]);
      return yield* readScenario(path, ref, ref);
    }
    const names = scenarioNames();
    if (!names.includes(ref)) {
      return yield* scenarioError(ref, [{ path: "", message: `no scenario named ${ref} in ${relative(process.cwd(), scenariosDir()) || "."} (one of: ${names.join(", ")})` }]);
    }
    const display = relative(repoRoot, join(scenariosDir(), `${ref}.yaml`));
    const scenario = yield* readScenario(join(scenariosDir(), `${ref}.yaml`), display, ref);
    if (scenario.name !== ref) return yield* scenarioError(display, [{ path: "name", message: `must be the file's name (${basename(display, ".yaml")}), got ${scenario.name}` }]);
    return scenario;
  });

/** Every scenario of the catalogue, sorted by name; the first bad file fails the whole list. */
export const loadCatalogue = (): Effect.Effect<Scenario[], ScenarioError> => Effect.forEach(scenarioNames(), loadScenario);
