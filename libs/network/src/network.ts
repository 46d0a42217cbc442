import { Config, Data, Effect, Either } from "effect";
import { DEFAULT_PROTOCOL_PARAMS, makeParams, makeRng, type ProtocolParams } from "@zk-testnet/mechanisms";
import type { ProverId } from "@zk-testnet/protocol";

/** One prover of the pool: what it stakes, charges and how fast it proves (1 = nominal). */
export interface ProverSpec {
  readonly id: ProverId;
  readonly stake: bigint;
  readonly fee: bigint;
  readonly speed: number;
}

/**
 * A fault in force from the start of the run, as if injected at genesis: the payload of a
 * FaultInjected without its event. The service that owns `target` applies it (the prover
 * pool: a prover's fault profile, e.g. `{ fault: "slow", target: "prover-2", params: { factor: "3" } }`);
 * the others ignore it.
 */
export interface FaultSpec {
  readonly fault: string;
  readonly target: string;
  readonly params?: Readonly<Record<string, string>>;
}

/**
 * The schemes the beacon can sign its rounds in (implemented in libs/crypto, whose
 * `BeaconSchemeId` is this union): drand's BLS, the default, or the simulator's cheap
 * Ed25519 stand-in, which no drand client verifies.
 */
export const BEACON_SCHEMES = ["bls-unchained-g1-rfc9380", "sim-ed25519"] as const;
export type BeaconScheme = (typeof BEACON_SCHEMES)[number];

export interface BeaconSpec {
  /** Port of the drand-compatible HTTP API on 127.0.0.1; 0 picks a free one. */
  readonly port: number;
  /** Path prefix of the API ("" or e.g. "/zk-testnet"). */
  readonly basePath: string;
  readonly beaconId: string;
  /** The scheme rounds are signed in; absent: drand's bls-unchained-g1-rfc9380 (`simulate` runs "sim-ed25519" unless one is named). */
  readonly scheme?: BeaconScheme;
}

/** The scheme the network's beacon signs in: the named one, else drand's. */
export const beaconSchemeOf = (config: Pick<NetworkConfig, "beacon">): BeaconScheme => config.beacon.scheme ?? "bls-unchained-g1-rfc9380";

const schemeProblem = (scheme: unknown): string | undefined =>
  scheme === undefined || (BEACON_SCHEMES as readonly unknown[]).includes(scheme) ? undefined : `beacon.scheme must be one of ${BEACON_SCHEMES.join(", ")}, got ${String(scheme)}`;

/** Everything the five services of one testnet must agree on. */
export interface NetworkConfig {
  /** All randomness of the run (keys, transactions, proving times) derives from it. */
  readonly seed: string;
  /** Clock time of the start of slot 0, in ms. */
  readonly genesisMs: number;
  /** How many blocks the sequencer proposes (one per slot); 0 for no limit. */
  readonly slots: number;
  readonly params: ProtocolParams;
  readonly provers: readonly ProverSpec[];
  readonly beacon: BeaconSpec;
  /** Faults in force from the start (absent: none, every prover honest). Run-time faults are events on testnet.faults. */
  readonly faults?: readonly FaultSpec[];
}

export class InvalidNetworkConfig extends Data.TaggedError("InvalidNetworkConfig")<{ readonly message: string }> {}

export interface NetworkOptions {
  readonly seed: string;
  readonly genesisMs: number;
  readonly slots: number;
  readonly provers: number;
  readonly txPerBlock?: number;
  readonly slotMs?: number;
  readonly params?: Partial<ProtocolParams>;
  readonly beacon?: Partial<BeaconSpec>;
  readonly faults?: readonly FaultSpec[];
  /** Per-prover replacements of the seeded stake, fee or speed, by prover id (`prover-3`). */
  readonly overrides?: Readonly<Record<string, ProverOverride>>;
}

