import { Data, Either } from "effect";
import type { Rng } from "./random.ts";
import { standardNormalCdf, standardNormalQuantile } from "./stats.ts";

// How long an honest, healthy prover takes to prove a node. Per level the duration is
// log-normal: ln(duration in ms) ~ Normal(mu, sigma²) with mu = ln(medianSlots · slotMs / speed),
// so the median is medianSlots slots at speed 1 and a prover with speed 2 is twice as fast.
// By default the distribution is truncated (conditioned, not clamped) at 80% of the node's
// deadline, so such a prover never misses; lateness comes from faults or from a scenario
// that turns truncation off for a heavy tail.

/** The log-normal of one level: its median in slots at speed 1, and sigma of ln(duration). */
export interface LevelCost {
  readonly medianSlots: number;
  readonly sigma: number;
}

export interface CostModel {
  /** Level 0. */
  readonly leaf: LevelCost;
  /** Every merge level without an entry in `byLevel`. */
  readonly merge: LevelCost;
  /** Per-level overrides: `byLevel[l]`, when present, replaces `leaf` / `merge` for level l. */
  readonly byLevel: readonly (LevelCost | null)[];
  /** Truncate at this fraction of the node's deadline (0 < f ≤ 1), or "none" for the untruncated tail. */
  readonly truncateAt: number | "none";
}

/**
 * Defaults: a leaf's median is 0.6 slot and a merge node's 0.3 slot, both with sigma 0.35
 * (the 99.9th percentile is 2.95× the median: 1.8 slots for a leaf, well inside the
 * truncation at 0.8 · D_leaf = 2.4 slots), truncated at 80% of the deadline.
 */
export const DEFAULT_COST_MODEL: CostModel = {
  leaf: { medianSlots: 0.6, sigma: 0.35 },
  merge: { medianSlots: 0.3, sigma: 0.35 },
  byLevel: [],
  truncateAt: 0.8,
};

/** The level's log-normal. */
export const levelCost = (model: CostModel, level: number): LevelCost =>
  model.byLevel[level] ?? (level === 0 ? model.leaf : model.merge);

export interface ProvingDurationInput {
  readonly level: number;
  /** The prover's speed factor (> 0): durations are divided by it. */
  readonly speed: number;
  /** The time the node has from the start of its deadline clock to its deadline. */
  readonly deadlineMs: number;
  readonly slotMs: number;
  readonly params: CostModel;
  /** The prover's stream; exactly one 53-bit draw is taken per call, truncated or not. */
  readonly rng: Rng;
}

/**
 * A proving duration in whole milliseconds. Truncated draws use the inverse distribution
 * function on (0, Φ(z_cap)], so they are exact draws of the conditioned log-normal, and
 * never exceed floor(truncateAt · deadlineMs). A non-positive speed throws a RangeError:
 * prover profiles are validated before they get here.
 */
export const provingDuration = (input: ProvingDurationInput): number => {
  const { level, speed, deadlineMs, slotMs, params, rng } = input;
  if (!(speed > 0) || !Number.isFinite(speed)) throw new RangeError(`a prover's speed must be a positive number, got ${speed}`);
  const { medianSlots, sigma } = levelCost(params, level);
  const mu = Math.log((medianSlots * slotMs) / speed);
  if (params.truncateAt === "none") return Math.round(Math.exp(mu + sigma * rng.normal()));
  const capMs = Math.floor(params.truncateAt * deadlineMs);
  const u = 1 - rng.nextFloat();
  if (capMs <= 0) return 0;
  if (sigma === 0) return Math.min(capMs, Math.round(Math.exp(mu)));
  const pCap = standardNormalCdf((Math.log(capMs) - mu) / sigma);
  // A cap far below the median has no probability mass left to sample: the prover just makes it.
  if (pCap === 0) return capMs;
  return Math.min(capMs, Math.round(Math.exp(mu + sigma * standardNormalQuantile(u * pCap))));
};

export class InvalidCostModel extends Data.TaggedError("InvalidCostModel")<{ readonly problems: readonly string[]; readonly message: string }> {}

const levelProblems = (name: string, cost: LevelCost): string[] => [
  ...(Number.isFinite(cost.medianSlots) && cost.medianSlots > 0 ? [] : [`${name}.medianSlots must be a positive number, got ${cost.medianSlots}`]),
  ...(Number.isFinite(cost.sigma) && cost.sigma >= 0 ? [] : [`${name}.sigma must be a non-negative number, got ${cost.sigma}`]),
];

/** Check a cost model read from configuration. */
export const validateCostModel = (model: CostModel): Either.Either<CostModel, InvalidCostModel> => {
  const problems = [
    ...levelProblems("leaf", model.leaf),
    ...levelProblems("merge", model.merge),
    ...model.byLevel.flatMap((cost, level) => (cost === null ? [] : levelProblems(`byLevel[${level}]`, cost))),
    ...(model.truncateAt === "none" || (Number.isFinite(model.truncateAt) && model.truncateAt > 0 && model.truncateAt <= 1)
      ? []
      : [`truncateAt must be a fraction in (0, 1] or "none", got ${String(model.truncateAt)}`]),
  ];
  return problems.length === 0
    ? Either.right(model)
    : Either.left(new InvalidCostModel({ problems, message: `invalid cost model: ${problems.join("; ")}` }));
};
