import { Schema } from "effect";

// Every schema here carries an identifier: the AsyncAPI document lists it once under
// components/schemas and every message refers to it by that name.

const nonNegativeInt = (identifier: string, description: string) =>
  Schema.NonNegativeInt.pipe(Schema.brand(identifier), Schema.annotations({ identifier, title: identifier, description }));

const hexString = (identifier: string, pattern: RegExp, description: string) =>
  Schema.String.pipe(Schema.pattern(pattern), Schema.brand(identifier), Schema.annotations({ identifier, title: identifier, description }));

/** An L2 block number; blocks are numbered from 0 in proposal order. */
export const BlockNumber = nonNegativeInt("BlockNumber", "An L2 block number (non-negative integer).");
export type BlockNumber = typeof BlockNumber.Type;

/** A slot: the unit of logical time. One block is proposed per slot. */
export const Slot = nonNegativeInt("Slot", "A slot number: the logical clock of the testnet (non-negative integer).");
export type Slot = typeof Slot.Type;

/** An epoch: E consecutive slots (default 8); the prover set changes only at epoch boundaries. */
export const Epoch = nonNegativeInt("Epoch", "An epoch number: epoch = floor(slot / E) (non-negative integer).");
export type Epoch = typeof Epoch.Type;

/** A beacon round, one per slot, as in drand. */
export const Round = nonNegativeInt("Round", "A randomness beacon round number (non-negative integer).");
export type Round = typeof Round.Type;

/** The level of a proof tree node: 0 for leaves, one more per merge above them. */
export const Level = nonNegativeInt("Level", "The level of a node in a block's proof tree: 0 for leaves, the root is the highest.");
export type Level = typeof Level.Type;

/** The position of a node within its level, from the left, starting at 0. */
export const NodeIndex = nonNegativeInt("NodeIndex", "The index of a node within its level, counted from the left from 0.");
export type NodeIndex = typeof NodeIndex.Type;

/** Milliseconds since the Unix epoch, read from Effect's Clock (virtual in simulation). */
export const Timestamp = nonNegativeInt("Timestamp", "Milliseconds since the Unix epoch, from the writer's clock (virtual time in simulation).");
export type Timestamp = typeof Timestamp.Type;

/** A count of transactions in a block: at least one. */
export const TxCount = Schema.Int.pipe(
  Schema.positive(),
  Schema.brand("TxCount"),
  Schema.annotations({ identifier: "TxCount", title: "TxCount", description: "The number of transactions in a block (at least 1)." }),
);
export type TxCount = typeof TxCount.Type;

/**
 * A prover's id, e.g. "prover-3". Restricted to a small alphabet so that it can appear in
 * canonical encodings (see `canonicalProofBytes`) without escaping.
 */
export const ProverId = Schema.String.pipe(
  Schema.pattern(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/),
  Schema.brand("ProverId"),
  Schema.annotations({
    identifier: "ProverId",
    title: "ProverId",
    description: 'A prover id, e.g. "prover-3": 1 to 64 characters from [A-Za-z0-9._:-], starting with a letter or digit.',
  }),
);
export type ProverId = typeof ProverId.Type;

/** An event id: the first 32 hex characters of a SHA-256 (see `eventId`). */
export const EventId = hexString(
  "EventId",
  /^[0-9a-f]{32}$/,
  "An event id: 32 lowercase hex characters, derived deterministically from (source, causationId, position).",
);
export type EventId = typeof EventId.Type;

/** A 32-byte hash (SHA-256) as 64 lowercase hex characters. */
export const Hash = hexString("Hash", /^[0-9a-f]{64}$/, "A 32-byte hash (SHA-256) as 64 lowercase hex characters.");
export type Hash = typeof Hash.Type;

/** A raw 32-byte Ed25519 public key as 64 lowercase hex characters. */
export const PublicKey = hexString(
  "PublicKey",
  /^[0-9a-f]{64}$/,
  "A prover's Ed25519 public key: the raw 32-byte key (RFC 8032) as 64 lowercase hex characters.",
);
export type PublicKey = typeof PublicKey.Type;

/** A raw 64-byte Ed25519 signature as 128 lowercase hex characters. */
export const ProofSignature = hexString(
  "ProofSignature",
  /^[0-9a-f]{128}$/,
  "An Ed25519 signature (RFC 8032, 64 bytes) over canonicalProofBytes, as 128 lowercase hex characters.",
);
export type ProofSignature = typeof ProofSignature.Type;

/** A beacon's BLS signature, compressed, as lowercase hex (drand's `signature` field). */
export const BeaconSignature = hexString(
  "BeaconSignature",
  /^(?:[0-9a-f]{2}){1,256}$/,
  "The beacon's BLS12-381 signature over the round number (drand's bls-unchained-g1-rfc9380 scheme), compressed, as lowercase hex.",
);
export type BeaconSignature = typeof BeaconSignature.Type;

const NonNegativeDecimal = Schema.String.pipe(
  Schema.pattern(/^(?:0|[1-9][0-9]*)$/),
  Schema.annotations({
    identifier: "Amount",
    title: "Amount",
    description: 'An amount in the smallest unit: a non-negative integer written as a decimal string without sign or leading zeros, e.g. "1500".',
  }),
);

const SignedDecimal = Schema.String.pipe(
  Schema.pattern(/^(?:0|-?[1-9][0-9]*)$/),
  Schema.annotations({
    identifier: "SignedAmount",
    title: "SignedAmount",
    description: 'A change of an amount in the smallest unit: an integer written as a decimal string, "-" for a decrease, no leading zeros, e.g. "-150".',
  }),
);

/** A non-negative amount in the smallest unit: `bigint` in TypeScript, a decimal string on the wire. */
export const Amount = Schema.compose(NonNegativeDecimal, Schema.BigInt).pipe(Schema.nonNegativeBigInt());
export type Amount = typeof Amount.Type;

/** A signed change of an amount (e.g. a stake delta): `bigint` in TypeScript, a decimal string on the wire. */
export const SignedAmount = Schema.compose(SignedDecimal, Schema.BigInt);
export type SignedAmount = typeof SignedAmount.Type;

/** The coordinates of a node of a block's proof tree: (block, level, index). */
export const nodeFields = { block: BlockNumber, level: Level, index: NodeIndex } as const;

export const NodeId = Schema.Struct(nodeFields).annotations({
  identifier: "NodeId",
  title: "NodeId",
  description: "A node of a block's proof tree, named (block, level, index).",
});
export type NodeId = typeof NodeId.Type;

/** A node as one string, "block/level/index": handy as a map key and in messages. */
export const nodeKey = (node: NodeId): string => `${node.block}/${node.level}/${node.index}`;

/** The correlation id of everything that concerns one block, e.g. "block-12". */
export const blockCorrelationId = (block: BlockNumber): string => `block-${block}`;
