import { hkdfSync } from "node:crypto";
import { bls12_381, bls12_381_Fr } from "@noble/curves/bls12-381.js";
import { Data, Effect, Schema } from "effect";
import type { BeaconSignature, Hash, Round } from "@zk-testnet/protocol";
import { fromHex, InvalidSeed, isLowerHex, labelledHash, sha256, toHex } from "./encoding.ts";

/** drand's name of the scheme: signatures on G1, public key on G2, message = SHA-256(round), RFC 9380 hash-to-curve. */
export const BEACON_SCHEME_ID = "bls-unchained-g1-rfc9380";

/** The hash-to-curve domain separation tag of the scheme (the IETF BLS signature suite on G1). */
export const BEACON_DST = "BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_";

/** The domain tag of the beacon's key seed; a new derivation gets a new tag. */
export const BEACON_SEED_TAG = "zk-testnet/beacon-key/v1";

/** The largest round drand can encode: the round is an unsigned 64-bit integer. */
export const MAX_ROUND = 2n ** 64n - 1n;

/** The beacon's BLS12-381 public key: a compressed G2 point, 96 bytes as 192 lowercase hex characters. */
export const BeaconPublicKey = Schema.String.pipe(
  Schema.pattern(/^[0-9a-f]{192}$/),
  Schema.brand("BeaconPublicKey"),
  Schema.annotations({
    identifier: "BeaconPublicKey",
    title: "BeaconPublicKey",
    description: "The beacon's BLS12-381 public key (drand's `public_key`): a compressed G2 point, 96 bytes as 192 lowercase hex characters.",
  }),
);
export type BeaconPublicKey = typeof BeaconPublicKey.Type;

/** The beacon's key pair: a BLS12-381 scalar (32 bytes, big-endian) and its public key on G2. */
export interface BeaconKey {
  readonly secretKey: Uint8Array;
  readonly publicKey: BeaconPublicKey;
}

/** One signed round, as the BeaconRound event and drand's `/public/{round}` carry it. */
export interface SignedRound {
  readonly round: Round;
  readonly signature: BeaconSignature;
  readonly randomness: Hash;
}

/** A round number that is not an unsigned 64-bit integer (or, where a `Round` is returned, not a safe integer). */
export class InvalidRound extends Data.TaggedError("InvalidRound")<{ readonly round: string; readonly reason: string }> {
  override get message(): string {
    return `invalid beacon round ${this.round}: ${this.reason}`;
  }
}

/** A beacon round whose signature or randomness does not verify under the beacon's public key. */
export class InvalidBeaconRound extends Data.TaggedError("InvalidBeaconRound")<{
  readonly round: string;
  readonly reason: "signature" | "randomness";
}> {
  override get message(): string {
    return `beacon round ${this.round} is invalid: bad ${this.reason}`;
  }
}

const short = bls12_381.shortSignatures;
type G2Point = ReturnType<typeof bls12_381.G2.Point.fromHex>;

/** The 32-byte seed of the beacon's key in a run: SHA-256 of the labelled encoding of (BEACON_SEED_TAG, runSeed). */
export const beaconSeed = (runSeed: string): Uint8Array => labelledHash(BEACON_SEED_TAG, runSeed);

const KEYGEN_SALT = "BLS-SIG-KEYGEN-SALT-";
const KEYGEN_LENGTH = 48;

/**
 * KeyGen of the IETF BLS signature draft (draft-irtf-cfrg-bls-signature-05, section 2.3; the
 * same as EIP-2333's master key): HKDF-SHA-256 from the seed to a non-zero scalar mod r.
 * @throws InvalidSeed when the seed is shorter than 32 bytes.
 */
export const blsSecretKeyFromSeed = (seed: Uint8Array, keyInfo: Uint8Array = new Uint8Array(0)): Uint8Array => {
  if (seed.length < 32) throw new InvalidSeed({ expected: "at least 32", actual: seed.length });
  const ikm = Buffer.concat([seed, Buffer.from([0])]);
  const info = Buffer.concat([keyInfo, Buffer.from([0, KEYGEN_LENGTH])]);
  let salt: Uint8Array = Buffer.from(KEYGEN_SALT, "ascii");
  let scalar = 0n;
  while (scalar === 0n) {
    salt = sha256(salt);
    const okm = Buffer.from(hkdfSync("sha256", ikm, salt, info, KEYGEN_LENGTH));
    scalar = BigInt(`0x${okm.toString("hex")}`) % bls12_381_Fr.ORDER;
  }
  return fromHex(scalar.toString(16).padStart(64, "0"));
};

/** The compressed G2 public key of a beacon secret key, as lowercase hex. */
export const beaconPublicKeyHex = (secretKey: Uint8Array): BeaconPublicKey => short.getPublicKey(secretKey).toHex(true) as BeaconPublicKey;

