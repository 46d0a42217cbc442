import { verifySignedRound } from "@zk-testnet/crypto";
import type { PayloadOf } from "@zk-testnet/protocol";

// A BLS pairing check costs tens of milliseconds, once per slot. Verification is a pure
// function of its inputs, so remembering its answers changes nothing but time: a replay in
// the same process (a restart, `testnet replay`, the tests) does not pay for it again.

const REMEMBERED_LIMIT = 4096;
const remembered = new Map<string, boolean>();

/** Whether a BeaconRound is signed by the beacon's key and its randomness is SHA-256 of the signature. */
export const isValidRound = (beaconPublicKey: string, round: PayloadOf<"BeaconRound">): boolean => {
  const key = `${beaconPublicKey}/${round.round}/${round.randomness}/${round.signature}`;
  const known = remembered.get(key);
  if (known !== undefined) return known;
  const valid = verifySignedRound(beaconPublicKey, round);
  if (remembered.size >= REMEMBERED_LIMIT) remembered.clear();
  remembered.set(key, valid);
  return valid;
};
