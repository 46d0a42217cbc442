/**
 * Signatures per second: Ed25519 proof signing and verification through node:crypto (what the
 * library uses) against @noble/curves (pure JS), and the beacon's BLS round signatures.
 *
 *   node libs/crypto/bench/sign-verify.ts [--seconds S]
 */
import { parseArgs } from "node:util";
import { ed25519 } from "@noble/curves/ed25519.js";
import { canonicalProofBytes, type BlockNumber, type Hash, type Level, type NodeIndex, type ProofStatement, type ProverId } from "@zk-testnet/protocol";
import { beaconKeyFromSeed, beaconSeed, fromHex, proverKeyFromSeed, proverSeed, signProof, signRound, verifyProof, verifyRound } from "../src/index.ts";

const { values } = parseArgs({ options: { seconds: { type: "string", default: "1" } } });
const seconds = Number(values.seconds);

/** Operations per second of `op`, run for about `seconds` after a short warm-up. */
const rate = (op: (i: number) => unknown): number => {
  for (let i = 0; i < 20; i++) op(i);
  let count = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  while (performance.now() < end) {
    for (let i = 0; i < 10; i++) op(count + i);
    count += 10;
  }
  return count / ((performance.now() - start) / 1000);
};

/** The i-th item, cycling: the benchmark's inputs are small fixed arrays. */
const pick = <T>(items: readonly T[], i: number): T => items[i % items.length] as T;

const statement = (i: number): ProofStatement => ({
  block: i as BlockNumber,
  level: 1 as Level,
  index: (i % 8) as NodeIndex,
  prover: "prover-1" as ProverId,
  publicInput: "ab".repeat(32) as Hash,
  childProofHashes: ["cd".repeat(32) as Hash, "ef".repeat(32) as Hash],
});

const seed = proverSeed("bench", "prover-1");
const key = proverKeyFromSeed(seed);
const statements = Array.from({ length: 64 }, (_, i) => statement(i));
const nodeSignatures = statements.map((s) => signProof(key, s));
const nobleSignatures = nodeSignatures.map(fromHex);
const publicKeyBytes = fromHex(key.publicKey);

const results: Array<{ readonly operation: string; readonly perSecond: number }> = [];
const measure = (operation: string, op: (i: number) => unknown): number => {
  const perSecond = rate(op);
  results.push({ operation, perSecond });
  return perSecond;
};

const nodeSign = measure("ed25519 sign, node:crypto (canonical encoding included)", (i) => signProof(key, pick(statements, i)));
const nobleSign = measure("ed25519 sign, @noble/curves (canonical encoding included)", (i) => ed25519.sign(canonicalProofBytes(pick(statements, i)), seed));
const nodeVerify = measure("ed25519 verify, node:crypto (canonical encoding included)", (i) =>
  verifyProof(key.publicKey, pick(statements, i), pick(nodeSignatures, i)),
);
const nobleVerify = measure("ed25519 verify, @noble/curves (canonical encoding included)", (i) =>
  ed25519.verify(pick(nobleSignatures, i), canonicalProofBytes(pick(statements, i)), publicKeyBytes),
);

const beacon = beaconKeyFromSeed(beaconSeed("bench"));
const rounds = Array.from({ length: 16 }, (_, i) => signRound(beacon.secretKey, i + 1));
measure("bls sign round (G1, RFC 9380 hash-to-curve)", (i) => signRound(beacon.secretKey, (i % 1000) + 1));
measure("bls verify round (pairing check)", (i) => verifyRound(beacon.publicKey, pick(rounds, i).round, pick(rounds, i).signature));

const width = Math.max(...results.map((r) => r.operation.length));
console.log(`Signatures per second (${seconds} s each, Node ${process.version})`);
for (const { operation, perSecond } of results) console.log(`  ${operation.padEnd(width)}  ${Math.round(perSecond).toLocaleString("en-US").padStart(9)}/s`);
console.log(`  ed25519 node:crypto / @noble/curves: sign x${(nodeSign / nobleSign).toFixed(1)}, verify x${(nodeVerify / nobleVerify).toFixed(1)}`);
