import { defineEvent, described, payloadOf } from "../envelope.ts";
import { BeaconSignature, Hash, Round } from "../ids.ts";

export const BeaconRound = defineEvent(
  "BeaconRound",
  1,
  payloadOf(
    "BeaconRound",
    {
      round: Round,
      randomness: described(Hash, "R_r = SHA-256(signature bytes), as lowercase hex (drand's `randomness`)."),
      signature: BeaconSignature,
    },
    "One round of the randomness beacon.",
  ),
  [
    "The beacon published round `round`: `signature` is its BLS signature over the round number (drand's bls-unchained-g1-rfc9380 scheme)",
    "and `randomness` = SHA-256(signature). Anyone holding the beacon's public key (GET /info on the beacon's drand-compatible HTTP API) can verify it.",
    "Block b uses the round of the slot in which it was proposed; leaf i of block b goes to the prover sampled with H(R || \"leaf\" || b || i).",
  ].join(" "),
);
