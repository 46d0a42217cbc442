import { bls12_381 } from "@noble/curves/bls12-381.js";
import { describe, expect, it } from "@effect/vitest";
import { Effect } from "effect";
import fc from "fast-check";
import {
  BEACON_DST,
  beaconKeyFromSeed,
  beaconPublicKeyHex,
  beaconSeed,
  blsSecretKeyFromSeed,
  checkSignedRound,
  MAX_ROUND,
  roundMessage,
  roundRandomness,
  signRound,
  verifyRound,
  verifySignedRound,
} from "./bls.ts";
import { fromHex, sha256, toHex } from "./encoding.ts";
import { QUICKNET_CHAIN_INFO, QUICKNET_ROUND_1000, WALKTHROUGH_CHAIN_INFO, WALKTHROUGH_ROUND_38 } from "./known-chains.ts";

const beacon = beaconKeyFromSeed(beaconSeed("run-1"));
const other = beaconKeyFromSeed(beaconSeed("run-2"));

const flipHexDigit = (hex: string, position: number): string => `${hex.slice(0, position)}${hex[position] === "0" ? "1" : "0"}${hex.slice(position + 1)}`;

describe("beacon keys", () => {
  it("follow the IETF BLS KeyGen: EIP-2333's master key of its test case 0", () => {
    const seed = fromHex(
      "c55257c360c07c72029aebc1b53c05ed0362ada38ead3e3e9efa3708e53495531f09a6987599d18264c1e1c92f2cf141630c7a3c4ab7c81b2f001698e7463b04",
    );
    expect(BigInt(`0x${toHex(blsSecretKeyFromSeed(seed))}`)).toBe(6083874454709270928345386274498605044986640685124978867557563392430687146096n);
  });

  it("are deterministic from the seed, with a compressed G2 public key", () => {
    expect(beaconKeyFromSeed(beaconSeed("run-1"))).toEqual(beacon);
    expect(beacon.publicKey).toMatch(/^[0-9a-f]{192}$/);
    expect(beacon.publicKey).toBe(beaconPublicKeyHex(beacon.secretKey));
    expect(beacon.publicKey).toBe(bls12_381.shortSignatures.getPublicKey(beacon.secretKey).toHex(true));
    expect(other.publicKey).not.toBe(beacon.publicKey);
  });

  it("reject a seed shorter than 32 bytes", () => {
    expect(() => beaconKeyFromSeed(new Uint8Array(31))).toThrow(expect.objectContaining({ _tag: "InvalidSeed" }));
  });
});

describe("roundMessage", () => {
  it("is SHA-256 of the round as 8 big-endian bytes", () => {
    expect(toHex(roundMessage(1))).toBe(toHex(sha256(fromHex("0000000000000001"))));
    expect(toHex(roundMessage(1000n))).toBe(toHex(sha256(fromHex("00000000000003e8"))));
    expect(toHex(roundMessage(MAX_ROUND))).toBe(toHex(sha256(fromHex("ffffffffffffffff"))));
  });

  it("rejects rounds that are not unsigned 64-bit integers", () => {
    for (const round of [-1, 1.5, Number.NaN, 2 ** 53, -1n, MAX_ROUND + 1n]) {
      expect(() => roundMessage(round)).toThrow(expect.objectContaining({ _tag: "InvalidRound" }));
    }
  });
});

describe("known answers from drand's public chains", () => {
  it("accepts quicknet's round 1000, and its randomness is SHA-256 of the signature", () => {
    expect(verifyRound(QUICKNET_CHAIN_INFO.public_key, QUICKNET_ROUND_1000.round, QUICKNET_ROUND_1000.signature)).toBe(true);
    expect(roundRandomness(QUICKNET_ROUND_1000.signature)).toBe(QUICKNET_ROUND_1000.randomness);
    expect(verifySignedRound(QUICKNET_CHAIN_INFO.public_key, QUICKNET_ROUND_1000)).toBe(true);
  });

  it("accepts round 38 of the chain in drand-client's own tests", () => {
    expect(verifySignedRound(WALKTHROUGH_CHAIN_INFO.public_key, WALKTHROUGH_ROUND_38)).toBe(true);
  });

  it("rejects quicknet's round 1000 as another round, under another key, or with a changed signature", () => {
    expect(verifyRound(QUICKNET_CHAIN_INFO.public_key, 1001, QUICKNET_ROUND_1000.signature)).toBe(false);
    expect(verifyRound(WALKTHROUGH_CHAIN_INFO.public_key, 1000, QUICKNET_ROUND_1000.signature)).toBe(false);
    expect(verifyRound(QUICKNET_CHAIN_INFO.public_key, 1000, flipHexDigit(QUICKNET_ROUND_1000.signature, 95))).toBe(false);
    expect(verifySignedRound(QUICKNET_CHAIN_INFO.public_key, { ...QUICKNET_ROUND_1000, randomness: WALKTHROUGH_ROUND_38.randomness })).toBe(false);
  });
});

