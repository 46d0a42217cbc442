import { createHash } from "node:crypto";
import { makeRng } from "@zk-testnet/mechanisms";
import type { Hash } from "@zk-testnet/protocol";

/** The domain tag of a transaction's encoding; a new encoding gets a new tag. */
export const TX_ENCODING_TAG = "zk-testnet/tx/v1";

/** A transaction's fee is uniform in [MIN_TX_FEE, MAX_TX_FEE], in the smallest unit. */
export const MIN_TX_FEE = 1_000;
export const MAX_TX_FEE = 100_000;

/** One seeded L2 transaction: its fee and the hash of its canonical encoding. */
export interface Transaction {
  readonly hash: Hash;
  readonly fee: bigint;
}

/** A block's batch: what BlockProposed carries. */
export interface TransactionBatch {
  readonly transactions: readonly Transaction[];
  readonly txHashes: readonly Hash[];
  readonly fees: bigint;
}

const hex32 = (words: readonly number[]): string => words.map((w) => w.toString(16).padStart(8, "0")).join("");

/**
 * The canonical bytes of a transaction: UTF-8 text, one field a line, each ending in `\n`:
 * the tag, `block:<b>`, `index:<i>`, `fee:<decimal>`, `nonce:<64 hex>`.
 */
export const transactionText = (block: number, index: number, fee: bigint, nonce: string): string =>
  `${TX_ENCODING_TAG}\nblock:${block}\nindex:${index}\nfee:${fee}\nnonce:${nonce}\n`;

/**
 * The T transactions of block `block`. Each block draws from its own stream,
 * `makeRng(seed).fork("sequencer/block/<b>")`: per transaction a fee, then a 32-byte nonce
 * (eight 32-bit draws). A block's batch depends on (seed, block, T) only, so a restarted or
 * replayed sequencer needs no stream state to propose the same block again.
 */
export const blockTransactions = (seed: string, block: number, txCount: number): TransactionBatch => {
  const rng = makeRng(seed).fork(`sequencer/block/${block}`);
  const transactions: Transaction[] = [];
  for (let index = 0; index < txCount; index++) {
    const fee = BigInt(MIN_TX_FEE + rng.nextInt(MAX_TX_FEE - MIN_TX_FEE + 1));
    const nonce = hex32(Array.from({ length: 8 }, () => rng.nextUint32()));
    const hash = createHash("sha256").update(transactionText(block, index, fee, nonce), "utf8").digest("hex") as Hash;
    transactions.push({ hash, fee });
  }
  return {
    transactions,
    txHashes: transactions.map((tx) => tx.hash),
    fees: transactions.reduce((sum, tx) => sum + tx.fee, 0n),
  };
};
