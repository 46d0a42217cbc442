import { describe, expect, it } from "@effect/vitest";
import { Either } from "effect";
import { makeNetwork } from "@zk-testnet/network";
import type { ProtocolEvent } from "@zk-testnet/protocol";
import { checkExpectations, describeBounds, type RunEvidence } from "./expect.ts";
import type { Expectations } from "./schema.ts";

const network = Either.getOrThrow(makeNetwork({ seed: "expect", genesisMs: 0, slots: 2, provers: 4, slotMs: 1_000 }));

let position = 0;
/** A hand-built event: only what the expectations read (id, type, time, payload). */
const ev = (type: ProtocolEvent["type"], time: number, payload: Record<string, unknown>): ProtocolEvent =>
  ({ id: `e${position++}`, type, version: 1, source: "test", key: "k", causationId: null, correlationId: "c", slot: Math.floor(time / 1_000), time, payload }) as unknown as ProtocolEvent;

const node = (block: number, level = 0, index = 0) => ({ block, level, index });
const slash = (prover: string, reason: "missed" | "invalid", time: number, block = 0) => ev("ProverSlashed", time, { prover, amount: 10n, reason, ...node(block) });
const reward = (prover: string, amount: bigint) => ev("RewardPaid", 3_000, { prover, amount, ...node(0) });

/** Two blocks proposed at 0 s and 1 s, finalized 2.5 s and 5 s later. */
const finalizedRun = (): ProtocolEvent[] => [
  ev("BlockProposed", 0, { block: 0, slot: 0, txCount: 4, fees: 1n }),
  ev("BlockProposed", 1_000, { block: 1, slot: 1, txCount: 4, fees: 1n }),
  ev("BlockFinalized", 2_500, { block: 0, slot: 2 }),
  ev("BlockFinalized", 6_000, { block: 1, slot: 6 }),
];

const run = (events: readonly ProtocolEvent[], deadLetters: RunEvidence["deadLetters"] = []): RunEvidence => ({ network, events, deadLetters });
const check = (expectations: Expectations, events: readonly ProtocolEvent[], deadLetters: RunEvidence["deadLetters"] = []) =>
  checkExpectations(expectations, run(events, deadLetters));

