import { createHash } from "node:crypto";
import { Data, Schema } from "effect";
import { BeaconSignature, Hash, Round } from "@zk-testnet/protocol";
import { BEACON_SCHEME_ID } from "./bls.ts";
import { labelledHash, toHex } from "./encoding.ts";

/** The beacon id our beacon publishes in `/info` unless told otherwise. */
export const DEFAULT_BEACON_ID = "zk-testnet";

/** The domain tag of our beacon's group hash (drand's genesis seed); a new derivation gets a new tag. */
export const BEACON_GROUP_TAG = "zk-testnet/beacon-group/v1";

/** drand's chain info, as its `/info` endpoint serves it (field names are drand's). */
export const DrandChainInfo = Schema.Struct({
  public_key: Schema.String.pipe(Schema.pattern(/^(?:[0-9a-f]{2})+$/)).annotations({ description: "The group public key, compressed, lowercase hex." }),
  period: Schema.Int.pipe(Schema.between(1, 2 ** 32 - 1)).annotations({ description: "Seconds between rounds." }),
  genesis_time: Schema.Int.annotations({ description: "Unix time in seconds of round 1." }),
  hash: Hash.annotations({ description: "The chain hash: see `chainHash`." }),
  groupHash: Hash.annotations({ description: "drand's genesis seed: the hash of the group that runs the chain." }),
  schemeID: Schema.String,
  metadata: Schema.Struct({ beaconID: Schema.String }),
}).annotations({ identifier: "DrandChainInfo", title: "DrandChainInfo", description: "A drand chain's info, as served at /info." });
export type DrandChainInfo = typeof DrandChainInfo.Type;

/** One round as drand's `/public/{round}` and `/public/latest` serve it (an unchained scheme: no previous signature). */
export const DrandBeacon = Schema.Struct({ round: Round, randomness: Hash, signature: BeaconSignature }).annotations({
  identifier: "DrandBeacon",
  title: "DrandBeacon",
  description: "One beacon round as served at /public/{round}.",
});
export type DrandBeacon = typeof DrandBeacon.Type;

/** The fields of a chain info that its hash covers. */
export type ChainHashInput = Pick<DrandChainInfo, "public_key" | "period" | "genesis_time" | "groupHash" | "metadata">;

/** A chain info field out of the range drand can encode. */
export class InvalidChainInfo extends Data.TaggedError("InvalidChainInfo")<{ readonly field: string; readonly reason: string }> {
  override get message(): string {
    return `invalid drand chain info: ${this.field} ${this.reason}`;
  }
}

const isDefaultBeaconId = (beaconId: string): boolean => beaconId === "" || beaconId === "default";

/**
 * drand's chain hash (`chain.Info.Hash` in drand's Go code): SHA-256 over the period in seconds
 * (uint32, big-endian), the genesis time in seconds (int64, big-endian), the raw public key,
 * the group hash (genesis seed), then the beacon id unless it is "" or "default". The scheme id
 * is not part of it. Checked against the hashes of drand's mainnet, quicknet and testnet chains.
 * @throws InvalidChainInfo when the period or genesis time is out of drand's range.
 */
export const chainHash = (info: ChainHashInput): Hash => {
  if (!Number.isInteger(info.period) || info.period < 1 || info.period > 2 ** 32 - 1) {
    throw new InvalidChainInfo({ field: "period", reason: "must be a whole number of seconds in the uint32 range" });
  }
  if (!Number.isSafeInteger(info.genesis_time)) throw new InvalidChainInfo({ field: "genesis_time", reason: "must be a safe integer of seconds" });
  const times = Buffer.alloc(12);
  times.writeUInt32BE(info.period, 0);
  times.writeBigInt64BE(BigInt(info.genesis_time), 4);
  const hash = createHash("sha256")
    .update(times)
    .update(Buffer.from(info.public_key, "hex"))
    .update(Buffer.from(info.groupHash, "hex"));
  if (!isDefaultBeaconId(info.metadata.beaconID)) hash.update(info.metadata.beaconID, "utf8");
  return hash.digest("hex") as Hash;
};

/** What our beacon needs to describe its chain. */
export interface BeaconChainParams {
  readonly publicKey: string;
  /** Seconds between rounds: drand only has whole seconds. */
  readonly periodSeconds: number;
  /** Unix time in seconds of round 1. */
  readonly genesisTime: number;
  readonly beaconId?: string;
  /** drand's genesis seed; by default `beaconGroupHash` of the other fields. */
  readonly groupHash?: Hash;
  /** The scheme the rounds are signed in (not hashed); by default drand's bls-unchained-g1-rfc9380. */
  readonly schemeId?: string;
}

/**
 * The group hash of a one-signer beacon. drand hashes its group file (the nodes, threshold and
 * genesis); our beacon has no group, so this hashes what identifies it instead.
 */
export const beaconGroupHash = (publicKey: string, periodSeconds: number, genesisTime: number): Hash =>
  toHex(labelledHash(BEACON_GROUP_TAG, publicKey, String(periodSeconds), String(genesisTime))) as Hash;

/** Our beacon's `/info` document (in the bls-unchained-g1-rfc9380 scheme unless `schemeId` says otherwise), with its chain hash. */
export const beaconChainInfo = (params: BeaconChainParams): DrandChainInfo => {
  const fields = {
    public_key: params.publicKey,
    period: params.periodSeconds,
    genesis_time: params.genesisTime,
    groupHash: params.groupHash ?? beaconGroupHash(params.publicKey, params.periodSeconds, params.genesisTime),
    schemeID: params.schemeId ?? BEACON_SCHEME_ID,
    metadata: { beaconID: params.beaconId ?? DEFAULT_BEACON_ID },
  };
  return { ...fields, hash: chainHash(fields) };
};

/** Whether a chain info's `hash` is the hash of its fields. */
export const isChainHashValid = (info: DrandChainInfo): boolean => {
  try {
    return chainHash(info) === info.hash;
  } catch {
    return false;
  }
};

/**
 * The round current at `timeMs` (Unix milliseconds) as drand counts: round 1 starts at the
 * genesis time and a new round starts every period; 0 before genesis.
 */
export const roundAt = (info: Pick<DrandChainInfo, "period" | "genesis_time">, timeMs: number): number => {
  const genesisMs = info.genesis_time * 1000;
  if (timeMs < genesisMs) return 0;
  return Math.floor((timeMs - genesisMs) / (info.period * 1000)) + 1;
};

/** The Unix time in milliseconds at which `round` starts: round 1 at genesis (rounds below 1 count as 1). */
export const roundTime = (info: Pick<DrandChainInfo, "period" | "genesis_time">, round: number): number =>
  (info.genesis_time + (Math.max(round, 1) - 1) * info.period) * 1000;
