import { beaconPublicKeyOf, verifyBeaconRound } from "@zk-testnet/crypto";
import { beaconSchemeOf, type NetworkConfig } from "@zk-testnet/network";
import { nodeKey, type EventId, type EventOf, type EventType, type NodeId, type ProtocolEvent } from "@zk-testnet/protocol";
import { buildRegistry, type Registry } from "./registry.ts";

// One pass over a run's log: the events in order (each id once), indexed the ways the
// invariants and metrics look them up.

/** The events of one type that concern one node, by "block/level/index". */
export type ByNode<T extends EventType> = ReadonlyMap<string, readonly EventOf<T>[]>;

export interface RunLog {
  readonly network: NetworkConfig;
  /** Each event id once (the first), ordered by time; equal times keep the given order. */
  readonly events: readonly ProtocolEvent[];
  /** Events whose id had been seen already: redeliveries, dropped as every consumer drops them. */
  readonly duplicates: number;
  readonly position: (id: EventId) => number;
  readonly startTime: number;
  /** The time of the last event: the run ends there. */
  readonly endTime: number;
  readonly ofType: <T extends EventType>(type: T) => readonly EventOf<T>[];
  /** The first BlockProposed of each block. */
  readonly blocks: ReadonlyMap<number, EventOf<"BlockProposed">>;
  /** The first BlockFinalized of each block. */
  readonly finalized: ReadonlyMap<number, EventOf<"BlockFinalized">>;
  readonly reorged: ReadonlyMap<number, EventOf<"BlockReorgedOut">>;
  readonly roots: ReadonlyMap<number, readonly EventOf<"SubmitRoot">[]>;
  readonly assigned: ByNode<"NodeAssigned">;
  readonly missed: ByNode<"NodeDeadlineMissed">;
  readonly takeovers: ByNode<"TakeoverOpened">;
  readonly submitted: ByNode<"ProofSubmitted">;
  readonly accepted: ByNode<"ProofAccepted">;
  readonly rejected: ByNode<"ProofRejected">;
  readonly receipts: ByNode<"PostReceipt">;
  readonly registry: Registry;
  /** The first beacon round of each number that verifies under the run's beacon key (or the first, unverified, when not checking). */
  readonly roundOf: (round: number) => EventOf<"BeaconRound"> | undefined;
  /** Every prover the run knows: the network's and the registry's. */
  readonly provers: readonly string[];
}

export interface RunLogOptions {
  /**
   * Check each beacon round's signature in the network's scheme, with the beacon key derived
   * from the network seed (default true). libs/crypto remembers the answers, so rounds the
   * aggregator of this process verified are not verified again.
   */
  readonly verifyBeacon?: boolean;
}

const group = <T extends EventType>(events: readonly EventOf<T>[], key: (event: EventOf<T>) => string): Map<string, EventOf<T>[]> => {
  const groups = new Map<string, EventOf<T>[]>();
  for (const event of events) {
    const k = key(event);
    const list = groups.get(k);
    if (list === undefined) groups.set(k, [event]);
    else list.push(event);
  }
  return groups;
};

const firstBy = <T extends EventType>(events: readonly EventOf<T>[], key: (event: EventOf<T>) => number): Map<number, EventOf<T>> => {
  const firsts = new Map<number, EventOf<T>>();
  for (const event of events) if (!firsts.has(key(event))) firsts.set(key(event), event);
  return firsts;
};

const byNode = <T extends EventType>(events: readonly EventOf<T>[]): Map<string, EventOf<T>[]> =>
  group(events, (event) => nodeKey(event.payload as unknown as NodeId));

/** Orders events by time; equal times keep their given order (a stable sort). */
export const byTime = (events: readonly ProtocolEvent[]): ProtocolEvent[] =>
  events
    .map((event, i) => ({ event, i }))
    .sort((a, b) => a.event.time - b.event.time || a.i - b.i)
    .map(({ event }) => event);

export const indexRun = (network: NetworkConfig, input: readonly ProtocolEvent[], options: RunLogOptions = {}): RunLog => {
  const seen = new Set<string>();
  const events: ProtocolEvent[] = [];
  for (const event of byTime(input)) {
    if (seen.has(event.id)) continue;
    seen.add(event.id);
    events.push(event);
  }
  const positions = new Map<string, number>(events.map((event, i) => [event.id, i]));
  const types = new Map<EventType, ProtocolEvent[]>();
  for (const event of events) {
    const list = types.get(event.type);
    if (list === undefined) types.set(event.type, [event]);
    else list.push(event);
  }
  const ofType = <T extends EventType>(type: T): readonly EventOf<T>[] => (types.get(type) ?? []) as unknown as readonly EventOf<T>[];

  const rounds = group(ofType("BeaconRound"), (event) => String(event.payload.round));
  const verify = options.verifyBeacon ?? true;
  const scheme = beaconSchemeOf(network);
  const beaconKey = verify ? beaconPublicKeyOf(scheme, network.seed) : undefined;
  const verifiedRounds = new Map<number, EventOf<"BeaconRound"> | undefined>();
  const roundOf = (round: number): EventOf<"BeaconRound"> | undefined => {
    if (verifiedRounds.has(round)) return verifiedRounds.get(round);
    const candidates = rounds.get(String(round)) ?? [];
    const valid = beaconKey === undefined ? candidates[0] : candidates.find((event) => verifyBeaconRound(scheme, beaconKey, event.payload));
    verifiedRounds.set(round, valid);
    return valid;
  };

  const registry = buildRegistry(events);
  return {
    network,
    events,
    duplicates: input.length - events.length,
    position: (id) => positions.get(id) ?? -1,
    startTime: events[0]?.time ?? 0,
    endTime: events[events.length - 1]?.time ?? 0,
    ofType,
    blocks: firstBy(ofType("BlockProposed"), (e) => e.payload.block),
    finalized: firstBy(ofType("BlockFinalized"), (e) => e.payload.block),
    reorged: firstBy(ofType("BlockReorgedOut"), (e) => e.payload.block),
    roots: new Map([...group(ofType("SubmitRoot"), (e) => String(e.payload.block))].map(([block, list]) => [Number(block), list])),
    assigned: byNode(ofType("NodeAssigned")),
    missed: byNode(ofType("NodeDeadlineMissed")),
    takeovers: byNode(ofType("TakeoverOpened")),
    submitted: byNode(ofType("ProofSubmitted")),
    accepted: byNode(ofType("ProofAccepted")),
    rejected: byNode(ofType("ProofRejected")),
    receipts: byNode(ofType("PostReceipt")),
    registry,
    roundOf,
    provers: [...new Set([...network.provers.map((p) => p.id as string), ...registry.registrations.map((r) => r.prover as string)])],
  };
};
