import { nodeKey, type EventOf } from "@zk-testnet/protocol";
import type { Honesty } from "../honesty.ts";
import type { RunLog } from "../run-log.ts";
import { violation, type Violation } from "../violation.ts";

// Invariant 3: a slash only follows an attributable fault, and an honest prover is never slashed.
// - "missed" needs a NodeDeadlineMissed of that prover at that node, no later than the slash,
//   for which the prover had posted no receipt (PostReceipt on L1) by the missed deadline (a
//   receipt made while its prover was partitioned from the brokers is posted at the heal);
// - "invalid" needs a ProofRejected of that prover at that node, no later than the slash, for
//   wrong-public-input or wrong-children (a signed invalid proof), or for duplicate when the
//   aggregator judged another well-signed proof of the prover for the node (equivocation).

const SIGNED_INVALID = new Set(["wrong-public-input", "wrong-children"]);

/** Rejections that the aggregator makes only after the proof's signature verified. */
const SIGNED_REJECTIONS = new Set(["wrong-public-input", "wrong-children", "too-early", "duplicate"]);

/**
 * Whether the prover signed another proof of the node than `proofHash`, as the aggregator
 * judged it: accepted, or rejected for a reason it gives only to a well-signed proof.
 */
const equivocated = (log: RunLog, key: string, prover: string, proofHash: string): boolean =>
  [...(log.accepted.get(key) ?? []), ...(log.rejected.get(key) ?? []).filter((r) => SIGNED_REJECTIONS.has(r.payload.reason))].some(
    (event) => event.payload.prover === prover && event.payload.proofHash !== proofHash,
  );

/**
 * When a receipt reached the L1: when it was made, unless its prover was cut off from the
 * brokers then (a `partition` window), when the receipt waits for the network to come back.
 */
const postedAt = (honesty: Honesty, prover: string, made: number): number => {
  let at = made;
  for (const w of honesty.windows) if (w.fault === "partition" && w.target === prover && w.from <= made && made < w.to) at = Math.max(at, w.to);
  return at;
};

const checkMissed = (log: RunLog, slash: EventOf<"ProverSlashed">, key: string, honesty: Honesty): Violation | undefined => {
  const { prover } = slash.payload;
  const misses = (log.missed.get(key) ?? []).filter((m) => m.payload.prover === prover && m.time <= slash.time);
  if (misses.length === 0) {
    return violation(3, "slash-without-miss", `${prover} was slashed for missing node ${key}, but no NodeDeadlineMissed of ${prover} at that node precedes it`, [slash.id]);
  }
  const receipts = (log.receipts.get(key) ?? []).filter((r) => r.payload.prover === prover);
  const receiptBefore = (deadline: number) => receipts.find((r) => postedAt(honesty, prover, r.time) < deadline);
  const [miss] = misses;
  if (miss !== undefined && misses.every((m) => receiptBefore(m.payload.deadline) !== undefined)) {
    return violation(
      3,
      "slashed-despite-receipt",
      `${prover} was slashed for missing node ${key}, but it had posted a receipt before the deadline ${miss.payload.deadline}`,
      [slash.id, miss.id, receiptBefore(miss.payload.deadline)?.id],
    );
  }
  return undefined;
};

const checkInvalid = (log: RunLog, slash: EventOf<"ProverSlashed">, key: string): Violation | undefined => {
  const { prover } = slash.payload;
  const evidence = (log.rejected.get(key) ?? []).filter(
    (r) =>
      r.payload.prover === prover &&
      r.time <= slash.time &&
      (SIGNED_INVALID.has(r.payload.reason) || (r.payload.reason === "duplicate" && equivocated(log, key, prover, r.payload.proofHash))),
  );
  if (evidence.length > 0) return undefined;
  return violation(
    3,
    "slash-without-invalid-proof",
    `${prover} was slashed for an invalid proof of node ${key}, but no ProofRejected of ${prover} at that node shows a signed invalid proof (wrong-public-input, wrong-children, or an equivocating duplicate)`,
    [slash.id],
  );
};

export const checkSlashes = (log: RunLog, honesty: Honesty): readonly Violation[] => {
  const violations: Violation[] = [];
  for (const slash of log.ofType("ProverSlashed")) {
    const { prover, reason } = slash.payload;
    const key = nodeKey(slash.payload);
    if (honesty.honest.has(prover)) {
      violations.push(violation(3, "honest-slashed", `${prover}, an honest prover (never faulted), was slashed ${slash.payload.amount} (${reason}) at node ${key}`, [slash.id]));
    }
    const unattributable = reason === "missed" ? checkMissed(log, slash, key, honesty) : checkInvalid(log, slash, key);
    if (unattributable !== undefined) violations.push(unattributable);
  }
  return violations;
};