/** What a scenario may fix about one prover instead of drawing it from the seed. */
export interface ProverOverride {
  readonly stake?: bigint;
  readonly fee?: bigint;
  readonly speed?: number;
}

/**
 * A network from a few numbers: provers get seeded stakes (1 to 10 times the minimum), fees
 * and speeds (0.8 to 1.5), so the same seed always gives the same network. `overrides`
 * replaces drawn values after every draw, so the other provers keep theirs.
 */
export const makeNetwork = (options: NetworkOptions): Either.Either<NetworkConfig, InvalidNetworkConfig> => {
  if (!Number.isSafeInteger(options.provers) || options.provers < 1) {
    return Either.left(new InvalidNetworkConfig({ message: `provers must be a whole number ≥ 1, got ${options.provers}` }));
  }
  if (!Number.isSafeInteger(options.slots) || options.slots < 0) {
    return Either.left(new InvalidNetworkConfig({ message: `slots must be a whole number ≥ 0, got ${options.slots}` }));
  }
  const params = makeParams({
    ...options.params,
    ...(options.txPerBlock !== undefined ? { txPerBlock: options.txPerBlock } : {}),
    ...(options.slotMs !== undefined ? { slotMs: options.slotMs } : {}),
  });
  if (Either.isLeft(params)) return Either.left(new InvalidNetworkConfig({ message: params.left.message }));
  const faultProblem = options.faults === undefined ? undefined : faultsProblem(options.faults);
  if (faultProblem !== undefined) return Either.left(new InvalidNetworkConfig({ message: faultProblem }));
  const beaconProblem = schemeProblem(options.beacon?.scheme);
  if (beaconProblem !== undefined) return Either.left(new InvalidNetworkConfig({ message: beaconProblem }));
  const overrideProblem = options.overrides === undefined ? undefined : overridesProblem(options.overrides, options.provers);
  if (overrideProblem !== undefined) return Either.left(new InvalidNetworkConfig({ message: overrideProblem }));
  const rng = makeRng(options.seed).fork("network/provers");
  const provers = Array.from({ length: options.provers }, (_, i): ProverSpec => ({
    id: `prover-${i + 1}` as ProverId,
    stake: params.right.minimumStake * BigInt(1 + rng.nextInt(10)),
    fee: BigInt(100 + rng.nextInt(900)),
    speed: Math.round((0.8 + rng.nextFloat() * 0.7) * 100) / 100,
  })).map((prover) => withOverride(prover, options.overrides?.[prover.id]));
  return Either.right({
    seed: options.seed,
    genesisMs: options.genesisMs,
    slots: options.slots,
    params: params.right,
    provers,
    beacon: { port: 0, basePath: "", beaconId: "zk-testnet", ...options.beacon },
    ...(options.faults !== undefined && options.faults.length > 0 ? { faults: options.faults } : {}),
  });
};

/** What is wrong with a list of initial faults, if anything: each needs a non-empty `fault` and `target`, and string params. */
const faultsProblem = (faults: unknown): string | undefined => {
  if (!Array.isArray(faults)) return "faults must be a list of { fault, target, params? }";
  for (const [i, f] of (faults as unknown[]).entries()) {
    const spec = f as { fault?: unknown; target?: unknown; params?: unknown } | null;
    if (spec === null || typeof spec !== "object" || typeof spec.fault !== "string" || spec.fault === "" || typeof spec.target !== "string" || spec.target === "") {
      return `faults[${i}] needs a non-empty fault and target`;
    }
    if (spec.params !== undefined && (spec.params === null || typeof spec.params !== "object" || Object.values(spec.params).some((v) => typeof v !== "string"))) {
      return `faults[${i}].params must map names to strings`;
    }
  }
  return undefined;
};

const withOverride = (prover: ProverSpec, o: ProverOverride | undefined): ProverSpec =>
  o === undefined
    ? prover
    : {
        ...prover,
        ...(o.stake !== undefined ? { stake: o.stake } : {}),
        ...(o.fee !== undefined ? { fee: o.fee } : {}),
        ...(o.speed !== undefined ? { speed: o.speed } : {}),
      };

