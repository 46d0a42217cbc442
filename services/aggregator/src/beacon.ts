import { verifyBeaconRound, type BeaconSchemeId } from "@zk-testnet/crypto";
import type { PayloadOf } from "@zk-testnet/protocol";

/** What judges a beacon round: the beacon's public key and the scheme it signs in (absent: drand's BLS). */
export interface BeaconCheck {
  readonly beaconPublicKey: string;
  readonly beaconScheme?: BeaconSchemeId;
}

/**
 * Whether a BeaconRound is signed by the beacon's key in its scheme and its randomness is
 * SHA-256 of the signature. libs/crypto remembers the answers: a replay in the same process
 * (a restart, `testnet replay`, the invariant checker) does not verify a round again.
 */
export const isValidRound = (beacon: BeaconCheck, round: PayloadOf<"BeaconRound">): boolean =>
  verifyBeaconRound(beacon.beaconScheme ?? "bls-unchained-g1-rfc9380", beacon.beaconPublicKey, round);
