import { createHash } from "node:crypto";
import { Data, Either } from "effect";
import type { BlockNumber, Hash, NodeId, ProverId, TxCount } from "@zk-testnet/protocol";
import { isPadding, levelWidth, nodeAt, rootLevel, type TreePosition } from "./tree.ts";

// The default mechanism's assignment: a pure function of (R, eligible set, b, T) that every
// service and test recomputes. Canonical byte encodings (all integers 8-byte big-endian
// unsigned, R as its 32 raw bytes, tags as ASCII):
//   leaf i of block b:      SHA-256( R ‖ "leaf"  ‖ u64(b) ‖ u64(i) )
//   merge (l, j) of block b: SHA-256( R ‖ "merge" ‖ u64(b) ‖ u64(l) ‖ u64(j) )
// The two layouts differ in length (52 and 61 bytes), so they never collide.

/** How leaves are sampled from the eligible set: proportional to stake, or one share each. */
export type Weighting = "stake" | "uniform";

/** One member of a block's eligible set (the registry at the start of the block's epoch). */
export interface EligibleProver {
  readonly prover: ProverId;
  readonly stake: bigint;
}

export interface TreeVrfInput {
  /** The beacon round's randomness R for the block's slot. */
  readonly randomness: Hash;
  /** In any order: the sampler sorts by prover id. */
  readonly eligible: readonly EligibleProver[];
  readonly block: BlockNumber;
  readonly txCount: TxCount;
  readonly weighting: Weighting;
}

/** A block's assignment: `levels[l][j]` is the prover of node (l, j), null for a padding node. */
export interface Assignment {
  readonly block: BlockNumber;
  readonly txCount: TxCount;
  readonly levels: readonly (readonly (ProverId | null)[])[];
}

export class EmptyEligibleSet extends Data.TaggedError("EmptyEligibleSet")<{ readonly block: BlockNumber }> {}

export class ZeroTotalStake extends Data.TaggedError("ZeroTotalStake")<{ readonly block: BlockNumber }> {}

export class InvalidEligibleSet extends Data.TaggedError("InvalidEligibleSet")<{
  readonly block: BlockNumber;
  readonly reason: "duplicate-prover" | "negative-stake";
  readonly prover: ProverId;
}> {}

export class InvalidAssignmentInput extends Data.TaggedError("InvalidAssignmentInput")<{
  readonly block: BlockNumber;
  readonly field: "randomness" | "txCount";
  readonly value: string;
}> {}

export type AssignmentError = EmptyEligibleSet | ZeroTotalStake | InvalidEligibleSet | InvalidAssignmentInput;

const u64 = (n: number): Buffer => {
  const bytes = Buffer.alloc(8);
  bytes.writeBigUInt64BE(BigInt(n));
  return bytes;
};

const digest = (parts: readonly Uint8Array[]): Buffer => {
  const hash = createHash("sha256");
  for (const part of parts) hash.update(part);
  return hash.digest();
};

/** The canonical bytes hashed for leaf i of block b. */
export const leafSeedBytes = (randomness: Hash, block: number, index: number): Buffer =>
  Buffer.concat([Buffer.from(randomness, "hex"), Buffer.from("leaf", "ascii"), u64(block), u64(index)]);

/** The canonical bytes hashed for merge node (l, j) of block b. */
export const mergeSeedBytes = (randomness: Hash, block: number, level: number, index: number): Buffer =>
  Buffer.concat([Buffer.from(randomness, "hex"), Buffer.from("merge", "ascii"), u64(block), u64(level), u64(index)]);

/**
 * Leaf i's ticket: SHA-256 of its seed bytes read as a big-endian 256-bit integer, reduced
 * modulo the total weight S. The modulo bias is at most S / 2^256, below 2^-190 for any total
 * stake under 2^66 smallest units.
 */
export const leafTicket = (randomness: Hash, block: number, index: number, totalWeight: bigint): bigint =>
  BigInt(`0x${digest([leafSeedBytes(randomness, block, index)]).toString("hex")}`) % totalWeight;

/** Merge (l, j)'s choice: the top bit of its hash's first byte; 0 picks the left child's prover, 1 the right's. */
export const mergePicksRight = (randomness: Hash, block: number, level: number, index: number): boolean =>
  ((digest([mergeSeedBytes(randomness, block, level, index)])[0] ?? 0) & 0x80) !== 0;