describe("signRound / verifyRound", () => {
  it("signs on G1 (48 bytes) with randomness = SHA-256(signature), verifiable with noble's short signatures", () => {
    const signed = signRound(beacon.secretKey, 42);
    expect(signed.round).toBe(42);
    expect(signed.signature).toMatch(/^[0-9a-f]{96}$/);
    expect(signed.randomness).toBe(toHex(sha256(fromHex(signed.signature))));
    const short = bls12_381.shortSignatures;
    expect(short.verify(fromHex(signed.signature), short.hash(roundMessage(42), BEACON_DST), fromHex(beacon.publicKey))).toBe(true);
    expect(signRound(beacon.secretKey, 42n)).toEqual(signed);
  });

  it("verifies every round it signs, and no other round or key", () => {
    fc.assert(
      fc.property(fc.nat(), (round) => {
        const signed = signRound(beacon.secretKey, round);
        expect(verifyRound(beacon.publicKey, round, signed.signature)).toBe(true);
        expect(verifyRound(beacon.publicKey, BigInt(round), signed.signature)).toBe(true);
        expect(verifyRound(beacon.publicKey, round + 1, signed.signature)).toBe(false);
        expect(verifyRound(other.publicKey, round, signed.signature)).toBe(false);
      }),
      { numRuns: 8 },
    );
  });

  it("rejects a round that does not fit a Round", () => {
    expect(() => signRound(beacon.secretKey, 2n ** 60n)).toThrow(expect.objectContaining({ _tag: "InvalidRound" }));
    expect(() => signRound(beacon.secretKey, -1)).toThrow(expect.objectContaining({ _tag: "InvalidRound" }));
  });

  it("returns false, never throws, on malformed keys, signatures and rounds", () => {
    const signed = signRound(beacon.secretKey, 7);
    const badHex = ["", "zz", "ab".repeat(47), "ab".repeat(49), signed.signature.toUpperCase(), "00".repeat(96)];
    for (const bad of badHex) {
      expect(verifyRound(bad, 7, signed.signature)).toBe(false);
      expect(verifyRound(beacon.publicKey, 7, bad)).toBe(false);
    }
    // The point at infinity (compressed), a G1 point in place of the G2 key, and out-of-range rounds.
    expect(verifyRound(beacon.publicKey, 7, `c0${"00".repeat(47)}`)).toBe(false);
    expect(verifyRound(`c0${"00".repeat(95)}`, 7, signed.signature)).toBe(false);
    expect(verifyRound(signed.signature, 7, signed.signature)).toBe(false);
    for (const round of [-7, 7.5, Number.NaN, MAX_ROUND + 1n]) expect(verifyRound(beacon.publicKey, round, signed.signature)).toBe(false);
    fc.assert(
      fc.property(fc.string(), fc.string(), (publicKey, signature) => {
        expect(verifyRound(publicKey, 7, signature)).toBe(false);
      }),
    );
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 48, maxLength: 48 }), (bytes) => {
        expect(verifyRound(beacon.publicKey, 7, toHex(bytes))).toBe(false);
      }),
      { numRuns: 50 },
    );
  });
});

describe("checkSignedRound", () => {
  it.effect("succeeds on a valid round and says which part of an invalid one is wrong", () =>
    Effect.gen(function* () {
      const signed = signRound(beacon.secretKey, 9);
      yield* checkSignedRound(beacon.publicKey, signed);
      const badSignature = yield* Effect.flip(checkSignedRound(beacon.publicKey, { ...signed, round: 10 }));
      expect(badSignature).toMatchObject({ _tag: "InvalidBeaconRound", round: "10", reason: "signature" });
      const badRandomness = yield* Effect.flip(checkSignedRound(beacon.publicKey, { ...signed, randomness: "00".repeat(32) }));
      expect(badRandomness).toMatchObject({ _tag: "InvalidBeaconRound", reason: "randomness" });
    }),
  );
});
