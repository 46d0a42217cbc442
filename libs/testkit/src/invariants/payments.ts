import type { EventOf, EventType } from "@zk-testnet/protocol";
import type { RunLog } from "../run-log.ts";
import { violation, type Violation } from "../violation.ts";

// Invariant 2: no reward is paid twice for the same node (a block-level payment: twice for the
// same block), no uncle reward twice for the same claim, and no slash is applied twice for the
// same fault (prover, node, reason).

/** The groups of events with the same key, where there is more than one: the first event and all of them. */
const repeated = <T extends EventType>(events: readonly EventOf<T>[], key: (event: EventOf<T>) => string): readonly { readonly first: EventOf<T>; readonly all: readonly EventOf<T>[] }[] => {
  const groups = new Map<string, EventOf<T>[]>();
  for (const event of events) groups.set(key(event), [...(groups.get(key(event)) ?? []), event]);
  return [...groups.values()].flatMap(([first, ...rest]) => (first !== undefined && rest.length > 0 ? [{ first, all: [first, ...rest] }] : []));
};

const amounts = (events: readonly { readonly payload: { readonly prover: string; readonly amount: bigint } }[]): string =>
  events.map((e) => `${e.payload.amount} to ${e.payload.prover}`).join(", ");

export const checkPayments = (log: RunLog): readonly Violation[] => {
  const violations: Violation[] = [];
  for (const { first: { payload: first }, all: group } of repeated(log.ofType("RewardPaid"), (e) =>
    e.payload.level === undefined ? `block ${e.payload.block}` : `node ${e.payload.block}/${e.payload.level}/${e.payload.index}`,
  )) {
    const what = first.level === undefined ? `the block-level reward of block ${first.block}` : `node ${first.block}/${first.level}/${first.index}`;
    violations.push(violation(2, "double-reward", `${what} was paid ${group.length} times (${amounts(group)})`, group.map((e) => e.id)));
  }
  for (const { first: { payload: first }, all: group } of repeated(log.ofType("UncleRewardPaid"), (e) => `${e.payload.block}/${e.payload.level}/${e.payload.index}/${e.payload.prover}`)) {
    violations.push(
      violation(2, "double-uncle-reward", `${first.prover}'s uncle reward for node ${first.block}/${first.level}/${first.index} was paid ${group.length} times (${amounts(group)})`, group.map((e) => e.id)),
    );
  }
  for (const { first: { payload: first }, all: group } of repeated(log.ofType("ProverSlashed"), (e) => `${e.payload.prover}/${e.payload.block}/${e.payload.level}/${e.payload.index}/${e.payload.reason}`)) {
    violations.push(
      violation(
        2,
        "double-slash",
        `${first.prover} was slashed ${group.length} times for the same fault (${first.reason} at node ${first.block}/${first.level}/${first.index}): ${group.map((e) => e.payload.amount).join(", ")}`,
        group.map((e) => e.id),
      ),
    );
  }
  return violations;
};
