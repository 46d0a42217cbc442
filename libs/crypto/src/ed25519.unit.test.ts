import { ed25519 } from "@noble/curves/ed25519.js";
import { describe, expect, it } from "@effect/vitest";
import { Effect, Exit } from "effect";
import fc from "fast-check";
import { canonicalProofBytes, type BlockNumber, type Hash, type Level, type NodeIndex, type ProofStatement, type ProverId } from "@zk-testnet/protocol";
import { fromHex, toHex } from "./encoding.ts";
import { checkProofSignature, proverKeyFromSeed, proverSeed, signProof, verifyProof } from "./ed25519.ts";

const hex32 = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((bytes) => toHex(bytes) as Hash);
const seed = fc.uint8Array({ minLength: 32, maxLength: 32 });
const statement: fc.Arbitrary<ProofStatement> = fc.record({
  block: fc.nat().map((n) => n as BlockNumber),
  level: fc.nat({ max: 40 }).map((n) => n as Level),
  index: fc.nat().map((n) => n as NodeIndex),
  prover: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/).map((id) => id as ProverId),
  publicInput: hex32,
  childProofHashes: fc.array(hex32, { maxLength: 2 }),
});

const leaf: ProofStatement = {
  block: 7 as BlockNumber,
  level: 0 as Level,
  index: 2 as NodeIndex,
  prover: "prover-1" as ProverId,
  publicInput: "ab".repeat(32) as Hash,
  childProofHashes: [],
};

/** One changed field of a statement: every field the signature covers, one at a time. */
const tamperings: ReadonlyArray<readonly [string, (s: ProofStatement) => ProofStatement]> = [
  ["block", (s) => ({ ...s, block: (s.block + 1) as BlockNumber })],
  ["level", (s) => ({ ...s, level: (s.level + 1) as Level })],
  ["index", (s) => ({ ...s, index: (s.index + 1) as NodeIndex })],
  ["prover", (s) => ({ ...s, prover: `${s.prover}x` as ProverId })],
  ["publicInput", (s) => ({ ...s, publicInput: flipFirstHexDigit(s.publicInput) })],
  ["childProofHashes (added)", (s) => ({ ...s, childProofHashes: [...s.childProofHashes, "00".repeat(32) as Hash] })],
  ["childProofHashes (dropped)", (s) => ({ ...s, childProofHashes: s.childProofHashes.length > 0 ? s.childProofHashes.slice(1) : ["11".repeat(32) as Hash] })],
  ["childProofHashes (reversed)", (s) => ({ ...s, childProofHashes: s.childProofHashes.length === 2 ? [...s.childProofHashes].reverse() : [...s.childProofHashes, "22".repeat(32) as Hash] })],
];

function flipFirstHexDigit(hash: Hash): Hash {
  return `${hash[0] === "0" ? "1" : "0"}${hash.slice(1)}` as Hash;
}

describe("proverKeyFromSeed", () => {
  it("derives RFC 8032's public key from its secret key (RFC 8032, section 7.1, test 1)", () => {
    const key = proverKeyFromSeed(fromHex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"));
    expect(key.publicKey).toBe("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
  });

  it("gives the same public key as @noble/curves for every seed", () => {
    fc.assert(
      fc.property(seed, (bytes) => {
        expect(proverKeyFromSeed(bytes).publicKey).toBe(toHex(ed25519.getPublicKey(bytes)));
      }),
      { numRuns: 200 },
    );
  });

  it("rejects a seed that is not 32 bytes", () => {
    expect(() => proverKeyFromSeed(new Uint8Array(31))).toThrow(/expected 32 bytes, got 31/);
    expect(() => proverKeyFromSeed(new Uint8Array(33))).toThrow(expect.objectContaining({ _tag: "InvalidSeed" }));
  });
});

describe("proverSeed", () => {
  it("is 32 bytes, the same for the same run and prover, different otherwise", () => {
    expect(proverSeed("run-1", "prover-1")).toHaveLength(32);
    expect(proverSeed("run-1", "prover-1")).toEqual(proverSeed("run-1", "prover-1"));
    expect(proverSeed("run-1", "prover-1")).not.toEqual(proverSeed("run-1", "prover-2"));
    expect(proverSeed("run-1", "prover-1")).not.toEqual(proverSeed("run-2", "prover-1"));
  });

  it("does not let the run seed and the prover id run into each other", () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.string(), fc.string(), (runA, idA, runB, idB) => {
        fc.pre(runA !== runB || idA !== idB);
        expect(toHex(proverSeed(runA, idA))).not.toBe(toHex(proverSeed(runB, idB)));
      }),
    );
    expect(toHex(proverSeed("ab", "c"))).not.toBe(toHex(proverSeed("a", "bc")));
  });
});

