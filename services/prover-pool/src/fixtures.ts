import { Either } from "effect";
import { makeNetwork, type FaultSpec, type NetworkConfig } from "@zk-testnet/network";
import {
  blockCorrelationId,
  eventId,
  eventVersions,
  recordKey,
  type BlockNumber,
  type EventOf,
  type EventType,
  type Hash,
  type Level,
  type NodeIndex,
  type PayloadOf,
  type ProverId,
  type PublicKey,
  type Slot,
  type Timestamp,
} from "@zk-testnet/protocol";

// Events and networks for the pool's tests, built without a Clock so pure transitions can use them.

export const testNetwork = (provers = 3, seed = "prover-pool-test", faults?: readonly FaultSpec[]): NetworkConfig =>
  Either.getOrThrow(makeNetwork({ seed, genesisMs: 0, slots: 0, provers, ...(faults !== undefined ? { faults } : {}) }));

let sequence = 0;

/** A complete protocol event as `source` would have written it at `time`. */
export const protocolEvent = <T extends EventType>(type: T, source: string, time: number, payload: PayloadOf<T>, correlationId = "test"): EventOf<T> =>
  ({
    id: eventId(`${source}/test`, null, sequence++),
    type,
    version: eventVersions[type],
    source,
    key: recordKey({ type, payload } as never),
    causationId: null,
    correlationId,
    slot: Math.max(0, Math.floor(time / 2_000)) as Slot,
    time: time as Timestamp,
    payload,
  }) as unknown as EventOf<T>;

export const hashOf = (n: number): Hash => n.toString(16).padStart(64, "0") as Hash;

export interface AssignmentOptions {
  readonly block: number;
  readonly level?: number;
  readonly index?: number;
  readonly prover: string;
  readonly time: number;
  readonly childProofHashes?: readonly Hash[];
}

export const nodeAssigned = (o: AssignmentOptions): EventOf<"NodeAssigned"> =>
  protocolEvent(
    "NodeAssigned",
    "aggregator",
    o.time,
    {
      block: o.block as BlockNumber,
      level: (o.level ?? 0) as Level,
      index: (o.index ?? 0) as NodeIndex,
      prover: o.prover as ProverId,
      deadline: (o.time + 6_000) as Timestamp,
      publicInput: hashOf(1_000 * o.block + 10 * (o.level ?? 0) + (o.index ?? 0) + 1),
      childProofHashes: o.childProofHashes ?? [],
    },
    blockCorrelationId(o.block as BlockNumber),
  );

export const proverRegistered = (prover: string, stake: bigint, publicKey: PublicKey, time = 0): EventOf<"ProverRegistered"> =>
  protocolEvent("ProverRegistered", "l1-settlement", time, { prover: prover as ProverId, stake, publicKey }, "registry");

export const blockFinalized = (block: number, time: number): EventOf<"BlockFinalized"> =>
  protocolEvent("BlockFinalized", "l1-settlement", time, { block: block as BlockNumber, slot: Math.floor(time / 2_000) as Slot }, blockCorrelationId(block as BlockNumber));

export interface TakeoverOptions {
  readonly block: number;
  readonly level?: number;
  readonly index?: number;
  readonly from: string;
  readonly to?: string;
  readonly step: "sibling" | "parent" | "open";
  readonly time: number;
  readonly deadline?: number;
}

export const takeoverOpened = (o: TakeoverOptions): EventOf<"TakeoverOpened"> =>
  protocolEvent(
    "TakeoverOpened",
    "aggregator",
    o.time,
    {
      block: o.block as BlockNumber,
      level: (o.level ?? 0) as Level,
      index: (o.index ?? 0) as NodeIndex,
      from: o.from as ProverId,
      ...(o.to !== undefined ? { to: o.to as ProverId } : {}),
      step: o.step,
      deadline: (o.deadline ?? o.time + 6_000) as Timestamp,
    },
    blockCorrelationId(o.block as BlockNumber),
  );

export const faultInjected = (fault: string, target: string, time: number, params: Record<string, string> = {}): EventOf<"FaultInjected"> =>
  protocolEvent("FaultInjected", "orchestrator", time, { fault, target, params }, "fault");

export const faultHealed = (fault: string, target: string, time: number): EventOf<"FaultHealed"> =>
  protocolEvent("FaultHealed", "orchestrator", time, { fault, target }, "fault");