describe("scenario expectations", () => {
  it("hold on a run that meets them", () => {
    const events = [
      ...finalizedRun(),
      slash("prover-3", "missed", 4_000),
      ev("TakeoverOpened", 3_000, { ...node(1), from: "prover-3", to: "prover-4", step: "sibling" }),
      reward("prover-1", 100n),
      reward("prover-2", 100n),
    ];
    expect(
      check(
        {
          allFinalized: true,
          finalizedWithinSlots: 5,
          slashed: [{ prover: "prover-3", times: 1, reason: "missed" }],
          notSlashed: ["prover-1", "prover-2", "prover-4"],
          takeovers: [{ atLeast: 1 }, { step: "open", atMost: 0 }],
          rejected: [{ atMost: 0 }],
          dlq: { atMost: 0 },
          rewardGini: { atMost: 0.6 },
          nakamoto: { atLeast: 2, atMost: 2 },
          rewardShare: [{ prover: "prover-1", atLeast: 0.5, atMost: 0.5 }],
        },
        events,
      ),
    ).toEqual([]);
  });

  it("fail when prover-3 is slashed twice and the scenario expects it once", () => {
    const events = [...finalizedRun(), slash("prover-3", "missed", 4_000), slash("prover-3", "missed", 5_000, 1)];
    expect(check({ slashed: [{ prover: "prover-3", times: 1 }] }, events)).toEqual(["expect.slashed[0]: prover-3 slashed 2 times, expected exactly 1"]);
    expect(check({ slashed: [{ prover: "prover-3", times: { atMost: 1 }, reason: "missed" }] }, events)).toEqual([
      "expect.slashed[0]: prover-3 slashed 2 times for missed, expected at most 1",
    ]);
    expect(check({ slashed: [{ prover: "prover-3", reason: "invalid" }] }, events)).toEqual(["expect.slashed[0]: prover-3 slashed 0 times for invalid, expected at least 1"]);
  });

  it("name the slashes of a prover expected not to be slashed", () => {
    const events = [...finalizedRun(), slash("prover-2", "invalid", 4_000, 1)];
    expect(check({ notSlashed: ["prover-1", "prover-2"] }, events)).toEqual(["expect.notSlashed[1]: prover-2 slashed 1 time: invalid at block 1 node 0/0"]);
  });

  it("say which blocks did not finalize, and why", () => {
    const events = [
      ev("BlockProposed", 0, { block: 0, slot: 0, txCount: 4, fees: 1n }),
      ev("BlockProposed", 1_000, { block: 1, slot: 1, txCount: 4, fees: 1n }),
      ev("BlockReorgedOut", 9_000, { block: 0, reason: "proving-window-expired" }),
    ];
    expect(check({ allFinalized: true }, events)).toEqual([
      "expect.allFinalized: block 0 reorged out (proving-window-expired), block 1 not finalized by the end of the run",
    ]);
    expect(check({ allFinalized: true }, events.slice(0, 1))).toEqual(["expect.allFinalized: 1 of 2 blocks proposed, block 0 not finalized by the end of the run"]);
  });

  it("measure finality in slots from the proposal", () => {
    expect(check({ finalizedWithinSlots: 4 }, finalizedRun())).toEqual([
      "expect.finalizedWithinSlots: expected every block finalized within 4 slots of its proposal: block 1 after 5.00 slots",
    ]);
  });

  it("count takeovers by step, rejections by reason and prover, and dead letters by topic", () => {
    const events = [
      ...finalizedRun(),
      ev("TakeoverOpened", 3_000, { ...node(1), from: "prover-3", to: "prover-4", step: "sibling" }),
      ev("ProofRejected", 3_500, { ...node(1), prover: "prover-2", reason: "wrong-public-input" }),
      ev("ProofRejected", 3_600, { ...node(1), prover: "prover-4", reason: "duplicate" }),
    ];
    expect(check({ takeovers: [{ step: "open", atLeast: 1 }] }, events)).toEqual(["expect.takeovers: 0 takeovers at step open, expected at least 1"]);
    expect(check({ takeovers: [{ atMost: 0 }, { step: "sibling", atLeast: 2 }] }, events)).toEqual([
      "expect.takeovers[0]: 1 takeover, expected at most 0",
      "expect.takeovers[1]: 1 takeover at step sibling, expected at least 2",
    ]);
    expect(check({ rejected: [{ reason: "bad-signature", atLeast: 1 }] }, events)).toEqual(["expect.rejected: 0 proofs rejected for bad-signature, expected at least 1"]);
    expect(check({ rejected: [{ prover: "prover-2", atLeast: 2, atMost: 2 }] }, events)).toEqual(["expect.rejected: 1 proof rejected of prover-2, expected exactly 2"]);
    const dlq = [{ topic: "proving.proofs.dlq" }, { topic: "l2.blocks.dlq" }];
    expect(check({ dlq: { atLeast: 1 } }, events, dlq)).toEqual([]);
    expect(check({ dlq: { topic: "proving.proofs", atLeast: 2 } }, events, dlq)).toEqual(["expect.dlq: 1 dead-letter record on proving.proofs.dlq, expected at least 2"]);
    expect(check({ dlq: { atLeast: 1 } }, events)).toEqual(["expect.dlq: 0 dead-letter records, expected at least 1"]);
  });

  it("read the reward spread over every prover of the network, idle ones included", () => {
    // prover-1 earns everything: Gini (n - 1)/n = 0.75 over four provers, Nakamoto 1.
    const events = [...finalizedRun(), reward("prover-1", 300n), ev("UncleRewardPaid", 4_000, { prover: "prover-1", amount: 100n, ...node(0) })];
    expect(check({ rewardGini: { atMost: 0.5 } }, events)).toEqual(["expect.rewardGini: reward Gini 0.750, expected at most 0.5"]);
    expect(check({ nakamoto: { atLeast: 2 } }, events)).toEqual(["expect.nakamoto: Nakamoto coefficient 1, expected at least 2"]);
    expect(check({ rewardShare: [{ prover: "prover-2", atLeast: 0.25 }] }, events)).toEqual(["expect.rewardShare[0]: prover-2 earned 0.0% of 400 paid, expected at least 25%"]);
    expect(check({ uncles: { atMost: 0 } }, events)).toEqual(["expect.uncles: 1 uncle reward paid, expected at most 0"]);
  });

  it("count a redelivered event once", () => {
    const s = slash("prover-3", "missed", 4_000);
    expect(check({ slashed: [{ prover: "prover-3", times: 1 }] }, [...finalizedRun(), s, s])).toEqual([]);
  });

  it("describe bounds in words", () => {
    expect([describeBounds({ atLeast: 1 }), describeBounds({ atMost: 2 }), describeBounds({ atLeast: 1, atMost: 3 }), describeBounds({ atLeast: 2, atMost: 2 })]).toEqual([
      "at least 1",
      "at most 2",
      "from 1 to 3",
      "exactly 2",
    ]);
  });
});
