import type { BeaconSignature } from "@zk-testnet/protocol";
import { BEACON_SCHEME_ID, beaconKeyFromSeed, beaconSeed, roundBigInt, roundMessage, roundRandomness, signRound, toRound, verifySignedRound, type SignedRound } from "./bls.ts";
import { proverKeyFromSeed, signEd25519, verifyEd25519, type ProverKey } from "./ed25519.ts";
import { isLowerHex, labelledHash } from "./encoding.ts";

// The beacon signs its rounds in one of two schemes, which the network config names. drand's
// BLS is the default: what drand clients verify, run by every mode unless told otherwise. A BLS
// round costs ~7 ms to sign and ~25 ms to verify (a pairing), more than the rest of a simulated
// block, so the simulator signs with Ed25519 instead: the same round message, randomness =
// SHA-256(signature), a public key every service derives from the run seed, for ~0.1 ms.

/**
 * The simulated scheme: an Ed25519 signature (RFC 8032, 64 bytes) over drand's round message
 * (SHA-256 of the round as 8 big-endian bytes), randomness = SHA-256(signature). Not drand's:
 * no drand client verifies it.
 */
export const SIM_BEACON_SCHEME_ID = "sim-ed25519";

/** The beacon schemes a network can name (`NetworkConfig.beacon.scheme`); drand's is the default. */
export type BeaconSchemeId = typeof BEACON_SCHEME_ID | typeof SIM_BEACON_SCHEME_ID;

export const BEACON_SCHEME_IDS: readonly BeaconSchemeId[] = [BEACON_SCHEME_ID, SIM_BEACON_SCHEME_ID];

/** The domain tag of the simulated beacon's key seed; a new derivation gets a new tag. */
export const SIM_BEACON_SEED_TAG = "zk-testnet/sim-beacon-key/v1";

export const isBeaconSchemeId = (value: unknown): value is BeaconSchemeId => (BEACON_SCHEME_IDS as readonly unknown[]).includes(value);

/** A run's beacon: the scheme, its public key as lowercase hex, and what signs a round. */
export interface BeaconSigner {
  readonly scheme: BeaconSchemeId;
  readonly publicKey: string;
  /** The signed round; throws InvalidRound unless the round is a safe non-negative integer. */
  readonly sign: (round: bigint | number) => SignedRound;
}

const simKeyOf = (runSeed: string): ProverKey => proverKeyFromSeed(labelledHash(SIM_BEACON_SEED_TAG, runSeed));

const simSign = (key: ProverKey, round: bigint | number): SignedRound => {
  const checked = toRound(round);
  const signature = signEd25519(key, roundMessage(checked)) as BeaconSignature;
  return { round: checked, signature, randomness: roundRandomness(signature) };
};

/**
 * The beacon of a run in a scheme, its key derived from the run seed: drand's BLS key
 * (`beaconKeyFromSeed(beaconSeed(runSeed))`) or the simulated scheme's Ed25519 key (the seed
 * labelled with SIM_BEACON_SEED_TAG). Either is a pure function of the seed.
 */
export const beaconSigner = (scheme: BeaconSchemeId, runSeed: string): BeaconSigner => {
  if (scheme === SIM_BEACON_SCHEME_ID) {
    const key = simKeyOf(runSeed);
    return { scheme, publicKey: key.publicKey, sign: (round) => simSign(key, round) };
  }
  const key = beaconKeyFromSeed(beaconSeed(runSeed));
  return { scheme, publicKey: key.publicKey, sign: (round) => signRound(key.secretKey, round) };
};

// Deriving a BLS public key costs a G2 multiplication (~0.25 s); every service and the checker of a run ask for the same one.
const PUBLIC_KEY_LIMIT = 64;
const publicKeys = new Map<string, string>();

/** The public key of a run's beacon in a scheme (see `beaconSigner`), remembered per scheme and seed. */
export const beaconPublicKeyOf = (scheme: BeaconSchemeId, runSeed: string): string => {
  const key = `${scheme}/${runSeed}`;
  const known = publicKeys.get(key);
  if (known !== undefined) return known;
  const publicKey = scheme === SIM_BEACON_SCHEME_ID ? simKeyOf(runSeed).publicKey : beaconKeyFromSeed(beaconSeed(runSeed)).publicKey;
  if (publicKeys.size >= PUBLIC_KEY_LIMIT) publicKeys.clear();
  publicKeys.set(key, publicKey);
  return publicKey;
};

/** One signed round as a BeaconRound carries it. */
export interface BeaconRoundPayload {
  readonly round: bigint | number;
  readonly signature: string;
  readonly randomness: string;
}

const simVerify = (publicKeyHex: string, signed: BeaconRoundPayload): boolean => {
  if (!isLowerHex(signed.randomness, 32) || !isLowerHex(signed.signature, 64)) return false;
  if (typeof roundBigInt(signed.round) === "string") return false;
  return roundRandomness(signed.signature) === signed.randomness && verifyEd25519(publicKeyHex, roundMessage(signed.round), signed.signature);
};

// Verification is a pure function of its inputs, so remembering its answers changes nothing but
// time: the aggregator, its replay and the invariant checker of one process check each round once.
const REMEMBERED_LIMIT = 4096;
const remembered = new Map<string, boolean>();

/**
 * Whether a signed round is valid in the scheme under the public key: its signature, and its
 * randomness = SHA-256(signature). Never throws. Answers are remembered (up to 4,096 rounds).
 */
export const verifyBeaconRound = (scheme: BeaconSchemeId, publicKeyHex: string, signed: BeaconRoundPayload): boolean => {
  const key = `${scheme}/${publicKeyHex}/${signed.round}/${signed.randomness}/${signed.signature}`;
  const known = remembered.get(key);
  if (known !== undefined) return known;
  const valid = scheme === SIM_BEACON_SCHEME_ID ? simVerify(publicKeyHex, signed) : scheme === BEACON_SCHEME_ID && verifySignedRound(publicKeyHex, signed);
  if (remembered.size >= REMEMBERED_LIMIT) remembered.clear();
  remembered.set(key, valid);
  return valid;
};
