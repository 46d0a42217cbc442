import { Data, Either } from "effect";
import type { Epoch, Slot, TxCount } from "@zk-testnet/protocol";
import { rootLevel, type NodeWeights } from "./tree.ts";
import type { Weighting } from "./tree-vrf.ts";

/** Every parameter of the proving protocol, with PROTOCOL.md's defaults in DEFAULT_PROTOCOL_PARAMS. */
export interface ProtocolParams extends NodeWeights {
  /** Wall (or virtual) length of a slot. */
  readonly slotMs: number;
  /** E: slots per epoch; the eligible set changes only at epoch boundaries. */
  readonly epochSlots: number;
  /** T: transactions per block (any T ≥ 1; the tree is padded to a power of two). */
  readonly txPerBlock: number;
  /** D_leaf: a leaf's deadline after its assignment, in slots. */
  readonly leafDeadlineSlots: number;
  /** D_merge: a merge node's deadline after both children are accepted, in slots. */
  readonly mergeDeadlineSlots: number;
  /** M: proofs are not accepted sooner than this after the node's deadline clock starts. */
  readonly minProvingTimeMs: number;
  /** A block not proven within this many epochs is reorged out. */
  readonly provingWindowEpochs: number;
  /** How tree-VRF samples leaves from the eligible set. */
  readonly weighting: Weighting;
  /** Whether a takeover node's reward goes to the taker (off in Aztec's proposal). */
  readonly takeoverPaid: boolean;
  /** Share of its stake a prover loses for a missed node, in basis points. */
  readonly slashMissedBps: number;
  /** Share of its stake a prover loses for a signed invalid proof, in basis points. */
  readonly slashInvalidBps: number;
  /** Share of a slash paid to the taker as a bounty; the rest is burned. */
  readonly bountyBps: number;
  /** An uncle's reward as a share of the node's reward. */
  readonly uncleRewardBps: number;
  /** Share of a block's fees F_b paid to its provers. */
  readonly proverShareBps: number;
  /** Fixed reward minted for every finalized block, in the smallest unit. */
  readonly blockReward: bigint;
  /** The least stake that keeps a prover in the eligible set. */
  readonly minimumStake: bigint;
}

/** 100% in basis points. */
export const BPS = 10_000;

/**
 * The defaults. Everything but the two amounts is fixed by PROTOCOL.md; `blockReward` and
 * `minimumStake` are testnet choices (a missed-node slash at the minimum stake costs ten
 * block rewards).
 */
export const DEFAULT_PROTOCOL_PARAMS: ProtocolParams = {
  slotMs: 2_000,
  epochSlots: 8,
  txPerBlock: 8,
  leafDeadlineSlots: 3,
  mergeDeadlineSlots: 2,
  minProvingTimeMs: 0,
  provingWindowEpochs: 4,
  weighting: "stake",
  takeoverPaid: false,
  slashMissedBps: 1_000,
  slashInvalidBps: 5_000,
  bountyBps: 5_000,
  uncleRewardBps: 5_000,
  leafWeight: 1,
  mergeWeight: 1,
  proverShareBps: BPS,
  blockReward: 1_000_000n,
  minimumStake: 100_000_000n,
};

/** One thing wrong with a parameter set. */
export interface ParamIssue {
  readonly field: string;
  readonly problem: string;
}

export class InvalidProtocolParams extends Data.TaggedError("InvalidProtocolParams")<{
  readonly issues: readonly ParamIssue[];
  readonly message: string;
}> {}

type Check = (value: unknown) => string | undefined;

const integerIn =
  (min: number, max: number, what: string): Check =>
  (value) =>
    typeof value === "number" && Number.isSafeInteger(value) && value >= min && value <= max ? undefined : `must be ${what}, got ${show(value)}`;

const positiveInt = integerIn(1, Number.MAX_SAFE_INTEGER, "a positive integer");
const nonNegativeInt = integerIn(0, Number.MAX_SAFE_INTEGER, "a non-negative integer");
const bps = integerIn(0, BPS, `an integer number of basis points from 0 to ${BPS}`);
const bigintAtLeast =
  (min: bigint): Check =>
  (value) =>
    typeof value === "bigint" && value >= min ? undefined : `must be a bigint ≥ ${min}, got ${show(value)}`;

const show = (value: unknown): string => (typeof value === "bigint" ? `${value}n` : (JSON.stringify(value) ?? String(value)));