/** What is wrong with per-prover overrides, if anything: known ids, a positive stake, a fee ≥ 0, a positive finite speed. */
const overridesProblem = (overrides: Readonly<Record<string, ProverOverride>>, count: number): string | undefined => {
  for (const [id, o] of Object.entries(overrides)) {
    const n = Number(/^prover-(\d+)$/.exec(id)?.[1]);
    if (!(n >= 1 && n <= count) || id !== `prover-${n}`) return `overrides: unknown prover "${id}" (the network has prover-1 to prover-${count})`;
    // Stake weighting needs every prover's stake positive.
    if (o.stake !== undefined && !(typeof o.stake === "bigint" && o.stake > 0n)) return `overrides.${id}.stake must be a bigint > 0, got ${String(o.stake)}`;
    if (o.fee !== undefined && !(typeof o.fee === "bigint" && o.fee >= 0n)) return `overrides.${id}.fee must be a bigint ≥ 0, got ${String(o.fee)}`;
    if (o.speed !== undefined && !(typeof o.speed === "number" && Number.isFinite(o.speed) && o.speed > 0)) return `overrides.${id}.speed must be a number > 0, got ${String(o.speed)}`;
  }
  return undefined;
};

/** JSON with amounts as decimal strings, for the environment of a service process. */
export const encodeNetwork = (config: NetworkConfig): string =>
  JSON.stringify(config, (_key, value: unknown) => (typeof value === "bigint" ? `${value}n` : value));

export const decodeNetwork = (text: string): Either.Either<NetworkConfig, InvalidNetworkConfig> => {
  try {
    const parsed = JSON.parse(text, (_key, value: unknown) =>
      typeof value === "string" && /^-?\d+n$/.test(value) ? BigInt(value.slice(0, -1)) : value,
    ) as NetworkConfig;
    const params = makeParams({ ...DEFAULT_PROTOCOL_PARAMS, ...parsed.params });
    if (Either.isLeft(params)) return Either.left(new InvalidNetworkConfig({ message: params.left.message }));
    if (!Array.isArray(parsed.provers) || typeof parsed.seed !== "string" || typeof parsed.genesisMs !== "number") {
      return Either.left(new InvalidNetworkConfig({ message: "needs seed, genesisMs and provers" }));
    }
    const faultProblem = parsed.faults === undefined ? undefined : faultsProblem(parsed.faults);
    if (faultProblem !== undefined) return Either.left(new InvalidNetworkConfig({ message: faultProblem }));
    const beaconProblem = schemeProblem((parsed.beacon as Partial<BeaconSpec> | undefined)?.scheme);
    if (beaconProblem !== undefined) return Either.left(new InvalidNetworkConfig({ message: beaconProblem }));
    return Either.right({ ...parsed, params: params.right });
  } catch (error) {
    return Either.left(new InvalidNetworkConfig({ message: `not a network config: ${String(error)}` }));
  }
};

/** The network of a service process, from ZKT_NETWORK (JSON written by the orchestrator). */
export const networkFromEnv: Effect.Effect<NetworkConfig, InvalidNetworkConfig> = Config.string("ZKT_NETWORK").pipe(
  Config.withDescription("The testnet's network configuration as JSON (written by `testnet up`)"),
  Effect.mapError(() => new InvalidNetworkConfig({ message: "ZKT_NETWORK is not set" })),
  Effect.flatMap((text) => Either.match(decodeNetwork(text), { onLeft: Effect.fail, onRight: Effect.succeed })),
);

/** Slot of a Clock time, and the time a slot starts. */
export const slotAt = (config: NetworkConfig, timeMs: number): number => Math.floor((timeMs - config.genesisMs) / config.params.slotMs);
export const slotStart = (config: NetworkConfig, slot: number): number => config.genesisMs + slot * config.params.slotMs;
