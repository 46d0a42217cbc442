import { epochOf, epochStartSlot, type EligibleProver, type ProtocolParams } from "@zk-testnet/mechanisms";
import type { EventOf, ProtocolEvent, ProverId, PublicKey, Slot } from "@zk-testnet/protocol";

// The prover registry as the L1's events tell it: who registered when and with which key,
// each prover's stake over time, and who was ejected from which epoch on. The eligible set of
// a block is read from it the way the aggregator reads it.

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
  readonly stake: bigint;
}

export interface Registry {
  /** Every registered prover, in order of registration. */
  readonly registrations: readonly Registration[];
  readonly registrationOf: (prover: string) => Registration | undefined;
  /** The key of a prover registered at or before log position `position`. */
  readonly publicKeyAt: (prover: string, position: number) => PublicKey | undefined;
  /** The stake of a prover at Clock time `time` (its registered stake before its first change). */
  readonly stakeAt: (prover: string, time: number) => bigint;
  /**
   * The eligible set of a block proposed in `slot`: provers registered no later than the first
   * slot of its epoch, not ejected from that epoch, with at least the minimum stake at `stakeTime`.
   */
  readonly eligibleAt: (params: ProtocolParams, slot: number, stakeTime: number) => readonly EligibleProver[];
}

type RegistryEvent = EventOf<"ProverRegistered"> | EventOf<"StakeChanged"> | EventOf<"ProverEjected">;

const isRegistryEvent = (event: ProtocolEvent): event is RegistryEvent =>
  event.type === "ProverRegistered" || event.type === "StakeChanged" || event.type === "ProverEjected";

export const buildRegistry = (events: readonly ProtocolEvent[]): Registry => {
  const registrations = new Map<string, Registration>();
  const stakes = new Map<string, StakePoint[]>();
  const ejectedFrom = new Map<string, number>();
  events.forEach((event, position) => {
    if (!isRegistryEvent(event)) return;
    const { prover } = event.payload;
    switch (event.type) {
      case "ProverRegistered":
        // The L1 registers a prover once; a second record changes nothing.
        if (registrations.has(prover)) return;
        registrations.set(prover, { prover, publicKey: event.payload.publicKey, slot: event.slot, time: event.time, position });
        stakes.set(prover, [{ time: event.time, stake: event.payload.stake }]);
        return;
      case "StakeChanged":
        stakes.set(prover, [...(stakes.get(prover) ?? []), { time: event.time, stake: event.payload.stake }]);
        return;
      case "ProverEjected":
        ejectedFrom.set(prover, Math.min(ejectedFrom.get(prover) ?? Number.MAX_SAFE_INTEGER, event.payload.epoch));
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
    eligibleAt: (params, slot, stakeTime) => {
      const epoch = epochOf(params, slot as Slot);
      const start = epochStartSlot(params, epoch);
      return [...registrations.values()]
        .filter((r) => r.slot <= start && (ejectedFrom.get(r.prover) ?? Number.MAX_SAFE_INTEGER) > epoch)
        .map((r) => ({ prover: r.prover, stake: stakeAt(r.prover, stakeTime) }))
        .filter((p) => p.stake >= params.minimumStake);
    },
  };
};

const absurd = (value: never): never => {
  throw new Error(`unexpected ${JSON.stringify(value)}`);
};
