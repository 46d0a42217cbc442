import { canonicalJson, type OutputDraft } from "@zk-testnet/actors";
import type { EventType, ProtocolEvent } from "@zk-testnet/protocol";

// What the aggregator decided and what the log holds of it. Every decision counts +1 under
// its output's identity, every own output read back from the log counts -1. Live, an output
// is read back right after it is published; after a replay (which publishes nothing), what
// is left with a positive count was decided but never published, for example because the
// aggregator was down when the block or the proof came: `host.started` publishes exactly that.
// The count may dip below zero in a replay, where an output can be read before its cause.

export interface OutboxEntry {
  readonly count: number;
  /** The decided output; null while only its read-back has been counted. */
  readonly draft: OutputDraft | null;
}

export type Outbox = Readonly<Record<string, OutboxEntry>>;

/** An output's identity: the same decision made again (a replay) has the same one. */
export const outputKey = (type: EventType, payload: unknown): string => {
  const p = payload as { readonly block?: number; readonly level?: number; readonly index?: number; readonly prover?: string; readonly proofHash?: string; readonly reason?: string };
  switch (type) {
    case "NodeAssigned":
    case "NodeDeadlineMissed":
      // A node is handed to a prover once (the assignee, then each taker), and missed by it once.
      return `${type}:${p.block}/${p.level}/${p.index}:${p.prover}`;
    case "TakeoverOpened":
      return `${type}:${p.block}/${p.level}/${p.index}:${(payload as { readonly deadline?: number }).deadline}`;
    case "ProofAccepted":
      return `${type}:${p.block}/${p.level}/${p.index}`;
    case "ProofRejected":
      return `${type}:${p.block}/${p.level}/${p.index}:${p.prover}:${p.proofHash}:${p.reason}`;
    case "RootProofSubmitted":
    case "SubmitRoot":
      return `${type}:${p.block}`;
    default:
      return `${type}:${canonicalJson(payload)}`;
  }
};

const counted = (outbox: Outbox, key: string, delta: number, draft: OutputDraft | null): Outbox => {
  const entry = outbox[key];
  const count = (entry?.count ?? 0) + delta;
  if (count === 0) {
    const { [key]: _settled, ...rest } = outbox;
    return rest;
  }
  return { ...outbox, [key]: { count, draft: draft ?? entry?.draft ?? null } };
};

/** Counts decided outputs. */
export const decided = (outbox: Outbox, drafts: readonly OutputDraft[]): Outbox =>
  drafts.reduce((current, draft) => counted(current, outputKey(draft.type, draft.payload), 1, draft), outbox);

/** Counts one of its own outputs read back from the log. */
export const readBack = (outbox: Outbox, event: ProtocolEvent): Outbox => counted(outbox, outputKey(event.type, event.payload), -1, null);

/**
 * Settles an output that records a fired deadline (see takeover.ts): it counts −1 only against
 * its decision in this life. A timer never fires in a replay, so read back without a decision
 * it is the record of one made in an earlier life, and there is nothing to settle.
 */
export const settled = (outbox: Outbox, event: ProtocolEvent): Outbox =>
  (outbox[outputKey(event.type, event.payload)]?.count ?? 0) > 0 ? readBack(outbox, event) : outbox;

/** Outputs decided but not in the log, in the order they were decided. */
export const unpublished = (outbox: Outbox): readonly OutputDraft[] =>
  Object.values(outbox).flatMap((entry) => (entry.draft === null || entry.count <= 0 ? [] : Array<OutputDraft>(entry.count).fill(entry.draft)));
