import { Either } from "effect";
import { describe, expect, it } from "vitest";
import { beaconSchemeOf, decodeNetwork, encodeNetwork, makeNetwork, slotAt, slotStart } from "./network.ts";

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

  it("carries optional initial faults through JSON, and has none unless asked", () => {
    const plain = Either.getOrThrow(makeNetwork({ seed: "s1", genesisMs: 0, slots: 1, provers: 2 }));
    expect("faults" in plain).toBe(false);
    expect(Either.getOrThrow(decodeNetwork(encodeNetwork(plain))).faults).toBeUndefined();
    const faults = [{ fault: "slow", target: "prover-2", params: { factor: "3" } }, { fault: "crash", target: "prover-1" }];
    const n = Either.getOrThrow(makeNetwork({ seed: "s1", genesisMs: 0, slots: 1, provers: 2, faults }));
    expect(n.faults).toEqual(faults);
    expect(n.provers).toEqual(plain.provers);
    expect(Either.getOrThrow(decodeNetwork(encodeNetwork(n)))).toEqual(n);
  });

  it("rejects malformed initial faults", () => {
    const bad = makeNetwork({ seed: "s", genesisMs: 0, slots: 1, provers: 1, faults: [{ fault: "", target: "prover-1" }] });
    expect(Either.isLeft(bad) && bad.left.message).toMatch(/faults\[0\]/);
    const plain = Either.getOrThrow(makeNetwork({ seed: "s", genesisMs: 0, slots: 1, provers: 1 }));
    const text = JSON.stringify({ ...JSON.parse(encodeNetwork(plain)), faults: [{ fault: "slow", target: "prover-1", params: { factor: 3 } }] });
    const decoded = decodeNetwork(text);
    expect(Either.isLeft(decoded) && decoded.left.message).toMatch(/params/);
    expect(Either.isLeft(decodeNetwork(JSON.stringify({ ...JSON.parse(encodeNetwork(plain)), faults: "crash" })))).toBe(true);
  });

  it("applies per-prover overrides after the seeded draws, leaving the other provers as drawn", () => {
    const plain = Either.getOrThrow(makeNetwork({ seed: "s1", genesisMs: 0, slots: 1, provers: 4 }));
    const n = Either.getOrThrow(
      makeNetwork({ seed: "s1", genesisMs: 0, slots: 1, provers: 4, overrides: { "prover-2": { stake: 7n, fee: 0n }, "prover-4": { speed: 2.5 } } }),
    );
    expect(n.provers[1]).toEqual({ ...plain.provers[1], stake: 7n, fee: 0n });
    expect(n.provers[3]).toEqual({ ...plain.provers[3], speed: 2.5 });
    expect([n.provers[0], n.provers[2]]).toEqual([plain.provers[0], plain.provers[2]]);
    expect(Either.getOrThrow(decodeNetwork(encodeNetwork(n)))).toEqual(n);
  });

  it.each([
    ["prover-9", { stake: 1n }, /unknown prover "prover-9"/],
    ["prover-01", { stake: 1n }, /unknown prover "prover-01"/],
    ["prover-1", { stake: 0n }, /overrides\.prover-1\.stake must be a bigint > 0/],
    ["prover-1", { fee: -1n }, /overrides\.prover-1\.fee/],
    ["prover-1", { speed: 0 }, /overrides\.prover-1\.speed/],
  ])("rejects the override of %s", (id, override, message) => {
    const bad = makeNetwork({ seed: "s", genesisMs: 0, slots: 1, provers: 2, overrides: { [id]: override } });
    expect(Either.isLeft(bad) && bad.left.message).toMatch(message);
  });

  it("names the beacon's scheme only when asked (drand's BLS otherwise), through JSON, and refuses an unknown one", () => {
    const plain = Either.getOrThrow(makeNetwork({ seed: "s", genesisMs: 0, slots: 1, provers: 1 }));
    expect(plain.beacon.scheme).toBeUndefined();
    expect(beaconSchemeOf(plain)).toBe("bls-unchained-g1-rfc9380");
    const sim = Either.getOrThrow(makeNetwork({ seed: "s", genesisMs: 0, slots: 1, provers: 1, beacon: { scheme: "sim-ed25519" } }));
    expect(beaconSchemeOf(sim)).toBe("sim-ed25519");
    expect(Either.getOrThrow(decodeNetwork(encodeNetwork(sim)))).toEqual(sim);
    const bad = makeNetwork({ seed: "s", genesisMs: 0, slots: 1, provers: 1, beacon: { scheme: "bls-chained" as never } });
    expect(Either.isLeft(bad) && bad.left.message).toMatch(/beacon\.scheme must be one of/);
    const text = JSON.stringify({ ...JSON.parse(encodeNetwork(plain)), beacon: { ...plain.beacon, scheme: "bls-chained" } });
    expect(Either.isLeft(decodeNetwork(text))).toBe(true);
  });

  it("maps clock time to slots", () => {
    const n = Either.getOrThrow(makeNetwork({ seed: "s", genesisMs: 10_000, slots: 1, provers: 1, slotMs: 2_000 }));
    expect(slotAt(n, 10_000)).toBe(0);
    expect(slotAt(n, 13_999)).toBe(1);
    expect(slotStart(n, 3)).toBe(16_000);
  });
});
