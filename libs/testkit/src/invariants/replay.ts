import { violation, type Violation } from "../violation.ts";

// Invariant 6: replaying the log from offset 0 rebuilds every service's state exactly. This
// library does not run services; the caller (the orchestrator) replays them and hands over
// each service's state hash, live and replayed.

/** One service's state hash in the live run and after a replay of the log. */
export interface ReplayedState {
  readonly service: string;
  readonly live: string;
  readonly replayed: string;
}

export interface ReplayCheck {
  /** The services compared; undefined when no replay was supplied. */
  readonly services: readonly string[] | undefined;
  readonly violations: readonly Violation[];
}

export const checkReplay = (replayCheck: (() => readonly ReplayedState[]) | undefined): ReplayCheck => {
  if (replayCheck === undefined) return { services: undefined, violations: [] };
  let states: readonly ReplayedState[];
  try {
    states = replayCheck();
  } catch (error) {
    return { services: [], violations: [violation(6, "replay-failed", `the replay could not be run: ${error instanceof Error ? error.message : String(error)}`)] };
  }
  const violations = states
    .filter((s) => s.live !== s.replayed)
    .map((s) => violation(6, "replay-mismatch", `${s.service}: the replayed state (${s.replayed}) differs from the live state (${s.live})`));
  return { services: states.map((s) => s.service), violations };
};
