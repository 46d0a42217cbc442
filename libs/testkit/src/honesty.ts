import type { NetworkConfig } from "@zk-testnet/network";
import type { EventId, ProtocolEvent, ProverId } from "@zk-testnet/protocol";

// Who was honest, and when. A run's log says every fault done to it (FaultInjected /
// FaultHealed); a prover may also start with a fault profile in the network configuration.

/** One fault on one target, from its FaultInjected to its FaultHealed (or the end of the run). */
export interface FaultWindow {
  readonly fault: string;
  readonly target: string;
  readonly from: number;
  /** Infinity while not healed. */
  readonly to: number;
  readonly injected: EventId;
  readonly healed?: EventId;
}

/** Pairs each FaultInjected with the first later FaultHealed of the same fault and target. */
export const faultWindows = (events: readonly ProtocolEvent[]): readonly FaultWindow[] => {
  const open = new Map<string, { fault: string; target: string; from: number; injected: EventId }[]>();
  const windows: FaultWindow[] = [];
  for (const event of events) {
    if (event.type === "FaultInjected") {
      const key = `${event.payload.fault}\u0000${event.payload.target}`;
      open.set(key, [...(open.get(key) ?? []), { fault: event.payload.fault, target: event.payload.target, from: event.time, injected: event.id }]);
    } else if (event.type === "FaultHealed") {
      const key = `${event.payload.fault}\u0000${event.payload.target}`;
      const [first, ...rest] = open.get(key) ?? [];
      if (first === undefined) continue;
      open.set(key, rest);
      windows.push({ ...first, to: event.time, healed: event.id });
    }
  }
  for (const pending of open.values()) for (const window of pending) windows.push({ ...window, to: Number.POSITIVE_INFINITY });
  return windows.sort((a, b) => a.from - b.from);
};

/** A fault the network configuration puts in force from the start (`NetworkConfig.faults`). */
interface ConfiguredFault {
  readonly fault: string;
  readonly target: string;
}

/**
 * Targets of the faults in force from the start of the run: `network.faults`, each the payload
 * of a FaultInjected without its event (read defensively: a configuration without the field
 * has none). A fault named "honest" is no fault.
 */
export const configuredFaults = (network: NetworkConfig): ReadonlySet<string> => {
  const faults = (network as { readonly faults?: readonly ConfiguredFault[] }).faults ?? [];
  return new Set(faults.filter((f) => f.fault !== "honest").map((f) => f.target));
};

/** Faults done to a prover by someone else (a proof forged in its name): they leave it honest. */
export const FAULTS_DONE_TO_THE_TARGET: ReadonlySet<string> = new Set(["forge"]);

/** Services of the testnet whose outage halts proving for everyone: no prover's fault. */
export const INFRASTRUCTURE: ReadonlySet<string> = new Set(["sequencer", "vrf-beacon", "aggregator", "l1-settlement"]);

export interface Honesty {
  /** Provers never faulted during the run. */
  readonly honest: ReadonlySet<string>;
  /** Whether a prover was free of every fault during [from, to]. */
  readonly honestDuring: (prover: string, from: number, to: number) => boolean;
  readonly windows: readonly FaultWindow[];
  /** Whether an infrastructure service (INFRASTRUCTURE) was crashed at some point of [from, to]. */
  readonly outageDuring: (from: number, to: number) => boolean;
}

/**
 * The honest provers of a run: the given set, or every known prover (network and registry)
 * that no FaultInjected targets and no fault of the network configuration names. With a given set, a prover is
 * honest at all times exactly when it is in the set.
 */
export const honestyOf = (
  network: NetworkConfig,
  events: readonly ProtocolEvent[],
  knownProvers: readonly string[],
  given: ReadonlySet<ProverId> | undefined,
): Honesty => {
  const windows = faultWindows(events);
  const outageDuring = (from: number, to: number) => windows.some((w) => INFRASTRUCTURE.has(w.target) && w.from <= to && w.to >= from);
  if (given !== undefined) {
    const honest = new Set<string>(given);
    return { honest, honestDuring: (prover) => honest.has(prover), windows, outageDuring };
  }
  const configured = configuredFaults(network);
  const faulting = windows.filter((w) => !FAULTS_DONE_TO_THE_TARGET.has(w.fault));
  const targeted = new Set(faulting.map((w) => w.target));
  const honest = new Set(knownProvers.filter((p) => !configured.has(p) && !targeted.has(p)));
  return {
    honest,
    honestDuring: (prover, from, to) =>
      !configured.has(prover) && !faulting.some((w) => w.target === prover && w.from <= to && w.to >= from),
    windows,
    outageDuring,
  };
};
