import { Schema } from "effect";
import { FAULT_KINDS as PROVER_FAULT_KINDS } from "@zk-testnet/prover-pool/machine";
import { RejectionReason, SlashReason, TakeoverStep } from "@zk-testnet/protocol";
import { FAULT_KINDS } from "../run/faults.ts";

// The scenario file (e2e/scenarios/*.yaml) as Effect schemas: decoding checks every field's
// type and range; load.ts then checks what needs the whole file (prover ids, fault targets,
// protocol parameters) and names the path of each bad field.

/** The ways a scenario can be run. */
export const MODES = ["sim", "embedded", "kafka", "containers"] as const;
export type Mode = (typeof MODES)[number];

/** A field that may be left out but not set to undefined (so overrides are a Partial<ProtocolParams>). */
const exact = <S extends Schema.Schema.All>(schema: S) => Schema.optionalWith(schema, { exact: true });

/** One message for a union whose members would each explain their own failure. */
const says = (message: string) => ({ message: () => ({ message, override: true }) });

const whole = (what: string) => Schema.Int.annotations({ message: () => `must be a whole number (${what})` });
const Count = whole("0 or more").pipe(Schema.greaterThanOrEqualTo(0, { message: () => "must be 0 or more" }));
const Positive = whole("1 or more").pipe(Schema.greaterThanOrEqualTo(1, { message: () => "must be 1 or more" }));
const Fraction = Schema.Number.pipe(Schema.between(0, 1, { message: () => "must be a number from 0 to 1" }));

/** An amount in the smallest unit: a whole number, or a decimal string for amounts past 2^53. */
const Amount = Schema.Union(Schema.BigInt, Schema.BigIntFromNumber).annotations(
  says("must be a whole number of the smallest unit (a decimal string for large amounts)"),
);

/** The amount a prover stakes: above 0, as stake weighting needs. */
const Stake = Amount.pipe(Schema.filter((x) => x > 0n || "must be above 0"));
const Fee = Amount.pipe(Schema.filter((x) => x >= 0n || "must be 0 or more"));

/** A list, or a mapping, whose own failure is said briefly (what is wrong inside keeps its own message). */
const list = <S extends Schema.Schema.Any>(item: S) => Schema.Array(item).annotations({ message: () => "must be a list" });
const nonEmptyList = <S extends Schema.Schema.Any>(item: S) => Schema.NonEmptyArray(item).annotations({ message: () => "must be a non-empty list" });
const mapping = <F extends Schema.Struct.Fields>(fields: F) => Schema.Struct(fields).annotations({ message: () => "must be a mapping (field: value)" });

const ProverIdField = Schema.String.pipe(Schema.pattern(/^prover-[1-9]\d*$/, { message: () => "must be a prover id like prover-3" }));

/** Fault parameters: names to scalars, passed to the fault as strings. */
const FaultParams = Schema.Record({
  key: Schema.String,
  value: Schema.Union(Schema.String, Schema.Number, Schema.Boolean).annotations(says("must be a string, number or boolean")),
});

/** A bound on a count: at least, at most, or both. */
const bounds = <F extends Schema.Struct.Fields>(value: Schema.Schema<number, number>, fields: F) =>
  mapping({ atLeast: exact(value), atMost: exact(value), ...fields }).pipe(
    Schema.filter((r: Bounds) =>
      r.atLeast === undefined && r.atMost === undefined
        ? "needs atLeast or atMost"
        : r.atLeast !== undefined && r.atMost !== undefined && r.atLeast > r.atMost
          ? `atLeast (${r.atLeast}) is above atMost (${r.atMost})`
          : undefined,
    ),
  );

const CountBounds = bounds(Count, {});

/** One bound, or a list of them (read as a list). */
const oneOrMore = <A, I>(item: Schema.Schema<A, I>) =>
  Schema.Union(item, Schema.Array(item)).pipe(
    Schema.transform(Schema.Array(Schema.typeSchema(item)), { strict: true, decode: (x) => (Array.isArray(x) ? x : [x]) as readonly A[], encode: (x) => x }),
  );
export type Bounds = { readonly atLeast?: number | undefined; readonly atMost?: number | undefined };

/** One prover of an explicit list: what to fix instead of drawing it from the seed, and a fault profile from genesis. */
const ProverEntry = mapping({
  stake: exact(Stake),
  fee: exact(Fee),
  speed: exact(Schema.Number.pipe(Schema.positive({ message: () => "must be a number above 0" }))),
  fault: exact(
    Schema.Union(
      Schema.Literal(...PROVER_FAULT_KINDS),
      Schema.Struct({ kind: Schema.Literal(...PROVER_FAULT_KINDS), params: exact(FaultParams) }),
    ).annotations(says(`must be a prover fault profile (${PROVER_FAULT_KINDS.join(", ")}) or { kind, params }`)),
  ),
});


