import { Either } from "effect";
import { describe, expect, it } from "vitest";
import { provingWindowSlots } from "@zk-testnet/mechanisms";
import { encodeEvent, topicOf, type BlockNumber, type ProtocolEvent, type Slot } from "@zk-testnet/protocol";
import { checkInvariants, checkJsonl } from "./check.ts";
import { readJsonl } from "./jsonl.ts";
import { formatReport } from "./report.ts";
import { nth, RunBuilder, testNetwork } from "./testing.ts";

// Invariants 5 and 6, and reading a run from its JSONL export.

const network = testNetwork();
const windowMs = provingWindowSlots(network.params) * network.params.slotMs;

/** Block 0 proven up to its root but never submitted; the run goes on until `endTime`. */
const stalledRun = (endTime: number) => {
  const run = new RunBuilder(network).genesis();
  const block = run.block(0, { finalize: false });
  run.beacon(99, endTime);
  return { run, block };
};

describe("invariant 5: liveness", () => {
  it("reports a block not finalized within its window while every sibling group kept an honest prover", () => {
    const { run, block } = stalledRun(windowMs + 1_000);
    const report = checkInvariants({ network, events: run.events });
    expect(report.violations.map((v) => [v.invariant, v.rule, v.events])).toEqual([[5, "not-finalized-in-window", [block.proposed.id]]]);
    expect(nth(report.violations, 0).message).toContain("still not finalized when the run ended");
  });

  it("names the reorg when the block was reorged out", () => {
    const run = new RunBuilder(network).genesis();
    const block = run.block(0, { finalize: false });
    const reorg = run.event("BlockReorgedOut", { block: 0 as BlockNumber, slot: 32 as Slot, reason: "proving-window-expired" }, windowMs, "l1-settlement");
    const report = checkInvariants({ network, events: run.events });
    expect(report.violations.map((v) => [v.rule, v.events])).toEqual([["not-finalized-in-window", [block.proposed.id, reorg.id]]]);
  });

  it("reports a block finalized after its window", () => {
    const run = new RunBuilder(network).genesis();
    const block = run.block(0, { finalize: false });
    const late = run.event("BlockFinalized", { block: 0 as BlockNumber, slot: 40 as Slot }, windowMs + 1, "l1-settlement");
    // The late finalization has no root behind it either (invariant 1).
    const report = checkInvariants({ network, events: run.events });
    expect(report.violations.map((v) => [v.invariant, v.rule, v.events])).toEqual([
      [1, "no-root-submitted", [late.id]],
      [5, "not-finalized-in-window", [block.proposed.id, late.id]],
    ]);
  });

  it("does not check a block whose window saw a testnet service down, and a forged proof leaves its prover honest", () => {
    const { run, block } = stalledRun(windowMs + 1_000);
    const holder = nth(block.assigned.get("0/0") ?? [], 0).payload.prover;
    // A proof forged in a prover's name is done to it: the block is still checked.
    run.event("FaultInjected", { fault: "forge", target: holder, params: {} }, 1_000, "orchestrator");
    expect(checkInvariants({ network, events: run.events }).violations.map((v) => v.rule)).toEqual(["not-finalized-in-window"]);
    // The aggregator down for a while in the window: liveness is not the provers' to keep.
    run.event("FaultInjected", { fault: "crash", target: "aggregator", params: {} }, 1_500, "orchestrator");
    run.event("FaultHealed", { fault: "crash", target: "aggregator" }, 2_500, "orchestrator");
    const report = checkInvariants({ network, events: run.events });
    expect(report.violations).toEqual([]);
    expect(report.liveness.unchecked.map((u) => u.block)).toEqual([0]);
  });

  it("counts a block whose window is still open at the end of the run as pending", () => {
    const { run } = stalledRun(windowMs - 1);
    const report = checkInvariants({ network, events: run.events });
    expect(report.violations).toEqual([]);
    expect(report.liveness.pending).toEqual([0]);
  });

  it("does not check a block with a sibling group whose provers were all faulted in its window", () => {
    const { run, block } = stalledRun(windowMs + 1_000);
    const group = new Set([0, 1].map((i) => nth(block.assigned.get(`0/${i}`) ?? [], 0).payload.prover));
    for (const prover of group) run.fault("hang", prover, 1_000);
    const report = checkInvariants({ network, events: run.events });
    expect(report.violations).toEqual([]);
    expect(report.liveness.unchecked.map((u) => u.block)).toEqual([0]);
    expect(nth(report.liveness.unchecked, 0).reason).toContain("children of 0/1/0");
    expect(formatReport(report)).toContain("liveness not checked for 1 block(s)");
  });

  it("checks a block whose provers' faults were healed before its window opened", () => {
    const run = new RunBuilder(network).genesis();
    for (const prover of network.provers) {
      run.fault("hang", prover.id, 0);
      run.event("FaultHealed", { fault: "hang", target: prover.id }, 1_000, "orchestrator");
    }
    const block = run.block(2, { finalize: false });
    run.beacon(99, block.proposed.time + windowMs + 1_000);
    const report = checkInvariants({ network, events: run.events });
    expect(report.liveness.unchecked).toEqual([]);
    expect(report.violations.map((v) => [v.rule, v.events])).toEqual([["not-finalized-in-window", [block.proposed.id]]]);
  });
});