const checks: { readonly [K in keyof ProtocolParams]: Check } = {
  slotMs: positiveInt,
  epochSlots: positiveInt,
  txPerBlock: positiveInt,
  leafDeadlineSlots: positiveInt,
  mergeDeadlineSlots: positiveInt,
  minProvingTimeMs: nonNegativeInt,
  provingWindowEpochs: positiveInt,
  weighting: (value) => (value === "stake" || value === "uniform" ? undefined : `must be "stake" or "uniform", got ${show(value)}`),
  takeoverPaid: (value) => (typeof value === "boolean" ? undefined : `must be a boolean, got ${show(value)}`),
  slashMissedBps: bps,
  slashInvalidBps: bps,
  bountyBps: bps,
  uncleRewardBps: bps,
  leafWeight: nonNegativeInt,
  mergeWeight: nonNegativeInt,
  proverShareBps: bps,
  blockReward: bigintAtLeast(0n),
  // Stake weighting needs every eligible prover to hold a positive stake.
  minimumStake: bigintAtLeast(1n),
};

/** Rules across fields, checked once every field is well-typed. */
const crossChecks = (params: ProtocolParams): ParamIssue[] => {
  const issues: ParamIssue[] = [];
  if (params.leafWeight + params.mergeWeight === 0) {
    issues.push({ field: "mergeWeight", problem: "leafWeight and mergeWeight must not both be 0: nothing would be paid by weight" });
  }
  const shortestDeadlineMs = Math.min(params.leafDeadlineSlots, params.mergeDeadlineSlots) * params.slotMs;
  if (params.minProvingTimeMs >= shortestDeadlineMs) {
    issues.push({ field: "minProvingTimeMs", problem: `must be below the shortest node deadline (${shortestDeadlineMs} ms), or no node can be proven in time` });
  }
  const honestSlots = params.leafDeadlineSlots + rootLevel(params.txPerBlock as TxCount) * params.mergeDeadlineSlots;
  if (params.provingWindowEpochs * params.epochSlots < honestSlots) {
    issues.push({
      field: "provingWindowEpochs",
      problem: `the window (${params.provingWindowEpochs * params.epochSlots} slots) is shorter than the deadlines along one leaf-to-root path (${honestSlots} slots)`,
    });
  }
  return issues;
};

/** Check a parameter set (for example one read from configuration): every bad value is reported at once. */
export const validateParams = (params: ProtocolParams): Either.Either<ProtocolParams, InvalidProtocolParams> => {
  const record = params as unknown as Record<string, unknown>;
  const issues: ParamIssue[] = [];
  for (const [field, check] of Object.entries(checks)) {
    const problem = check(record[field]);
    if (problem !== undefined) issues.push({ field, problem });
  }
  for (const field of Object.keys(record)) {
    if (!(field in checks)) issues.push({ field, problem: "is not a protocol parameter" });
  }
  if (issues.length === 0) issues.push(...crossChecks(params));
  if (issues.length === 0) return Either.right(params);
  const message = `invalid protocol parameters: ${issues.map((i) => `${i.field} ${i.problem}`).join("; ")}`;
  return Either.left(new InvalidProtocolParams({ issues, message }));
};

/** The defaults with some fields replaced, validated. */
export const makeParams = (overrides: Partial<ProtocolParams> = {}): Either.Either<ProtocolParams, InvalidProtocolParams> =>
  validateParams({ ...DEFAULT_PROTOCOL_PARAMS, ...overrides });

/** The time a node of `level` has to be proven: D_leaf slots for a leaf, D_merge for a merge node. */
export const nodeDeadlineMs = (params: ProtocolParams, level: number): number =>
  (level === 0 ? params.leafDeadlineSlots : params.mergeDeadlineSlots) * params.slotMs;

/** The epoch a slot belongs to. */
export const epochOf = (params: ProtocolParams, slot: Slot): Epoch => Math.floor(slot / params.epochSlots) as Epoch;

/** The first slot of an epoch, where its eligible set is taken. */
export const epochStartSlot = (params: ProtocolParams, epoch: Epoch): Slot => (epoch * params.epochSlots) as Slot;

/** A block's proving window in slots. */
export const provingWindowSlots = (params: ProtocolParams): number => params.provingWindowEpochs * params.epochSlots;