/** The beacon's key pair from a seed of at least 32 bytes (see `blsSecretKeyFromSeed`). */
export const beaconKeyFromSeed = (seed: Uint8Array): BeaconKey => {
  const secretKey = blsSecretKeyFromSeed(seed);
  return { secretKey, publicKey: beaconPublicKeyHex(secretKey) };
};

/** The round as a bigint, or why it is not an unsigned 64-bit integer. */
export const roundBigInt = (round: bigint | number): bigint | string => {
  if (typeof round === "number" && !Number.isSafeInteger(round)) return "not a safe integer";
  const value = BigInt(round);
  if (value < 0n || value > MAX_ROUND) return "outside the unsigned 64-bit range";
  return value;
};

/** The round as a `Round`; throws InvalidRound unless it is a safe non-negative integer. */
export const toRound = (round: bigint | number): Round => {
  const value = roundBigInt(round);
  if (typeof value === "string") throw new InvalidRound({ round: String(round), reason: value });
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new InvalidRound({ round: String(round), reason: "above Number.MAX_SAFE_INTEGER" });
  return Number(value) as Round;
};

/**
 * The message the beacon signs for a round: SHA-256 of the round as 8 big-endian bytes.
 * @throws InvalidRound when the round is not an unsigned 64-bit integer.
 */
export const roundMessage = (round: bigint | number): Uint8Array => {
  const value = roundBigInt(round);
  if (typeof value === "string") throw new InvalidRound({ round: String(round), reason: value });
  const bytes = Buffer.alloc(8);
  bytes.writeBigUInt64BE(value);
  return sha256(bytes);
};

/** The randomness of a round: SHA-256 of the raw signature bytes, as lowercase hex. */
export const roundRandomness = (signatureHex: string): Hash => toHex(sha256(fromHex(signatureHex))) as Hash;

/**
 * The beacon's signature over a round and the randomness it yields.
 * @throws InvalidRound when the round is not a safe non-negative integer.
 */
export const signRound = (secretKey: Uint8Array, round: bigint | number): SignedRound => {
  const checked = toRound(round);
  const point = short.sign(short.hash(roundMessage(checked), BEACON_DST), secretKey);
  const signature = short.Signature.toHex(point) as BeaconSignature;
  return { round: checked, signature, randomness: roundRandomness(signature) };
};

// Decompressing a G2 key and checking its subgroup is costly; a run has one beacon key.
const PUBLIC_KEY_CACHE_LIMIT = 64;
const publicKeyCache = new Map<string, G2Point | null>();

const importPublicKey = (publicKeyHex: string): G2Point | null => {
  const cached = publicKeyCache.get(publicKeyHex);
  if (cached !== undefined) return cached;
  let point: G2Point | null;
  try {
    point = bls12_381.G2.Point.fromHex(publicKeyHex);
    point.assertValidity();
    if (point.is0()) point = null;
  } catch {
    point = null;
  }
  if (publicKeyCache.size >= PUBLIC_KEY_CACHE_LIMIT) publicKeyCache.clear();
  publicKeyCache.set(publicKeyHex, point);
  return point;
};

/**
 * Whether `signatureHex` is the beacon's signature of `round` under `publicKeyHex` in drand's
 * bls-unchained-g1-rfc9380 scheme. Never throws: malformed keys, signatures and rounds are not valid.
 */
export const verifyRound = (publicKeyHex: string, round: bigint | number, signatureHex: string): boolean => {
  if (!isLowerHex(publicKeyHex, 96) || !isLowerHex(signatureHex, 48)) return false;
  const value = roundBigInt(round);
  if (typeof value === "string") return false;
  const publicKey = importPublicKey(publicKeyHex);
  if (publicKey === null) return false;
  try {
    return short.verify(fromHex(signatureHex), short.hash(roundMessage(value), BEACON_DST), publicKey);
  } catch {
    return false;
  }
};

/** Whether a whole signed round is valid: its signature (see `verifyRound`) and its randomness = SHA-256(signature). */
export const verifySignedRound = (publicKeyHex: string, signed: { readonly round: bigint | number; readonly signature: string; readonly randomness: string }): boolean =>
  isLowerHex(signed.randomness, 32) &&
  isLowerHex(signed.signature, 48) &&
  roundRandomness(signed.signature) === signed.randomness &&
  verifyRound(publicKeyHex, signed.round, signed.signature);

/** `verifySignedRound` as an effect that fails with InvalidBeaconRound, saying which part is wrong. */
export const checkSignedRound = (
  publicKeyHex: string,
  signed: { readonly round: bigint | number; readonly signature: string; readonly randomness: string },
): Effect.Effect<void, InvalidBeaconRound> =>
  Effect.suspend(() => {
    const round = String(signed.round);
    if (!isLowerHex(signed.signature, 48) || !verifyRound(publicKeyHex, signed.round, signed.signature)) {
      return Effect.fail(new InvalidBeaconRound({ round, reason: "signature" }));
    }
    if (roundRandomness(signed.signature) !== signed.randomness) return Effect.fail(new InvalidBeaconRound({ round, reason: "randomness" }));
    return Effect.void;
  });
