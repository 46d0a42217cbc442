import { Schema } from "effect";
import { defineEvent, described, payloadOf } from "../envelope.ts";
import { Amount, BlockNumber, Hash, Slot, TxCount } from "../ids.ts";

export const BlockProposed = defineEvent(
  "BlockProposed",
  1,
  payloadOf(
    "BlockProposed",
    {
      block: BlockNumber,
      slot: Slot,
      txCount: TxCount,
      fees: described(Amount, "F_b: the fee total of the block's transactions, in the smallest unit."),
      txHashes: Schema.Array(Hash).annotations({
        description: "The block's transaction hashes in order, txCount of them. Leaf i's public input is txHashes[i].",
      }),
    },
    "A new L2 block and its transactions.",
  ),
  [
    "The sequencer proposed block `block` in slot `slot`, with `txCount` transactions whose hashes are `txHashes` and whose fees total `fees`.",
    "The block's proof tree has txCount leaves, padded with empty leaves (public input 32 zero bytes, no proof) up to the next power of two.",
    "A leaf's public input is its transaction hash; a merge node's is SHA-256(left input bytes || right input bytes).",
    "A re-proposal after a reorg is a new block number with the same transactions.",
  ].join(" "),
);