describe("signProof / verifyProof", () => {
  it("agrees with @noble/curves both ways: node's signature verifies in noble, noble's in node", () => {
    fc.assert(
      fc.property(seed, statement, (bytes, s) => {
        const key = proverKeyFromSeed(bytes);
        const message = canonicalProofBytes(s);
        const nodeSignature = signProof(key, s);
        const nobleSignature = toHex(ed25519.sign(message, bytes));
        expect(nodeSignature).toMatch(/^[0-9a-f]{128}$/);
        // Ed25519 is deterministic: both libraries produce the very same signature.
        expect(nodeSignature).toBe(nobleSignature);
        expect(ed25519.verify(fromHex(nodeSignature), message, fromHex(key.publicKey), { zip215: false })).toBe(true);
        expect(verifyProof(key.publicKey, s, nobleSignature)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it("fails when any field of the statement is tampered with", () => {
    fc.assert(
      fc.property(seed, statement, fc.constantFrom(...tamperings), (bytes, s, [, tamper]) => {
        const key = proverKeyFromSeed(bytes);
        const signature = signProof(key, s);
        expect(verifyProof(key.publicKey, s, signature)).toBe(true);
        expect(verifyProof(key.publicKey, tamper(s), signature)).toBe(false);
        expect(ed25519.verify(fromHex(signature), canonicalProofBytes(tamper(s)), fromHex(key.publicKey))).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it.each(tamperings)("fails when %s changes", (_field, tamper) => {
    const key = proverKeyFromSeed(proverSeed("run", "prover-1"));
    const merge = { ...leaf, level: 1 as Level, childProofHashes: ["aa".repeat(32) as Hash, "bb".repeat(32) as Hash] };
    for (const s of [leaf, merge]) expect(verifyProof(key.publicKey, tamper(s), signProof(key, s))).toBe(false);
  });

  it("fails under another prover's key or with a flipped signature bit", () => {
    const key = proverKeyFromSeed(proverSeed("run", "prover-1"));
    const other = proverKeyFromSeed(proverSeed("run", "prover-2"));
    const signature = signProof(key, leaf);
    expect(verifyProof(other.publicKey, leaf, signature)).toBe(false);
    for (const position of [0, 63, 64, 127]) {
      const digit = signature[position] === "0" ? "1" : "0";
      expect(verifyProof(key.publicKey, leaf, `${signature.slice(0, position)}${digit}${signature.slice(position + 1)}`)).toBe(false);
    }
  });

  it("returns false, never throws, on malformed keys and signatures", () => {
    const key = proverKeyFromSeed(proverSeed("run", "prover-1"));
    const signature = signProof(key, leaf);
    const malformed = ["", "zz", "ab".repeat(31), "ab".repeat(33), key.publicKey.toUpperCase(), `${key.publicKey.slice(2)}g0`];
    for (const bad of malformed) {
      expect(verifyProof(bad, leaf, signature)).toBe(false);
      expect(verifyProof(key.publicKey, leaf, bad)).toBe(false);
    }
    // A point that is not on the curve, the all-zero key, a signature whose S is not reduced.
    expect(verifyProof(`02${"00".repeat(30)}80`, leaf, signature)).toBe(false);
    expect(verifyProof("00".repeat(32), leaf, signature)).toBe(false);
    expect(verifyProof(key.publicKey, leaf, `${signature.slice(0, 64)}${"ff".repeat(32)}`)).toBe(false);
    fc.assert(
      fc.property(fc.string(), fc.string(), (publicKey, sig) => {
        expect(verifyProof(publicKey, leaf, sig)).toBe(false);
      }),
    );
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 64, maxLength: 64 }), (publicKey, sig) => {
        expect(verifyProof(toHex(publicKey), leaf, toHex(sig))).toBe(false);
      }),
    );
  });
});

describe("checkProofSignature", () => {
  it.effect("succeeds on a valid signature and fails with InvalidProofSignature otherwise", () =>
    Effect.gen(function* () {
      const key = proverKeyFromSeed(proverSeed("run", "prover-1"));
      yield* checkProofSignature(key.publicKey, leaf, signProof(key, leaf));
      const exit = yield* Effect.exit(checkProofSignature(key.publicKey, { ...leaf, index: 3 as NodeIndex }, signProof(key, leaf)));
      expect(Exit.isFailure(exit)).toBe(true);
      const error = yield* Effect.flip(checkProofSignature(key.publicKey, leaf, "00"));
      expect(error._tag).toBe("InvalidProofSignature");
      expect(error.prover).toBe("prover-1");
    }),
  );
});
