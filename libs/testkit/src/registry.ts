import type { EligibleProver, ProtocolParams } from "@zk-testnet/mechanisms";
import type { EventOf, ProtocolEvent, ProverId, PublicKey } from "@zk-testnet/protocol";

// The prover registry as the L1's events tell it: who registered when and with which key,
// each prover's stake over time, and who was ejected from which epoch on. The eligible set of
// an epoch is the registry as the L1's events before its EpochStarted leave it (l1.events is
// one partition written by the L1 alone), the way the aggregator reads it.

export interface Registration {
  readonly prover: ProverId;
  readonly publicKey: PublicKey;
  readonly slot: number;
  readonly time: number;
  /** Position of the ProverRegistered in the ordered log. */
  readonly position: number;
}

interface StakePoint {
  readonly time: number;
  /** Position of the event in the ordered log. */
  readonly position: number;
  readonly stake: bigint;
}

/** An epoch as the L1 started it. */
export interface EpochStart {
  readonly event: EventOf<"EpochStarted">;
  /** Position of the EpochStarted in the ordered log. */
  readonly position: number;
}

export interface Registry {
  /** Every registered prover, in order of registration. */
  readonly registrations: readonly Registration[];
  readonly registrationOf: (prover: string) => Registration | undefined;
  /** The key of a prover registered at or before log position `position`. */
  readonly publicKeyAt: (prover: string, position: number) => PublicKey | undefined;
  /** The stake of a prover at Clock time `time` (its registered stake before its first change). */
  readonly stakeAt: (prover: string, time: number) => bigint;
  /** The first EpochStarted of an epoch, if the L1 started it. */
  readonly epochStart: (epoch: number) => EpochStart | undefined;
  /**
   * The eligible set of an epoch, undefined before the L1 started it: provers registered before
   * its EpochStarted, not ejected from an epoch up to it by then, with at least the minimum
   * stake then. Sorted by prover id.
   */
  readonly eligibleFor: (params: ProtocolParams, epoch: number) => readonly EligibleProver[] | undefined;
}

type RegistryEvent = EventOf<"ProverRegistered"> | EventOf<"StakeChanged"> | EventOf<"ProverEjected">;

const isRegistryEvent = (event: ProtocolEvent): event is RegistryEvent =>
  event.type === "ProverRegistered" || event.type === "StakeChanged" || event.type === "ProverEjected";

interface Ejection {
  readonly epoch: number;
  readonly position: number;
}

export const buildRegistry = (events: readonly ProtocolEvent[]): Registry => {
  const registrations = new Map<string, Registration>();
  const stakes = new Map<string, StakePoint[]>();
  const ejections = new Map<string, Ejection[]>();
  const epochs = new Map<number, EpochStart>();
  events.forEach((event, position) => {
    if (event.type === "EpochStarted") {
      if (!epochs.has(event.payload.epoch)) epochs.set(event.payload.epoch, { event, position });
      return;
    }
    if (!isRegistryEvent(event)) return;
    const { prover } = event.payload;
    switch (event.type) {
      case "ProverRegistered":
        // The L1 registers a prover once; a second record changes nothing.
        if (registrations.has(prover)) return;
        registrations.set(prover, { prover, publicKey: event.payload.publicKey, slot: event.slot, time: event.time, position });
        stakes.set(prover, [{ time: event.time, position, stake: event.payload.stake }]);
        return;
      case "StakeChanged":
        stakes.set(prover, [...(stakes.get(prover) ?? []), { time: event.time, position, stake: event.payload.stake }]);
        return;
      case "ProverEjected":
        ejections.set(prover, [...(ejections.get(prover) ?? []), { epoch: event.payload.epoch, position }]);
        return;
      default:
        return absurd(event);
    }
  });

  const stakeAt = (prover: string, time: number): bigint => {
    const points = stakes.get(prover) ?? [];
    let stake = points[0]?.stake ?? 0n;
    for (const point of points) if (point.time <= time) stake = point.stake;
    return stake;
  };

  return {
    registrations: [...registrations.values()],
    registrationOf: (prover) => registrations.get(prover),
    publicKeyAt: (prover, position) => {
      const registration = registrations.get(prover);
      return registration !== undefined && registration.position <= position ? registration.publicKey : undefined;
    },
    stakeAt,
    epochStart: (epoch) => epochs.get(epoch),
    eligibleFor: (params, epoch) => {
      const start = epochs.get(epoch);
      if (start === undefined) return undefined;
      const before = start.position;
      const stakeThen = (prover: string): bigint => {
        let stake = 0n;
        for (const point of stakes.get(prover) ?? []) if (point.position < before) stake = point.stake;
        return stake;
      };
      return [...registrations.values()]
        .filter((r) => r.position < before && !(ejections.get(r.prover) ?? []).some((e) => e.position < before && e.epoch <= epoch))
        .map((r) => ({ prover: r.prover, stake: stakeThen(r.prover) }))
        .filter((p) => p.stake >= params.minimumStake)
        .sort((a, b) => (a.prover < b.prover ? -1 : a.prover > b.prover ? 1 : 0));
    },
  };
};

const absurd = (value: never): never => {
  throw new Error(`unexpected ${JSON.stringify(value)}`);
};
