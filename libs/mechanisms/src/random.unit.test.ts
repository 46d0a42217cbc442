import { Either, Schema } from "effect";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { makeRng, rngFromState, rngFromWords, RngState, type Rng } from "./random.ts";
import { chiSquareCriticalValue, chiSquareStatistic } from "./stats.ts";

const draws = (rng: Rng, n: number): number[] => Array.from({ length: n }, () => rng.nextUint32());

describe("xoshiro128**", () => {
  it("matches the reference C implementation from state [1, 2, 3, 4]", () => {
    expect(draws(rngFromWords([1, 2, 3, 4]), 8)).toEqual([11520, 0, 5927040, 70819200, 2031721883, 1637235492, 1287239034, 3734860849]);
  });

  it("matches the reference C implementation after 1000 draws", () => {
    const rng = rngFromWords([0x9e3779b9, 0x243f6a88, 0xb7e15162, 0xdeadbeef]);
    draws(rng, 1000);
    expect(draws(rng, 4)).toEqual([2541037969, 1849389561, 1502624387, 2643130287]);
  });

  it("seeds from SHA-256 of the seed, state words big-endian (golden vector, same on every machine)", () => {
    // Words 0xcf3e31f7 0x567dc2e3 0x2686241f 0xf51610e0 = the first 16 bytes of SHA-256("zk-testnet").
    expect(draws(makeRng("zk-testnet"), 6)).toEqual([228652696, 3815144151, 3369044228, 4227400775, 3998542997, 3908159619]);
  });
});

describe("makeRng", () => {
  it("gives the same sequence for the same seed and a different one for another seed", () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (a, b) => {
        expect(draws(makeRng(a), 8)).toEqual(draws(makeRng(a), 8));
        if (a !== b) expect(draws(makeRng(a), 8)).not.toEqual(draws(makeRng(b), 8));
      }),
      { numRuns: 200 },
    );
  });

  it("takes a string seed as its UTF-8 bytes", () => {
    expect(draws(makeRng(new TextEncoder().encode("zk-testnet")), 4)).toEqual(draws(makeRng("zk-testnet"), 4));
  });
});

describe("fork", () => {
  it("derives the same child whatever the parent has drawn", () => {
    const fresh = makeRng("run-1");
    const used = makeRng("run-1");
    draws(used, 17);
    expect(draws(used.fork("prover-3"), 8)).toEqual(draws(fresh.fork("prover-3"), 8));
  });

  it("gives distinct streams for distinct labels, distinct from the parent", () => {
    const rng = makeRng("run-1");
    const parent = draws(makeRng("run-1"), 8);
    const a = draws(rng.fork("a"), 8);
    const b = draws(rng.fork("b"), 8);
    expect(a).not.toEqual(b);
    expect(a).not.toEqual(parent);
    expect(draws(rng.fork("a").fork("b"), 8)).not.toEqual(draws(rng.fork("ab"), 8));
  });
});

describe("state", () => {
  it("resumes exactly where it left off, through JSON and the RngState schema", () => {
    fc.assert(
      fc.property(fc.string(), fc.nat(200), fc.string(), (seed, k, label) => {
        const rng = makeRng(seed);
        draws(rng, k);
        const json = JSON.parse(JSON.stringify(rng.state())) as unknown;
        const resumed = rngFromState(Either.getOrThrow(Schema.decodeUnknownEither(RngState)(json)));
        expect(draws(resumed, 8)).toEqual(draws(rng, 8));
        expect(draws(resumed.fork(label), 4)).toEqual(draws(rng.fork(label), 4));
      }),
      { numRuns: 200 },
    );
  });

  it("refuses a state that is not one", () => {
    const decode = Schema.decodeUnknownEither(RngState);
    const good = makeRng("x").state();
    expect(Either.isRight(decode(good))).toBe(true);
    expect(Either.isLeft(decode({ ...good, words: [0, 0, 0, 0] }))).toBe(true);
    expect(Either.isLeft(decode({ ...good, words: [1, 2, 3, 2 ** 32] }))).toBe(true);
    expect(Either.isLeft(decode({ ...good, key: "xyz" }))).toBe(true);
    expect(Either.isLeft(decode({ ...good, algorithm: "mt19937" }))).toBe(true);
  });
});

describe("draws", () => {
  it("nextFloat stays in [0, 1) with mean near 1/2", () => {
    const rng = makeRng("floats");
    let sum = 0;
    for (let k = 0; k < 20_000; k++) {
      const x = rng.nextFloat();
      expect(x >= 0 && x < 1).toBe(true);
      sum += x;
    }
    expect(Math.abs(sum / 20_000 - 0.5)).toBeLessThan(0.01);
  });

  it("nextInt stays in range for small and large n", () => {
    fc.assert(
      fc.property(fc.string(), fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), (seed, n) => {
        const rng = makeRng(seed);
        for (let k = 0; k < 10; k++) {
          const x = rng.nextInt(n);
          expect(Number.isSafeInteger(x) && x >= 0 && x < n).toBe(true);
        }
      }),
      { numRuns: 200 },
    );
  });

  it("nextInt refuses a bound that is not a positive safe integer", () => {
    const rng = makeRng("bounds");
    for (const n of [0, -1, 1.5, Number.NaN, 2 ** 53]) expect(() => rng.nextInt(n)).toThrow(RangeError);
  });

  it("nextInt(7) is uniform (chi-square, α = 0.001)", () => {
    const rng = makeRng("dice");
    const counts = Array.from({ length: 7 }, () => 0);
    for (let k = 0; k < 70_000; k++) {
      const face = rng.nextInt(7);
      counts[face] = (counts[face] ?? 0) + 1;
    }
    expect(chiSquareStatistic(counts, counts.map(() => 10_000))).toBeLessThan(chiSquareCriticalValue(0.001, 6));
  });

  it("normal has mean near 0 and standard deviation near 1", () => {
    const rng = makeRng("normal");
    const n = 40_000;
    const xs = Array.from({ length: n }, () => rng.normal());
    const mean = xs.reduce((a, b) => a + b, 0) / n;
    const sd = Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1));
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(Math.abs(sd - 1)).toBeLessThan(0.02);
    expect(xs.every(Number.isFinite)).toBe(true);
  });
});
