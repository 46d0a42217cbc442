import { createHash } from "node:crypto";
import { Either } from "effect";
import type { OutputDraft, PublishParams } from "@zk-testnet/actors";
import { beaconKeyFromSeed, beaconSeed, proverKeyFromSeed, proverSeed, signProof, signRound, type ProverKey } from "@zk-testnet/crypto";
import { makeNetwork, type NetworkConfig, type NetworkOptions } from "@zk-testnet/network";
import {
  eventId,
  eventVersions,
  proofHash,
  recordKey,
  type BlockNumber,
  type Epoch,
  type EventOf,
  type EventType,
  type Hash,
  type Level,
  type NodeIndex,
  type PayloadOf,
  type ProofStatement,
  type ProverId,
  type Round,
  type Slot,
  type Timestamp,
  type TxCount,
} from "@zk-testnet/protocol";

// Test support: a network, well-formed envelopes at chosen times, and signed rounds and proofs.

export const SEED = "aggregator-test";

export const testNetwork = (options: Partial<NetworkOptions> = {}): NetworkConfig =>
  Either.getOrThrow(makeNetwork({ seed: SEED, genesisMs: 0, slots: 4, provers: 4, ...options }));

const beaconKey = beaconKeyFromSeed(beaconSeed(SEED));
const proverKeys = new Map<string, ProverKey>();

/** A prover's key in the test run, derived as the prover pool derives it. */
export const proverKey = (prover: string, seed: string = SEED): ProverKey => {
  const cached = proverKeys.get(`${seed}/${prover}`);
  if (cached !== undefined) return cached;
  const key = proverKeyFromSeed(proverSeed(seed, prover));
  proverKeys.set(`${seed}/${prover}`, key);
  return key;
};

let position = 0;

/** A complete event as the log would deliver it, at Clock time `time` (ms) and logical `slot`. */
export const envelope = <T extends EventType>(type: T, payload: PayloadOf<T>, at: { readonly time: number; readonly slot: number; readonly source?: string }): EventOf<T> => {
  const source = at.source ?? "test";
  return {
    id: eventId(source, null, position++),
    type,
    version: eventVersions[type],
    source,
    key: recordKey({ type, payload } as never),
    causationId: null,
    correlationId: "test",
    slot: at.slot as Slot,
    time: at.time as Timestamp,
    payload,
  } as unknown as EventOf<T>;
};

export const txHash = (block: number, i: number): Hash => createHash("sha256").update(`tx/${block}/${i}`).digest("hex") as Hash;

export const registered = (prover: string, stake: bigint, at: { readonly time: number; readonly slot: number } = { time: 0, slot: 0 }) =>
  envelope("ProverRegistered", { prover: prover as ProverId, stake, publicKey: proverKey(prover).publicKey }, { ...at, source: "l1-settlement" });

export const stakeChanged = (prover: string, stake: bigint, delta: bigint, at: { readonly time: number; readonly slot: number }) =>
  envelope("StakeChanged", { prover: prover as ProverId, stake, delta, reason: delta < 0n ? "unbond" : "deposit" }, { ...at, source: "l1-settlement" });

/** Block `block`, proposed in slot `block`, with `txCount` transactions. */
export const proposed = (block: number, txCount: number, time: number) =>
  envelope(
    "BlockProposed",
    {
      block: block as BlockNumber,
      slot: block as Slot,
      txCount: txCount as TxCount,
      fees: 10n * BigInt(txCount),
      txHashes: Array.from({ length: txCount }, (_, i) => txHash(block, i)),
    },
    { time, slot: block, source: "sequencer" },
  );

/** Beacon round `round` signed with the run's beacon key (or another seed's, to forge one). */
export const beaconRound = (round: number, time: number, seed: string = SEED) => {
  const signed = signRound(seed === SEED ? beaconKey.secretKey : beaconKeyFromSeed(beaconSeed(seed)).secretKey, round);
  return envelope("BeaconRound", { round: signed.round as Round, randomness: signed.randomness, signature: signed.signature }, { time, slot: Math.max(0, round - 1), source: "vrf-beacon" });
};

export interface ProofOptions {
  readonly time: number;
  readonly slot?: number;
  /** Sign with this prover's key instead of the submitter's. */
  readonly signer?: string;
  readonly publicInput?: Hash;
  readonly childProofHashes?: readonly Hash[];
  readonly proofHash?: Hash;
}

/** A signed ProofSubmitted of what a NodeAssigned asks, by `prover` (its assignee unless told). */
export const proofFor = (assigned: PayloadOf<"NodeAssigned">, options: ProofOptions, prover: string = assigned.prover) => {
  const statement: ProofStatement = {
    block: assigned.block,
    level: assigned.level,
    index: assigned.index,
    prover: prover as ProverId,
    publicInput: options.publicInput ?? assigned.publicInput,
    childProofHashes: options.childProofHashes ?? assigned.childProofHashes,
  };
  const signature = signProof(proverKey(options.signer ?? prover), statement);
  return envelope(
    "ProofSubmitted",
    { ...statement, signature, proofHash: options.proofHash ?? proofHash(statement, signature) },
    { time: options.time, slot: options.slot ?? 0, source: "prover-pool" },
  );
};

/** A node's coordinates for tests that name a node directly. */
export const nodeOfBlock = (block: number, level: number, index: number) => ({
  block: block as BlockNumber,
  level: level as Level,
  index: index as NodeIndex,
});

/** The drafts of every publish action among a transition's actions. */
export const publishedBy = (actions: readonly { readonly type: string; readonly params?: unknown }[]): readonly OutputDraft[] =>
  actions.filter((a) => a.type === "publish").flatMap((a) => (a.params as PublishParams).events);

/** Only the drafts of one type. */
export const draftsOf = <T extends EventType>(drafts: readonly OutputDraft[], type: T): readonly OutputDraft<T>[] =>
  drafts.filter((d) => d.type === type) as unknown as readonly OutputDraft<T>[];

/** The item at `index`, which the test knows is there. */
export const nth = <T>(items: readonly T[], index: number): T => {
  const item = items[index];
  if (item === undefined) throw new Error(`no item at ${index} of ${items.length}`);
  return item;
};

/** The L1 starts `epoch` at `time`: the registry as the events before it leave it is the epoch's eligible set. */
export const epochStarted = (epoch: number, time: number, slot: number = epoch * 8) =>
  envelope("EpochStarted", { epoch: epoch as Epoch, slot: slot as Slot, eligible: 0 }, { time, slot, source: "l1-settlement" });
