import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from "node:crypto";
import { Data, Effect } from "effect";
import { canonicalProofBytes, canonicalProofText, type ProofSignature, type ProofStatement, type ProverId, type PublicKey } from "@zk-testnet/protocol";
import { InvalidSeed, isLowerHex, labelledHash } from "./encoding.ts";

/** The domain tag of a prover's key seed; a new derivation gets a new tag. */
export const PROVER_SEED_TAG = "zk-testnet/prover-key/v1";

/** An Ed25519 key pair of a prover: the private key stays a node KeyObject, the public key is raw hex. */
export interface ProverKey {
  readonly privateKey: KeyObject;
  readonly publicKeyObject: KeyObject;
  /** The raw 32-byte public key (RFC 8032) as 64 lowercase hex characters. */
  readonly publicKey: PublicKey;
}

/** A proof's signature does not verify under the prover's key, or is not a well-formed signature. */
export class InvalidProofSignature extends Data.TaggedError("InvalidProofSignature")<{
  readonly prover: ProverId;
  readonly publicKey: string;
}> {
  override get message(): string {
    return `the proof signature of ${this.prover} does not verify under public key ${this.publicKey}`;
  }
}

// DER prefixes of an Ed25519 key (RFC 8410): PKCS#8 around the 32-byte seed, SPKI around the raw public key.
const PKCS8_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");
const SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex");

/**
 * The 32-byte seed of a prover's key in a run: SHA-256 of the labelled encoding of
 * (PROVER_SEED_TAG, runSeed, proverId), so one run seed yields every prover's key.
 */
export const proverSeed = (runSeed: string, proverId: string): Uint8Array => labelledHash(PROVER_SEED_TAG, runSeed, proverId);

/**
 * The Ed25519 key pair whose RFC 8032 secret key is `seed` (32 bytes): the same seed gives the
 * same key in node:crypto, @noble/curves and every other RFC 8032 implementation.
 * @throws InvalidSeed when the seed is not 32 bytes.
 */
export const proverKeyFromSeed = (seed: Uint8Array): ProverKey => {
  if (seed.length !== 32) throw new InvalidSeed({ expected: "32", actual: seed.length });
  const privateKey = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed]), format: "der", type: "pkcs8" });
  const publicKeyObject = createPublicKey(privateKey);
  const spki = publicKeyObject.export({ format: "der", type: "spki" });
  return { privateKey, publicKeyObject, publicKey: spki.subarray(SPKI_PREFIX.length).toString("hex") as PublicKey };
};

/** An Ed25519 signature (RFC 8032) of `message` under the key, as 128 lowercase hex characters. */
export const signEd25519 = (key: Pick<ProverKey, "privateKey">, message: Uint8Array): string => sign(null, message, key.privateKey).toString("hex");

/** A prover's Ed25519 signature over the canonical encoding of the statement, as 128 lowercase hex characters. */
export const signProof = (key: ProverKey, statement: ProofStatement): ProofSignature => signEd25519(key, canonicalProofBytes(statement)) as ProofSignature;

// Importing a public key costs about as much as a verification; a prover set is small, so keep them.
const PUBLIC_KEY_CACHE_LIMIT = 4096;
const publicKeyCache = new Map<string, KeyObject | null>();

/** The node KeyObject of a raw hex public key, or null when the key is not a valid Ed25519 point. */
const importPublicKey = (publicKeyHex: string): KeyObject | null => {
  const cached = publicKeyCache.get(publicKeyHex);
  if (cached !== undefined) return cached;
  let key: KeyObject | null;
  try {
    key = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, Buffer.from(publicKeyHex, "hex")]), format: "der", type: "spki" });
  } catch {
    key = null;
  }
  if (publicKeyCache.size >= PUBLIC_KEY_CACHE_LIMIT) publicKeyCache.clear();
  publicKeyCache.set(publicKeyHex, key);
  return key;
};

// The aggregator verifies a proof when it arrives, the L1 again with its block's tree, the
// invariant checker once more: a pure function of (key, statement, signature), so remembering
// the recent answers (oldest forgotten first) changes nothing but time.
const VERIFIED_LIMIT = 16_384;
const verified = new Map<string, boolean>();

/**
 * Whether `signatureHex` is the Ed25519 signature (RFC 8032, as OpenSSL verifies it) of the
 * statement's canonical encoding under `publicKeyHex`. Never throws: a malformed key or
 * signature (wrong length, not lowercase hex, not a curve point) is simply not valid.
 * Answers are remembered (the last 16,384).
 */
export const verifyProof = (publicKeyHex: string, statement: ProofStatement, signatureHex: string): boolean => {
  const text = canonicalProofText(statement);
  const key = `${publicKeyHex}/${signatureHex}/${text}`;
  const known = verified.get(key);
  if (known !== undefined) return known;
  const valid = verifyEd25519(publicKeyHex, Buffer.from(text, "utf8"), signatureHex);
  if (verified.size >= VERIFIED_LIMIT) verified.delete(verified.keys().next().value as string);
  verified.set(key, valid);
  return valid;
};

/** Whether `signatureHex` is an Ed25519 signature of `message` under `publicKeyHex` (raw hex). Never throws. */
export const verifyEd25519 = (publicKeyHex: string, message: Uint8Array, signatureHex: string): boolean => {
  if (!isLowerHex(publicKeyHex, 32) || !isLowerHex(signatureHex, 64)) return false;
  const key = importPublicKey(publicKeyHex);
  if (key === null) return false;
  try {
    return verify(null, message, key, Buffer.from(signatureHex, "hex"));
  } catch {
    return false;
  }
};

/** `verifyProof` as an effect that fails with InvalidProofSignature, for callers that reject with a reason. */
export const checkProofSignature = (
  publicKeyHex: string,
  statement: ProofStatement,
  signatureHex: string,
): Effect.Effect<void, InvalidProofSignature> =>
  Effect.suspend(() =>
    verifyProof(publicKeyHex, statement, signatureHex)
      ? Effect.void
      : Effect.fail(new InvalidProofSignature({ prover: statement.prover, publicKey: publicKeyHex })),
  );
