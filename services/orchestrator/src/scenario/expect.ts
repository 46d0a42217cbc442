import type { NetworkConfig } from "@zk-testnet/network";
import type { EventOf, EventType, ProtocolEvent } from "@zk-testnet/protocol";
import { gini, nakamoto } from "@zk-testnet/testkit";
import type { Bounds, Expectations } from "./schema.ts";

// A scenario's expectations beyond the six invariants, each checked from the run's log alone
// and failing with a message that says what was expected and what the log shows.

/** What the expectations read: the run's events in log order and its dead-letter records. */
export interface RunEvidence {
  readonly network: NetworkConfig;
  readonly events: readonly ProtocolEvent[];
  readonly deadLetters: readonly { readonly topic: string }[];
}

export const describeBounds = (b: Bounds, unit = ""): string =>
  b.atLeast !== undefined && b.atLeast === b.atMost
    ? `exactly ${b.atLeast}${unit}`
    : b.atLeast !== undefined && b.atMost !== undefined
      ? `from ${b.atLeast}${unit} to ${b.atMost}${unit}`
      : b.atLeast !== undefined
        ? `at least ${b.atLeast}${unit}`
        : `at most ${b.atMost}${unit}`;

const within = (value: number, b: Bounds): boolean => (b.atLeast === undefined || value >= b.atLeast) && (b.atMost === undefined || value <= b.atMost);

const times = (n: number): string => `${n} time${n === 1 ? "" : "s"}`;
const percent = (x: number): string => `${(x * 100).toFixed(1)}%`;
const nodeOf = (p: { block: number; level: number; index: number }): string => `block ${p.block} node ${p.level}/${p.index}`;

/** The log's events, each id once (a redelivered record is dropped, as consumers drop it). */
const indexEvents = (events: readonly ProtocolEvent[]) => {
  const seen = new Set<string>();
  const byType = new Map<EventType, ProtocolEvent[]>();
  for (const e of events) {
    if (seen.has(e.id)) continue;
    seen.add(e.id);
    const list = byType.get(e.type);
    if (list === undefined) byType.set(e.type, [e]);
    else list.push(e);
  }
  return <T extends EventType>(type: T): readonly EventOf<T>[] => (byType.get(type) ?? []) as unknown as readonly EventOf<T>[];
};

const firstByBlock = <E extends { readonly payload: { readonly block: number } }>(events: readonly E[]): Map<number, E> => {
  const firsts = new Map<number, E>();
  for (const e of events) if (!firsts.has(e.payload.block)) firsts.set(e.payload.block, e);
  return firsts;
};

/** At most a few items of a list in a message, and how many more there are. */
const some = (items: readonly string[], max = 5): string =>
  items.length <= max ? items.join(", ") : `${items.slice(0, max).join(", ")} and ${items.length - max} more`;