describe("invariant 6: replay", () => {
  it("reports every service whose replayed state differs from the live one", () => {
    const { run } = stalledRun(1_000);
    const report = checkInvariants({
      network,
      events: run.events,
      replayCheck: () => [
        { service: "sequencer", live: "aa", replayed: "aa" },
        { service: "l1-settlement", live: "bb", replayed: "cc" },
      ],
    });
    expect(report.violations.map((v) => [v.invariant, v.rule, v.events])).toEqual([[6, "replay-mismatch", []]]);
    expect(nth(report.violations, 0).message).toContain("l1-settlement");
    expect(report.replayed).toEqual(["sequencer", "l1-settlement"]);
  });

  it("reports a replay that could not run", () => {
    const report = checkInvariants({
      network,
      events: [],
      replayCheck: () => {
        throw new Error("no snapshot");
      },
    });
    expect(report.violations.map((v) => [v.rule, v.message])).toEqual([["replay-failed", "the replay could not be run: no snapshot"]]);
  });
});

/** A JSONL export of events as the event log writes it: per topic, offsets from 0. */
const exportOf = (events: readonly ProtocolEvent[]): string[] => {
  const offsets = new Map<string, number>();
  return events.map((event) => {
    const topic = topicOf[event.type];
    const offset = offsets.get(topic) ?? 0;
    offsets.set(topic, offset + 1);
    return JSON.stringify({ topic, partition: 0, offset, key: event.key, event: JSON.parse(encodeEvent(event)) });
  });
};

describe("checkJsonl", () => {
  it("reads an export in any line order, skipping raw records and dead-letter topics", () => {
    const run = new RunBuilder(network).genesis();
    run.block(0);
    const paid = nth(run.block(1).rewards, 0);
    const again = run.event("RewardPaid", paid.payload, paid.time + 1, "l1-settlement");
    const lines = exportOf(run.events);
    lines.push(JSON.stringify({ topic: "proving.proofs", partition: 1, offset: 0, key: "1", raw: Buffer.from("{not json").toString("base64") }));
    lines.push(JSON.stringify({ topic: "l1.events.dlq", partition: 0, offset: 0, key: "x", event: { reason: "schema-violation" } }));
    lines.push(JSON.stringify({ topic: "l1.events", partition: 0, offset: 999, key: "x", event: { type: "Nope" } }));
    const shuffled = [...lines].reverse().join("\n");

    const read = Either.getOrThrow(readJsonl(shuffled));
    expect(read.records).toBe(lines.length);
    expect(read.skipped.map((s) => s.reason).sort()).toEqual(["dlq", "raw", "unknown-type"]);

    const report = Either.getOrThrow(checkJsonl(shuffled, network));
    expect(report.violations.filter((v) => v.invariant === 2).map((v) => v.events)).toEqual([[paid.id, again.id]]);
    expect(report.run.finalized).toBe(2);
    expect(formatReport(report)).toContain("3 records skipped");
  });

  it("refuses a line that is not an export record", () => {
    const result = checkJsonl('{"topic":"l2.blocks"}\n', network);
    expect(Either.isLeft(result) && result.left.line).toBe(1);
  });
});