/** The eligible set as the sampler sees it: sorted by prover id (code-unit order), with cumulative weights. */
export interface SamplingTable {
  readonly provers: readonly ProverId[];
  /** cumulative[k] = weight of provers[0..k]; the last entry is the total weight S. */
  readonly cumulative: readonly bigint[];
}

const byProverId = (a: EligibleProver, b: EligibleProver): number => (a.prover < b.prover ? -1 : a.prover > b.prover ? 1 : 0);

/** Sort and check the eligible set and build its cumulative weights. */
export const samplingTable = (
  block: BlockNumber,
  eligible: readonly EligibleProver[],
  weighting: Weighting,
): Either.Either<SamplingTable, EmptyEligibleSet | ZeroTotalStake | InvalidEligibleSet> => {
  if (eligible.length === 0) return Either.left(new EmptyEligibleSet({ block }));
  const sorted = [...eligible].sort(byProverId);
  const cumulative: bigint[] = [];
  let total = 0n;
  for (const [k, member] of sorted.entries()) {
    if (member.stake < 0n) return Either.left(new InvalidEligibleSet({ block, reason: "negative-stake", prover: member.prover }));
    if (k > 0 && sorted[k - 1]?.prover === member.prover) {
      return Either.left(new InvalidEligibleSet({ block, reason: "duplicate-prover", prover: member.prover }));
    }
    total += weighting === "stake" ? member.stake : 1n;
    cumulative.push(total);
  }
  if (total === 0n) return Either.left(new ZeroTotalStake({ block }));
  return Either.right({ provers: sorted.map((m) => m.prover), cumulative });
};

/** The prover whose cumulative interval holds `ticket` (0 ≤ ticket < S): the first k with ticket < cumulative[k]. */
export const proverForTicket = (table: SamplingTable, ticket: bigint): ProverId => {
  let low = 0;
  let high = table.cumulative.length - 1;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (ticket < (table.cumulative[mid] as bigint)) high = mid;
    else low = mid + 1;
  }
  return table.provers[low] as ProverId;
};

const HASH_PATTERN = /^[0-9a-f]{64}$/;

/** The tree-VRF assignment of every node of block b's proof tree. */
export const assignTreeVrf = (input: TreeVrfInput): Either.Either<Assignment, AssignmentError> => {
  const { randomness, block, txCount } = input;
  if (!HASH_PATTERN.test(randomness)) return Either.left(new InvalidAssignmentInput({ block, field: "randomness", value: randomness }));
  if (!Number.isSafeInteger(txCount) || txCount < 1) {
    return Either.left(new InvalidAssignmentInput({ block, field: "txCount", value: String(txCount) }));
  }
  return Either.map(samplingTable(block, input.eligible, input.weighting), (table) => {
    const total = table.cumulative[table.cumulative.length - 1] as bigint;
    const leaves: (ProverId | null)[] = [];
    for (let i = 0; i < levelWidth(txCount, 0); i++) {
      leaves.push(i < txCount ? proverForTicket(table, leafTicket(randomness, block, i, total)) : null);
    }
    const levels: (readonly (ProverId | null)[])[] = [leaves];
    for (let level = 1; level <= rootLevel(txCount); level++) {
      const below = levels[level - 1] as readonly (ProverId | null)[];
      const row: (ProverId | null)[] = [];
      for (let j = 0; j < levelWidth(txCount, level); j++) {
        const left = below[2 * j] ?? null;
        const right = below[2 * j + 1] ?? null;
        // Padding children have no prover: the other child's prover (or none) takes the node.
        row.push(left === null || right === null ? (left ?? right) : mergePicksRight(randomness, block, level, j) ? right : left);
      }
      levels.push(row);
    }
    return { block, txCount, levels };
  });
};

/** The prover assigned to a node; undefined for padding or a position outside the tree. */
export const assignedProver = (assignment: Assignment, node: TreePosition): ProverId | undefined =>
  assignment.levels[node.level]?.[node.index] ?? undefined;

/** Every assigned node with its prover, leaves first, each level from the left (the NodeAssigned order). */
export const assignedNodes = (assignment: Assignment): readonly { readonly node: NodeId; readonly prover: ProverId }[] =>
  assignment.levels.flatMap((row, level) =>
    row.flatMap((prover, index) =>
      prover === null || isPadding(assignment.txCount, { level, index }) ? [] : [{ node: nodeAt(assignment.block, level, index), prover }],
    ),
  );
