import { Either } from "effect";
import { describe, expect, it } from "vitest";
import { decodeNetwork, encodeNetwork, makeNetwork, slotAt, slotStart } from "./network.ts";

describe("network config", () => {
  it("is a function of its seed and round-trips through JSON, amounts included", () => {
    const a = Either.getOrThrow(makeNetwork({ seed: "s1", genesisMs: 1_000, slots: 10, provers: 5 }));
    const b = Either.getOrThrow(makeNetwork({ seed: "s1", genesisMs: 1_000, slots: 10, provers: 5 }));
    const c = Either.getOrThrow(makeNetwork({ seed: "s2", genesisMs: 1_000, slots: 10, provers: 5 }));
    expect(a).toEqual(b);
    expect(a.provers).not.toEqual(c.provers);
    expect(a.provers.every((p) => p.stake >= a.params.minimumStake)).toBe(true);
    expect(Either.getOrThrow(decodeNetwork(encodeNetwork(a)))).toEqual(a);
  });

  it("rejects bad numbers with a clear message", () => {
    expect(Either.isLeft(makeNetwork({ seed: "s", genesisMs: 0, slots: 1, provers: 0 }))).toBe(true);
    const bad = makeNetwork({ seed: "s", genesisMs: 0, slots: 1, provers: 1, txPerBlock: 0 });
    expect(Either.isLeft(bad) && bad.left.message).toMatch(/txPerBlock/);
    expect(Either.isLeft(decodeNetwork("{nope"))).toBe(true);
  });

  it("maps clock time to slots", () => {
    const n = Either.getOrThrow(makeNetwork({ seed: "s", genesisMs: 10_000, slots: 1, provers: 1, slotMs: 2_000 }));
    expect(slotAt(n, 10_000)).toBe(0);
    expect(slotAt(n, 13_999)).toBe(1);
    expect(slotStart(n, 3)).toBe(16_000);
  });
});
