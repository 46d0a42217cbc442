import { ed25519 } from "@noble/curves/ed25519.js";
import { describe, expect, it } from "vitest";
import { Either, Schema } from "effect";
import fc from "fast-check";
import { beaconPublicKeyOf, beaconSigner, isBeaconSchemeId, SIM_BEACON_SCHEME_ID, verifyBeaconRound } from "./beacon-scheme.ts";
import { BEACON_SCHEME_ID, beaconKeyFromSeed, beaconSeed, roundMessage, verifySignedRound } from "./bls.ts";
import { DrandBeacon } from "./drand.ts";
import { fromHex, sha256, toHex } from "./encoding.ts";

const sim = beaconSigner(SIM_BEACON_SCHEME_ID, "run-1");
const bls = beaconSigner(BEACON_SCHEME_ID, "run-1");

const flipHexDigit = (hex: string, position: number): string => `${hex.slice(0, position)}${hex[position] === "0" ? "1" : "0"}${hex.slice(position + 1)}`;

describe("the simulated beacon scheme (sim-ed25519)", () => {
  it("derives its key from the run seed alone, apart from the BLS key of the same seed", () => {
    expect(beaconSigner(SIM_BEACON_SCHEME_ID, "run-1").publicKey).toBe(sim.publicKey);
    expect(sim.publicKey).toMatch(/^[0-9a-f]{64}$/);
    expect(beaconSigner(SIM_BEACON_SCHEME_ID, "run-2").publicKey).not.toBe(sim.publicKey);
    expect(beaconPublicKeyOf(SIM_BEACON_SCHEME_ID, "run-1")).toBe(sim.publicKey);
    expect(beaconPublicKeyOf(BEACON_SCHEME_ID, "run-1")).toBe(beaconKeyFromSeed(beaconSeed("run-1")).publicKey);
  });

  it("signs drand's round message with Ed25519 (RFC 8032: @noble/curves agrees), randomness = SHA-256(signature), a valid BeaconRound payload", () => {
    const signed = sim.sign(7);
    expect(signed.round).toBe(7);
    expect(signed.signature).toMatch(/^[0-9a-f]{128}$/);
    expect(signed.randomness).toBe(toHex(sha256(fromHex(signed.signature))));
    expect(ed25519.verify(fromHex(signed.signature), roundMessage(7), fromHex(sim.publicKey))).toBe(true);
    expect(Either.isRight(Schema.decodeUnknownEither(DrandBeacon)(signed))).toBe(true);
    expect(sim.sign(7)).toEqual(signed);
  });

  it("verifies every round it signs, and no other round, key, signature or randomness", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 40 }), (round) => {
        const signed = sim.sign(round);
        expect(verifyBeaconRound(SIM_BEACON_SCHEME_ID, sim.publicKey, signed)).toBe(true);
        expect(verifyBeaconRound(SIM_BEACON_SCHEME_ID, sim.publicKey, { ...signed, round: round + 1 })).toBe(false);
        expect(verifyBeaconRound(SIM_BEACON_SCHEME_ID, beaconSigner(SIM_BEACON_SCHEME_ID, "run-2").publicKey, signed)).toBe(false);
        expect(verifyBeaconRound(SIM_BEACON_SCHEME_ID, sim.publicKey, { ...signed, signature: flipHexDigit(signed.signature, 3) })).toBe(false);
        expect(verifyBeaconRound(SIM_BEACON_SCHEME_ID, sim.publicKey, { ...signed, randomness: flipHexDigit(signed.randomness, 0) })).toBe(false);
      }),
      { numRuns: 25 },
    );
    for (const bad of ["", "zz", sim.sign(1).signature.slice(2)]) expect(verifyBeaconRound(SIM_BEACON_SCHEME_ID, sim.publicKey, { ...sim.sign(1), signature: bad })).toBe(false);
    expect(verifyBeaconRound(SIM_BEACON_SCHEME_ID, sim.publicKey, { ...sim.sign(1), round: -1 })).toBe(false);
    expect(() => sim.sign(-1)).toThrow(expect.objectContaining({ _tag: "InvalidRound" }));
  });

  it("does not mix with drand's scheme: each round verifies in its own scheme only", () => {
    const simRound = sim.sign(3);
    const blsRound = bls.sign(3);
    expect(verifyBeaconRound(BEACON_SCHEME_ID, bls.publicKey, blsRound)).toBe(true);
    expect(verifyBeaconRound(BEACON_SCHEME_ID, bls.publicKey, blsRound)).toBe(verifySignedRound(bls.publicKey, blsRound));
    expect(verifyBeaconRound(SIM_BEACON_SCHEME_ID, sim.publicKey, blsRound)).toBe(false);
    expect(verifyBeaconRound(BEACON_SCHEME_ID, bls.publicKey, simRound)).toBe(false);
    expect(verifyBeaconRound(BEACON_SCHEME_ID, sim.publicKey, simRound)).toBe(false);
    expect(isBeaconSchemeId(SIM_BEACON_SCHEME_ID) && isBeaconSchemeId(BEACON_SCHEME_ID)).toBe(true);
    expect(isBeaconSchemeId("bls-chained")).toBe(false);
  });
});