/** Every expectation the run does not meet, one message each; empty when all hold. */
export const checkExpectations = (expect: Expectations, run: RunEvidence): string[] => {
  const ofType = indexEvents(run.events);
  const failures: string[] = [];
  const fail = (path: string, message: string) => failures.push(`expect.${path}: ${message}`);
  const proposed = firstByBlock(ofType("BlockProposed"));
  const finalized = firstByBlock(ofType("BlockFinalized"));
  const reorged = firstByBlock(ofType("BlockReorgedOut"));
  const slashes = ofType("ProverSlashed");

  if (expect.allFinalized === true) {
    const problems: string[] = [];
    if (proposed.size < run.network.slots) problems.push(`${proposed.size} of ${run.network.slots} blocks proposed`);
    for (const block of [...proposed.keys()].sort((a, b) => a - b)) {
      if (finalized.has(block)) continue;
      const r = reorged.get(block);
      problems.push(r === undefined ? `block ${block} not finalized by the end of the run` : `block ${block} reorged out (${r.payload.reason})`);
    }
    if (problems.length > 0) fail("allFinalized", some(problems));
  }

  if (expect.finalizedWithinSlots !== undefined) {
    const limit = expect.finalizedWithinSlots;
    const late: string[] = [];
    for (const [block, f] of finalized) {
      const p = proposed.get(block);
      const slots = p === undefined ? undefined : (f.time - p.time) / run.network.params.slotMs;
      if (slots !== undefined && slots > limit) late.push(`block ${block} after ${slots.toFixed(2)} slots`);
    }
    if (late.length > 0) fail("finalizedWithinSlots", `expected every block finalized within ${limit} slots of its proposal: ${some(late)}`);
  }

  for (const [i, s] of (expect.slashed ?? []).entries()) {
    const bounds: Bounds = s.times === undefined ? { atLeast: 1 } : typeof s.times === "number" ? { atLeast: s.times, atMost: s.times } : s.times;
    const n = slashes.filter((e) => e.payload.prover === s.prover && (s.reason === undefined || e.payload.reason === s.reason)).length;
    if (!within(n, bounds)) fail(`slashed[${i}]`, `${s.prover} slashed ${times(n)}${s.reason === undefined ? "" : ` for ${s.reason}`}, expected ${describeBounds(bounds)}`);
  }

  for (const [i, prover] of (expect.notSlashed ?? []).entries()) {
    const own = slashes.filter((e) => e.payload.prover === prover);
    if (own.length > 0) fail(`notSlashed[${i}]`, `${prover} slashed ${times(own.length)}: ${some(own.map((e) => `${e.payload.reason} at ${nodeOf(e.payload)}`))}`);
  }

  const many = (n: number, noun: string) => `${n} ${noun}${n === 1 ? "" : "s"}`;
  const list = <T>(items: readonly T[] | undefined, key: string) => (items ?? []).map((item, i, all) => ({ item, path: all.length === 1 ? key : `${key}[${i}]` }));

  for (const { item, path } of list(expect.takeovers, "takeovers")) {
    const n = ofType("TakeoverOpened").filter((e) => item.step === undefined || e.payload.step === item.step).length;
    if (!within(n, item)) fail(path, `${many(n, "takeover")}${item.step === undefined ? "" : ` at step ${item.step}`}, expected ${describeBounds(item)}`);
  }

  for (const { item, path } of list(expect.rejected, "rejected")) {
    const { reason, prover } = item;
    const n = ofType("ProofRejected").filter((e) => (reason === undefined || e.payload.reason === reason) && (prover === undefined || e.payload.prover === prover)).length;
    const what = [reason === undefined ? "" : ` for ${reason}`, prover === undefined ? "" : ` of ${prover}`].join("");
    if (!within(n, item)) fail(path, `${many(n, "proof")} rejected${what}, expected ${describeBounds(item)}`);
  }

  if (expect.dlq !== undefined) {
    const { topic } = expect.dlq;
    const dlqTopic = topic === undefined ? undefined : topic.endsWith(".dlq") ? topic : `${topic}.dlq`;
    const n = run.deadLetters.filter((r) => dlqTopic === undefined || r.topic === dlqTopic).length;
    if (!within(n, expect.dlq)) fail("dlq", `${n} dead-letter record${n === 1 ? "" : "s"}${dlqTopic === undefined ? "" : ` on ${dlqTopic}`}, expected ${describeBounds(expect.dlq)}`);
  }

  if (expect.uncles !== undefined) {
    const n = ofType("UncleRewardPaid").length;
    if (!within(n, expect.uncles)) fail("uncles", `${n} uncle reward${n === 1 ? "" : "s"} paid, expected ${describeBounds(expect.uncles)}`);
  }

  const earned = rewardsByProver(run.network, ofType("RewardPaid"), ofType("UncleRewardPaid"));
  const amounts = [...earned.values()];
  if (expect.rewardGini !== undefined) {
    const g = gini(amounts);
    if (!within(g, expect.rewardGini)) fail("rewardGini", `reward Gini ${g.toFixed(3)}, expected ${describeBounds(expect.rewardGini)}`);
  }
  if (expect.nakamoto !== undefined) {
    const n = nakamoto(amounts);
    if (!within(n, expect.nakamoto)) fail("nakamoto", `Nakamoto coefficient ${n}, expected ${describeBounds(expect.nakamoto)}`);
  }
  const total = amounts.reduce((a, b) => a + b, 0n);
  for (const [i, s] of (expect.rewardShare ?? []).entries()) {
    const share = total === 0n ? 0 : Number(((earned.get(s.prover) ?? 0n) * 1_000_000n) / total) / 1_000_000;
    if (!within(share, s)) {
      const bounds = { ...(s.atLeast !== undefined ? { atLeast: s.atLeast * 100 } : {}), ...(s.atMost !== undefined ? { atMost: s.atMost * 100 } : {}) };
      fail(`rewardShare[${i}]`, `${s.prover} earned ${percent(share)} of ${total} paid, expected ${describeBounds(bounds, "%")}`);
    }
  }
  return failures;
};

/** Rewards and uncle rewards per prover, every prover of the network included (0 for one that earned nothing). */
const rewardsByProver = (network: NetworkConfig, rewards: readonly EventOf<"RewardPaid">[], uncles: readonly EventOf<"UncleRewardPaid">[]) => {
  const earned = new Map<string, bigint>(network.provers.map((p) => [p.id as string, 0n]));
  for (const r of [...rewards, ...uncles]) earned.set(r.payload.prover, (earned.get(r.payload.prover) ?? 0n) + r.payload.amount);
  return earned;
};
