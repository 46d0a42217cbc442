import { createHash, generateKeyPairSync, sign, verify } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { BlockNumber, Hash, Level, NodeIndex, ProofSignature, ProverId } from "./ids.ts";
import { canonicalProofBytes, canonicalProofText, EMPTY_LEAF_PUBLIC_INPUT, mergePublicInput, proofHash, type ProofStatement } from "./proof.ts";

const hash = (seed: string): Hash => createHash("sha256").update(seed).digest("hex") as Hash;

const merge: ProofStatement = {
  block: 12 as BlockNumber,
  level: 1 as Level,
  index: 3 as NodeIndex,
  prover: "prover-3" as ProverId,
  publicInput: hash("input"),
  childProofHashes: [hash("left"), hash("right")],
};

const statement = fc.record({
  block: fc.nat().map((n) => n as BlockNumber),
  level: fc.nat({ max: 40 }).map((n) => n as Level),
  index: fc.nat().map((n) => n as NodeIndex),
  prover: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/).map((id) => id as ProverId),
  publicInput: fc.stringMatching(/^[0-9a-f]{64}$/).map((h) => h as Hash),
  childProofHashes: fc.array(fc.stringMatching(/^[0-9a-f]{64}$/).map((h) => h as Hash), { maxLength: 2 }),
});

describe("canonicalProofBytes", () => {
  it("is the documented text, one field a line", () => {
    expect(canonicalProofText(merge)).toBe(
      [
        "zk-testnet/proof/v1",
        "block:12",
        "level:1",
        "index:3",
        "prover:prover-3",
        `publicInput:${hash("input")}`,
        `children:${hash("left")},${hash("right")}`,
        "",
      ].join("\n"),
    );
    expect(canonicalProofText({ ...merge, level: 0 as Level, childProofHashes: [] })).toContain("\nchildren:\n");
    expect(Buffer.from(canonicalProofBytes(merge)).toString("utf8")).toBe(canonicalProofText(merge));
  });

  it("differs whenever the statement differs", () => {
    fc.assert(
      fc.property(statement, statement, (a, b) => {
        fc.pre(JSON.stringify(a) !== JSON.stringify(b));
        expect(canonicalProofText(a)).not.toBe(canonicalProofText(b));
      }),
      { numRuns: 300 },
    );
  });

  it("is what an Ed25519 proof signature covers: node:crypto signs and verifies it", () => {
    const { privateKey, publicKey } = generateKeyPairSync("ed25519");
    const signature = sign(null, canonicalProofBytes(merge), privateKey);
    expect(signature).toHaveLength(64);
    expect(verify(null, canonicalProofBytes(merge), publicKey, signature)).toBe(true);
    expect(verify(null, canonicalProofBytes({ ...merge, index: 4 as NodeIndex }), publicKey, signature)).toBe(false);
    const raw = publicKey.export({ format: "der", type: "spki" }).subarray(-32);
    expect(raw.toString("hex")).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe("proofHash", () => {
  it("is SHA-256 over the canonical bytes then the raw signature", () => {
    const signature = "ab".repeat(64) as ProofSignature;
    const expected = createHash("sha256")
      .update(Buffer.concat([Buffer.from(canonicalProofText(merge), "utf8"), Buffer.from(signature, "hex")]))
      .digest("hex");
    expect(proofHash(merge, signature)).toBe(expected);
    expect(proofHash(merge, "cd".repeat(64) as ProofSignature)).not.toBe(expected);
  });
});

describe("public inputs", () => {
  it("a merge node's is SHA-256 of the raw left and right inputs", () => {
    const left = hash("l");
    const right = hash("r");
    expect(mergePublicInput(left, right)).toBe(createHash("sha256").update(Buffer.from(left + right, "hex")).digest("hex"));
    expect(mergePublicInput(left, right)).not.toBe(mergePublicInput(right, left));
  });

  it("an empty padding leaf's is 32 zero bytes", () => {
    expect(Buffer.from(EMPTY_LEAF_PUBLIC_INPUT, "hex")).toStrictEqual(Buffer.alloc(32));
  });
});