/** Overrides of libs/mechanisms ProtocolParams (slotMs and txPerBlock are network fields of their own). */
const ParamOverrides = mapping({
  epochSlots: exact(Schema.Number),
  leafDeadlineSlots: exact(Schema.Number),
  mergeDeadlineSlots: exact(Schema.Number),
  minProvingTimeMs: exact(Schema.Number),
  provingWindowEpochs: exact(Schema.Number),
  weighting: exact(Schema.Literal("stake", "uniform").annotations(says('must be "stake" or "uniform"'))),
  takeoverPaid: exact(Schema.Boolean),
  slashMissedBps: exact(Schema.Number),
  slashInvalidBps: exact(Schema.Number),
  bountyBps: exact(Schema.Number),
  uncleRewardBps: exact(Schema.Number),
  leafWeight: exact(Schema.Number),
  mergeWeight: exact(Schema.Number),
  proverShareBps: exact(Schema.Number),
  blockReward: exact(Amount),
  minimumStake: exact(Amount),
});

const Network = mapping({
  provers: Schema.Union(
    Positive.pipe(Schema.lessThanOrEqualTo(256, { message: () => "must be at most 256" })),
    nonEmptyList(ProverEntry),
  ),
  txPerBlock: exact(Positive.pipe(Schema.lessThanOrEqualTo(4_096, { message: () => "must be at most 4096" }))),
  slotMs: exact(
    Positive.pipe(Schema.multipleOf(1_000, { message: () => "must be a multiple of 1000 (the beacon's drand API counts whole seconds)" })),
  ),
  params: exact(ParamOverrides),
});

/** A fault injected at the start of slot `at`, healed `for` slots later if given. */
const Fault = mapping({
  kind: Schema.Literal(...FAULT_KINDS).annotations(says(`must be a fault kind (${FAULT_KINDS.join(", ")})`)),
  target: Schema.NonEmptyString,
  at: Count,
  for: exact(Positive),
  params: exact(FaultParams),
});
export type Fault = typeof Fault.Type;

const Expect = mapping({
  /** Every proposed block finalized (none reorged out, none pending). */
  allFinalized: exact(Schema.Literal(true).annotations(says("must be true (leave it out to not check)"))),
  /** Every finalized block finalized at most this many slots after its proposal. */
  finalizedWithinSlots: exact(Schema.Number.pipe(Schema.positive({ message: () => "must be a number of slots above 0" }))),
  /** These provers slashed: `times` (default at least once), for `reason` if given. */
  slashed: exact(
    list(mapping({ prover: ProverIdField, times: exact(Schema.Union(Count, CountBounds)), reason: exact(SlashReason) })),
  ),
  notSlashed: exact(list(ProverIdField)),
  /** TakeoverOpened events, of one step of the chain if given; a list bounds several steps. */
  takeovers: exact(oneOrMore(bounds(Count, { step: exact(TakeoverStep) }))),
  /** ProofRejected events, for one reason and of one prover if given. */
  rejected: exact(oneOrMore(bounds(Count, { reason: exact(RejectionReason), prover: exact(ProverIdField) }))),
  /** Records on dead-letter topics (`<topic>.dlq`), of one topic if given. */
  dlq: exact(bounds(Count, { topic: exact(Schema.NonEmptyString) })),
  uncles: exact(CountBounds),
  rewardGini: exact(bounds(Fraction, {})),
  nakamoto: exact(CountBounds),
  /** A prover's share of all rewards paid (0 to 1). */
  rewardShare: exact(list(bounds(Fraction, { prover: ProverIdField }))),
});
export type Expectations = typeof Expect.Type;

export const ScenarioFile = mapping({
  name: Schema.String.pipe(Schema.pattern(/^[a-z0-9][a-z0-9-]*$/, { message: () => "must be lowercase letters, digits and dashes" })),
  description: Schema.NonEmptyString,
  network: Network,
  /** How many blocks the sequencer proposes (one a slot). */
  slots: Positive.pipe(Schema.lessThanOrEqualTo(1_000, { message: () => "must be at most 1000" })),
  faults: Schema.optionalWith(list(Fault), { default: () => [] }),
  /** How many seeds a suite runs the scenario with. */
  seeds: Schema.optionalWith(Positive.pipe(Schema.lessThanOrEqualTo(10_000, { message: () => "must be at most 10000" })), { default: () => 20 }),
  modes: Schema.optionalWith(nonEmptyList(Schema.Literal(...MODES).annotations(says(`must be one of ${MODES.join(", ")}`))), {
    default: () => ["sim"] as const,
  }),
  expect: Schema.optionalWith(Expect, { default: () => ({}) }),
});
export type ScenarioFile = typeof ScenarioFile.Type;
