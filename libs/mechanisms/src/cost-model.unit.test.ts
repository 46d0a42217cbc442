import { Either } from "effect";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DEFAULT_COST_MODEL, levelCost, provingDuration, validateCostModel, type CostModel } from "./cost-model.ts";
import { makeRng, type Rng } from "./random.ts";

const SLOT_MS = 2_000;
const LEAF_DEADLINE_MS = 3 * SLOT_MS;
const MERGE_DEADLINE_MS = 2 * SLOT_MS;

const drawMany = (n: number, rng: Rng, level: number, speed: number, params: CostModel = DEFAULT_COST_MODEL): number[] =>
  Array.from({ length: n }, () =>
    provingDuration({ level, speed, deadlineMs: level === 0 ? LEAF_DEADLINE_MS : MERGE_DEADLINE_MS, slotMs: SLOT_MS, params, rng }),
  );

const median = (xs: readonly number[]): number => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
};

describe("provingDuration", () => {
  it("never exceeds 80% of the node's deadline, whatever the speed (truncated by default)", () => {
    fc.assert(
      fc.property(
        fc.string(),
        fc.integer({ min: 0, max: 6 }),
        fc.double({ min: 0.01, max: 100, noNaN: true }),
        fc.integer({ min: 1, max: 60_000 }),
        (seed, level, speed, deadlineMs) => {
          const rng = makeRng(seed);
          for (let k = 0; k < 20; k++) {
            const ms = provingDuration({ level, speed, deadlineMs, slotMs: SLOT_MS, params: DEFAULT_COST_MODEL, rng });
            expect(Number.isInteger(ms)).toBe(true);
            expect(ms).toBeGreaterThanOrEqual(0);
            expect(ms).toBeLessThanOrEqual(Math.floor(0.8 * deadlineMs));
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it.each([
    ["a leaf at speed 1", 0, 1, 0.6 * SLOT_MS],
    ["a merge node at speed 1", 1, 1, 0.3 * SLOT_MS],
    ["a leaf at speed 2", 0, 2, 0.3 * SLOT_MS],
    ["a merge node at speed 0.5", 2, 0.5, 0.6 * SLOT_MS],
  ])("the median of %s is the configured median / speed (within 3%)", (_name, level, speed, expected) => {
    const observed = median(drawMany(20_001, makeRng(`median-${level}-${speed}`), level, speed));
    expect(Math.abs(observed - expected) / expected).toBeLessThan(0.03);
  });

  it("a prover far too slow for the deadline still finishes just inside the cap", () => {
    const durations = drawMany(2_000, makeRng("slow"), 0, 0.1);
    const cap = Math.floor(0.8 * LEAF_DEADLINE_MS);
    expect(Math.max(...durations)).toBeLessThanOrEqual(cap);
    expect(median(durations)).toBeGreaterThan(0.9 * cap);
  });

  it('with truncation "none" a heavy tail crosses the deadline', () => {
    const heavy: CostModel = { ...DEFAULT_COST_MODEL, leaf: { medianSlots: 0.6, sigma: 1.5 }, truncateAt: "none" };
    const durations = drawMany(2_000, makeRng("heavy"), 0, 1, heavy);
    const late = durations.filter((ms) => ms > LEAF_DEADLINE_MS).length;
    expect(late).toBeGreaterThan(100);
    expect(Math.abs(median(durations) - 0.6 * SLOT_MS) / (0.6 * SLOT_MS)).toBeLessThan(0.1);
  });

  it("a configurable truncation point holds too", () => {
    const tight: CostModel = { ...DEFAULT_COST_MODEL, truncateAt: 0.2 };
    expect(Math.max(...drawMany(2_000, makeRng("tight"), 0, 1, tight))).toBeLessThanOrEqual(0.2 * LEAF_DEADLINE_MS);
  });

  it("is deterministic per seed and differs across seeds", () => {
    expect(drawMany(50, makeRng("seed-a"), 0, 1.3)).toEqual(drawMany(50, makeRng("seed-a"), 0, 1.3));
    expect(drawMany(50, makeRng("seed-a"), 0, 1.3)).not.toEqual(drawMany(50, makeRng("seed-b"), 0, 1.3));
  });

  it.each([0.8, "none"] as const)("takes exactly one 53-bit draw per call (truncateAt %s), so streams stay aligned", (truncateAt) => {
    const used = makeRng("align");
    const reference = makeRng("align");
    provingDuration({ level: 0, speed: 1, deadlineMs: LEAF_DEADLINE_MS, slotMs: SLOT_MS, params: { ...DEFAULT_COST_MODEL, truncateAt }, rng: used });
    reference.nextFloat();
    expect(used.state()).toEqual(reference.state());
  });

  it("refuses a non-positive speed", () => {
    for (const speed of [0, -1, Number.NaN]) {
      expect(() => provingDuration({ level: 0, speed, deadlineMs: 1, slotMs: 1, params: DEFAULT_COST_MODEL, rng: makeRng("x") })).toThrow(RangeError);
    }
  });

  it("per-level overrides replace the leaf and merge defaults", () => {
    const model: CostModel = { ...DEFAULT_COST_MODEL, byLevel: [null, null, { medianSlots: 1, sigma: 0.1 }] };
    expect(levelCost(model, 0)).toBe(model.leaf);
    expect(levelCost(model, 1)).toBe(model.merge);
    expect(levelCost(model, 2)).toEqual({ medianSlots: 1, sigma: 0.1 });
    expect(levelCost(model, 3)).toBe(model.merge);
  });
});

describe("validateCostModel", () => {
  it("accepts the defaults", () => {
    expect(Either.isRight(validateCostModel(DEFAULT_COST_MODEL))).toBe(true);
  });

  it("reports every bad value", () => {
    const bad: CostModel = { leaf: { medianSlots: 0, sigma: -1 }, merge: { medianSlots: 0.3, sigma: 0.3 }, byLevel: [null, { medianSlots: Number.NaN, sigma: 0 }], truncateAt: 1.5 };
    const problems = Either.match(validateCostModel(bad), { onLeft: (e) => e.problems, onRight: () => [] });
    expect(problems).toHaveLength(4);
    expect(problems.join("\n")).toMatch(/leaf\.medianSlots[\s\S]*leaf\.sigma[\s\S]*byLevel\[1\]\.medianSlots[\s\S]*truncateAt/);
  });
});
