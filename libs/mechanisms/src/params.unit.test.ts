import type { Epoch, Slot } from "@zk-testnet/protocol";
import { Either } from "effect";
import { describe, expect, it } from "vitest";
import { DEFAULT_PROTOCOL_PARAMS, epochOf, epochStartSlot, makeParams, nodeDeadlineMs, provingWindowSlots, validateParams, type ProtocolParams } from "./params.ts";

const issuesOf = (result: ReturnType<typeof validateParams>) => Either.match(result, { onLeft: (e) => e.issues, onRight: () => [] });

describe("ProtocolParams", () => {
  it("has PROTOCOL.md's defaults", () => {
    expect(DEFAULT_PROTOCOL_PARAMS).toMatchObject({
      slotMs: 2_000,
      epochSlots: 8,
      txPerBlock: 8,
      leafDeadlineSlots: 3,
      mergeDeadlineSlots: 2,
      minProvingTimeMs: 0,
      provingWindowEpochs: 4,
      weighting: "stake",
      takeoverPaid: false,
      slashMissedBps: 1_000,
      slashInvalidBps: 5_000,
      bountyBps: 5_000,
      uncleRewardBps: 5_000,
      leafWeight: 1,
      mergeWeight: 1,
      proverShareBps: 10_000,
    });
    expect(Either.isRight(validateParams(DEFAULT_PROTOCOL_PARAMS))).toBe(true);
  });

  it("derives deadlines, epochs and the proving window", () => {
    const p = DEFAULT_PROTOCOL_PARAMS;
    expect(nodeDeadlineMs(p, 0)).toBe(6_000);
    expect(nodeDeadlineMs(p, 3)).toBe(4_000);
    expect(epochOf(p, 15 as Slot)).toBe(1);
    expect(epochOf(p, 16 as Slot)).toBe(2);
    expect(epochStartSlot(p, 2 as Epoch)).toBe(16);
    expect(provingWindowSlots(p)).toBe(32);
  });
});

describe("validateParams", () => {
  it("reports every bad field at once, by name", () => {
    const bad = { ...DEFAULT_PROTOCOL_PARAMS, slotMs: 0, epochSlots: 2.5, slashMissedBps: 10_001, bountyBps: -1, blockReward: 5, minimumStake: 0n, weighting: "random" } as unknown as ProtocolParams;
    const issues = issuesOf(validateParams(bad));
    expect(issues.map((i) => i.field).sort()).toEqual(["blockReward", "bountyBps", "epochSlots", "minimumStake", "slashMissedBps", "slotMs", "weighting"]);
    expect(issues.find((i) => i.field === "blockReward")?.problem).toBe("must be a bigint ≥ 0, got 5");
  });

  it("names a field that is not a parameter", () => {
    const withTypo = { ...DEFAULT_PROTOCOL_PARAMS, slashMisedBps: 500 } as ProtocolParams;
    expect(issuesOf(validateParams(withTypo))).toEqual([{ field: "slashMisedBps", problem: "is not a protocol parameter" }]);
  });

  it.each([
    ["both weights 0", { leafWeight: 0, mergeWeight: 0 }, "mergeWeight"],
    ["M as long as a deadline", { minProvingTimeMs: 4_000 }, "minProvingTimeMs"],
    ["a window shorter than one leaf-to-root path", { provingWindowEpochs: 1, epochSlots: 4, txPerBlock: 64 }, "provingWindowEpochs"],
  ] as const)("refuses %s", (_name, overrides, field) => {
    expect(issuesOf(makeParams(overrides)).map((i) => i.field)).toEqual([field]);
  });

  it("accepts overrides within range", () => {
    const result = makeParams({ takeoverPaid: true, mergeWeight: 2, weighting: "uniform", minProvingTimeMs: 500 });
    expect(Either.getOrThrow(result)).toMatchObject({ takeoverPaid: true, mergeWeight: 2, weighting: "uniform", slotMs: 2_000 });
  });

  it("gives the error a readable message", () => {
    const message = Either.match(makeParams({ slotMs: -5 }), { onLeft: (e) => e.message, onRight: () => "" });
    expect(message).toBe("invalid protocol parameters: slotMs must be a positive integer, got -5");
  });
});
