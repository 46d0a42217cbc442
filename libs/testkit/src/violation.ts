import type { EventId } from "@zk-testnet/protocol";

/** The six invariants of PROTOCOL.md ("Invariants every run is checked against"), by number. */
export type InvariantNumber = 1 | 2 | 3 | 4 | 5 | 6;

/** What each invariant says, in one line, for reports. */
export const invariantTitles: { readonly [N in InvariantNumber]: string } = {
  1: "every finalized block's root proof verifies and every node was produced by its assignee or a legitimate taker",
  2: "no reward is paid twice for the same node; no slash is applied twice for the same fault",
  3: "a slash only follows an attributable fault; an honest prover is never slashed",
  4: "the ledger invariant holds after every event",
  5: "with an honest prover in every sibling group, every block finalizes within its proving window",
  6: "replaying the log from offset 0 rebuilds every service's state exactly",
};

/** One way a run broke an invariant, with the events that show it. */
export interface Violation {
  readonly invariant: InvariantNumber;
  /** A short name of the rule broken, e.g. "double-reward" or "slash-without-miss". */
  readonly rule: string;
  readonly message: string;
  /** The offending events, in log order where there is one. */
  readonly events: readonly EventId[];
}

export const violation = (invariant: InvariantNumber, rule: string, message: string, events: readonly (EventId | undefined)[] = []): Violation => ({
  invariant,
  rule,
  message,
  events: [...new Set(events.filter((id): id is EventId => id !== undefined))],
});
