import { createHash } from "node:crypto";
import { Either } from "effect";
import { describe, expect, it } from "vitest";
import { initialTransition, transition, type SnapshotFrom } from "xstate";
import type { PublishParams, ScheduleParams } from "@zk-testnet/actors";
import { makeNetwork, slotStart, type NetworkConfig } from "@zk-testnet/network";
import { eventId, recordKey, type EventOf, type EventType, type ProtocolEvent, type Timestamp } from "@zk-testnet/protocol";
import { blockDraft, sequencerMachine, type SequencerEvent } from "./machine.ts";
import { sequencerInput } from "./service.ts";
import { blockTransactions, MAX_TX_FEE, MIN_TX_FEE, transactionText } from "./transactions.ts";

const network = (slots = 0, txPerBlock = 8): NetworkConfig =>
  Either.getOrThrow(makeNetwork({ seed: "sequencer-machine", genesisMs: 10_000, slots, provers: 4, txPerBlock }));

type Snapshot = SnapshotFrom<typeof sequencerMachine>;
type Action = { readonly type: string; readonly params?: unknown };

const start = (net: NetworkConfig) => initialTransition(sequencerMachine, sequencerInput(net));
const step = (snapshot: Snapshot, event: SequencerEvent) => transition(sequencerMachine, snapshot, event) as [Snapshot, Action[]];
/** The host actions a transition asks for, as (type, params). */
const hostActions = (actions: readonly Action[]) =>
  actions.filter((a) => a.type === "publish" || a.type === "schedule").map((a) => ({ type: a.type, params: a.params }));

/** A protocol event as the log would deliver it. */
const envelope = <T extends EventType>(type: T, source: string, payload: EventOf<T>["payload"], slot: number, time: number): ProtocolEvent =>
  ({
    id: eventId(source, null, time),
    type,
    version: 1,
    source,
    key: recordKey({ type, payload } as Parameters<typeof recordKey>[0]),
    causationId: null,
    correlationId: `block-${(payload as { block?: number }).block ?? 0}`,
    slot,
    time: time as Timestamp,
    payload,
  }) as unknown as ProtocolEvent;

const proposed = (net: NetworkConfig, block: number): SequencerEvent => {
  const draft = blockDraft(sequencerInput(net), block);
  return { type: "input", event: envelope("BlockProposed", "sequencer", draft.payload, block, slotStart(net, block)) };
};

const foldAll = (snapshot: Snapshot, events: readonly SequencerEvent[]): Snapshot => events.reduce((s, e) => step(s, e)[0], snapshot);

describe("sequencer machine", () => {
  it("given nothing, when started, arms the tick of slot 0 at genesis", () => {
    const net = network();
    const [initial, entry] = start(net);
    expect(initial.value).toBe("proposing");
    expect(initial.context).toMatchObject({ nextSlot: 0, feesProposed: 0n, finalized: 0 });
    expect(hostActions(entry)).toEqual([]);

    const [, actions] = step(initial, { type: "host.started", now: 0 });
    expect(hostActions(actions)).toEqual([{ type: "schedule", params: { id: "tick:0", at: 10_000, event: { type: "tick", slot: 0 } } }]);
  });

  it("when a slot's tick fires, proposes block = slot with T seeded transactions and arms the next slot", () => {
    const net = network();
    const [after, actions] = step(start(net)[0], { type: "tick", slot: 0 });
    const [publish, schedule] = hostActions(actions);
    expect(publish?.type).toBe("publish");
    const [draft] = (publish?.params as PublishParams).events;
    const batch = blockTransactions(net.seed, 0, 8);
    expect(draft).toEqual({
      type: "BlockProposed",
      correlationId: "block-0",
      slot: 0,
      payload: { block: 0, slot: 0, txCount: 8, fees: batch.fees, txHashes: batch.txHashes },
    });
    expect(schedule).toEqual({ type: "schedule", params: { id: "tick:1", at: slotStart(net, 1), event: { type: "tick", slot: 1 } } satisfies ScheduleParams });
    expect(after.context).toMatchObject({ nextSlot: 1, feesProposed: batch.fees });
  });

  it("never proposes a slot twice: a repeated, stale or early tick does nothing", () => {
    const net = network();
    const [one] = step(start(net)[0], { type: "tick", slot: 0 });
    for (const slot of [0, 2, 7]) {
      const [again, actions] = step(one, { type: "tick", slot });
      expect(hostActions(actions)).toEqual([]);
      expect(again.context).toEqual(one.context);
    }
  });

  it("folds its own BlockProposed idempotently, and after a replay arms the next slot not yet proposed", () => {
    const net = network();
    const replayed = foldAll(start(net)[0], [0, 1, 2].map((b) => proposed(net, b)));
    expect(replayed.context.nextSlot).toBe(3);
    const fees = [0, 1, 2].reduce((sum, b) => sum + blockTransactions(net.seed, b, 8).fees, 0n);
    expect(replayed.context.feesProposed).toBe(fees);

    // A block coming back again (redelivery, or the echo of what it just published) changes nothing.
    const [echoed, echoActions] = step(replayed, proposed(net, 1));
    expect(echoed.context).toEqual(replayed.context);
    expect(hostActions(echoActions)).toEqual([]);
    const [live] = step(start(net)[0], { type: "tick", slot: 0 });
    expect(step(live, proposed(net, 0))[0].context).toEqual(live.context);

    const [, actions] = step(replayed, { type: "host.started", now: 99_999 });
    expect(hostActions(actions)).toEqual([{ type: "schedule", params: { id: "tick:3", at: slotStart(net, 3), event: { type: "tick", slot: 3 } } }]);
  });

  it("a proposal of its own read back after the start (made just before it went down) arms the slot after it: the tick armed at start is stale", () => {
    const net = network(4);
    // Went down right after proposing block 1; only block 0 was committed, so the replay stops there.
    const replayed = foldAll(start(net)[0], [proposed(net, 0)]);
    const [started, startActions] = step(replayed, { type: "host.started", now: slotStart(net, 3) });
    expect(hostActions(startActions)).toEqual([{ type: "schedule", params: { id: "tick:1", at: slotStart(net, 1), event: { type: "tick", slot: 1 } } }]);
    const [caughtUp, actions] = step(started, proposed(net, 1));
    expect(caughtUp.context.nextSlot).toBe(2);
    expect(hostActions(actions)).toEqual([{ type: "schedule", params: { id: "tick:2", at: slotStart(net, 2), event: { type: "tick", slot: 2 } } }]);
    // The stale tick does nothing; the new one proposes slot 2 and arms slot 3.
    expect(hostActions(step(caughtUp, { type: "tick", slot: 1 })[1])).toEqual([]);
    const [, tickActions] = step(caughtUp, { type: "tick", slot: 2 });
    expect(hostActions(tickActions).map((a) => a.type)).toEqual(["publish", "schedule"]);
  });

  it("a live proposal and the replay of its event give the same state", () => {
    const net = network();
    const live = [0, 1, 2].reduce((s, slot) => step(s, { type: "tick", slot })[0], start(net)[0]);
    const replayed = foldAll(start(net)[0], [0, 1, 2].map((b) => proposed(net, b)));
    expect(replayed.context).toEqual(live.context);
    expect(replayed.value).toEqual(live.value);
  });

  it("stops after network.slots blocks: the last tick arms nothing, and neither does a restart", () => {
    const net = network(2);
    const [first, firstActions] = step(start(net)[0], { type: "tick", slot: 0 });
    expect(hostActions(firstActions).map((a) => a.type)).toEqual(["publish", "schedule"]);
    const [last, lastActions] = step(first, { type: "tick", slot: 1 });
    expect(hostActions(lastActions).map((a) => a.type)).toEqual(["publish"]);
    expect(last.value).toBe("finished");
    expect(hostActions(step(last, { type: "host.started", now: 0 })[1])).toEqual([]);
    expect(hostActions(step(last, { type: "tick", slot: 2 })[1])).toEqual([]);

    const replayed = foldAll(start(net)[0], [proposed(net, 0), proposed(net, 1)]);
    expect(replayed.value).toBe("finished");
  });

  it("counts BlockFinalized for statistics and ignores every other event", () => {
    const net = network();
    const finalized = (block: number): SequencerEvent => ({ type: "input", event: envelope("BlockFinalized", "l1-settlement", { block, slot: block + 3 } as never, block + 3, 50_000 + block) });
    const [initial] = start(net);
    const counted = foldAll(initial, [finalized(0), finalized(1)]);
    expect(counted.context).toMatchObject({ finalized: 2, lastFinalized: 1, nextSlot: 0 });

    const stake: SequencerEvent = { type: "input", event: envelope("StakeChanged", "l1-settlement", { prover: "prover-1", delta: 5n, stake: 5n, reason: "deposit" } as never, 0, 1) };
    const [same, actions] = step(counted, stake);
    expect(same.context).toEqual(counted.context);
    expect(hostActions(actions)).toEqual([]);
    expect(step(counted, { type: "host.actorFailed", id: "x", actor: "y", message: "z" })[0].context).toEqual(counted.context);
  });
});

describe("sequencer machine: re-proposing reorged-out blocks", () => {
  const net = network();
  const slotMs = net.params.slotMs;
  const reorged = (block: number, time: number, id = time): SequencerEvent => ({
    type: "input",
    event: { ...envelope("BlockReorgedOut", "l1-settlement", { block, slot: Math.floor((time - 10_000) / slotMs), reason: "proving-window-expired" } as never, 0, time), id: eventId("l1-settlement", null, id) } as ProtocolEvent,
  });
  const tick = (slot: number): SequencerEvent => ({ type: "tick", slot });
  const proposals = (actions: readonly Action[]) =>
    hostActions(actions)
      .filter((a) => a.type === "publish")
      .flatMap((a) => (a.params as PublishParams).events as readonly { readonly payload: { block: number; txHashes: readonly string[]; fees: bigint; txCount: number } }[])
      .map((e) => e.payload);
  /** Runs ticks and inputs live, returning the state and every block published. */
  const live = (events: readonly SequencerEvent[]) => {
    let state = start(net)[0];
    const blocks: { block: number; txHashes: readonly string[]; fees: bigint; txCount: number }[] = [];
    for (const event of events) {
      const [next, actions] = step(state, event);
      state = next;
      blocks.push(...proposals(actions));
    }
    return { state, blocks };
  };
  /** The replay of a live run: its own blocks (at their slot's start) and the reorgs, in time order, blocks first at equal times. */
  const replay = (blocks: readonly { block: number; txHashes: readonly string[]; fees: bigint; txCount: number }[], reorgs: readonly [SequencerEvent, number][]) => {
    const fromLog: [SequencerEvent, number, number][] = [
      ...blocks.map((b): [SequencerEvent, number, number] => [
        { type: "input", event: envelope("BlockProposed", "sequencer", { ...b, slot: b.block } as never, b.block, slotStart(net, b.block)) },
        slotStart(net, b.block),
        0,
      ]),
      ...reorgs.map(([e, time]): [SequencerEvent, number, number] => [e, time, 1]),
    ];
    fromLog.sort((a, b) => a[1] - b[1] || a[2] - b[2]);
    return foldAll(start(net)[0], fromLog.map(([e]) => e));
  };
  const batch = (block: number) => blockTransactions(net.seed, block, 8);

  it("the first block of a slot after the reorg carries the reorged block's transactions (same hashes and fees) instead of fresh ones, once", () => {
    const t = slotStart(net, 3) + 700;
    const run = live([tick(0), tick(1), tick(2), tick(3), reorged(1, t), tick(4), tick(5), reorged(1, t + 1, 99)]);
    expect(run.blocks.map((b) => b.block)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(run.blocks[4]).toEqual({ block: 4, slot: 4, txCount: 8, fees: batch(1).fees, txHashes: batch(1).txHashes });
    expect(run.blocks[5]?.txHashes).toEqual(batch(5).txHashes);
    expect(run.state.context).toMatchObject({ nextSlot: 6, reproposals: [], carried: { "4": 1 }, reorged: [1] });
    expect(run.state.context.feesProposed).toBe([0, 1, 2, 3, 1, 5].reduce((sum, b) => sum + batch(b).fees, 0n));
    // A second report of the same block, or one of a block never proposed, changes nothing.
    const [again] = step(run.state, reorged(1, t + 2, 98));
    expect(again.context).toEqual(run.state.context);
    const [unknown] = step(run.state, reorged(17, t + 2, 97));
    expect(unknown.context).toEqual(run.state.context);
  });

  it("a reorg in the very instant a slot starts goes into the next slot's block, and replays to the same state in either order", () => {
    const t = slotStart(net, 4);
    const reorgFirst = live([tick(0), tick(1), tick(2), tick(3), reorged(2, t), tick(4), tick(5)]);
    const tickFirst = live([tick(0), tick(1), tick(2), tick(3), tick(4), reorged(2, t), tick(5)]);
    expect(reorgFirst.blocks).toEqual(tickFirst.blocks);
    expect(reorgFirst.blocks[4]?.txHashes).toEqual(batch(4).txHashes);
    expect(reorgFirst.blocks[5]?.txHashes).toEqual(batch(2).txHashes);
    expect(reorgFirst.state.context).toEqual(tickFirst.state.context);
    expect(replay(reorgFirst.blocks, [[reorged(2, t), t]]).context).toEqual(reorgFirst.state.context);
  });

  it("replay: the log rebuilds the queue and what each block carries, a waiting re-proposal included", () => {
    const events = [tick(0), tick(1), tick(2), reorged(0, slotStart(net, 2) + 10), reorged(1, slotStart(net, 2) + 20), tick(3)];
    const run = live(events);
    expect(run.blocks[3]?.txHashes).toEqual(batch(0).txHashes);
    expect(run.state.context.reproposals).toEqual([{ block: 1, origin: 1, at: slotStart(net, 2) + 20 }]);
    const replayed = replay(run.blocks, [
      [reorged(0, slotStart(net, 2) + 10), slotStart(net, 2) + 10],
      [reorged(1, slotStart(net, 2) + 20), slotStart(net, 2) + 20],
    ]);
    expect(replayed.context).toEqual(run.state.context);
    // After the restart the waiting one goes into the next block.
    const [, actions] = step(replayed, tick(4));
    expect(proposals(actions)[0]?.txHashes).toEqual(batch(1).txHashes);
  });

  it("a re-proposal block that is reorged out too re-proposes the original transactions again; finality forgets what a block carried", () => {
    const run = live([tick(0), tick(1), reorged(0, slotStart(net, 1) + 5), tick(2), tick(3), reorged(2, slotStart(net, 3) + 5), tick(4)]);
    expect(run.blocks.map((b) => b.txHashes[0])).toEqual([batch(0), batch(1), batch(0), batch(3), batch(0)].map((b) => b.txHashes[0]));
    expect(run.state.context.carried).toEqual({ "4": 0 });
    expect(run.state.context.reorged).toEqual([0, 2]);
    const finalized: SequencerEvent = { type: "input", event: envelope("BlockFinalized", "l1-settlement", { block: 4, slot: 9 } as never, 9, slotStart(net, 9)) };
    expect(step(run.state, finalized)[0].context.carried).toEqual({});
  });
});

describe("block transactions", () => {
  it("depend on (seed, block, T) only: fees in range, fee total = the sum, hashes of the canonical encoding", () => {
    const batch = blockTransactions("s", 4, 8);
    expect(blockTransactions("s", 4, 8)).toEqual(batch);
    expect(blockTransactions("s", 5, 8).txHashes).not.toEqual(batch.txHashes);
    expect(blockTransactions("t", 4, 8).txHashes).not.toEqual(batch.txHashes);
    expect(new Set(batch.txHashes).size).toBe(8);
    expect(batch.fees).toBe(batch.transactions.reduce((sum, tx) => sum + tx.fee, 0n));
    for (const tx of batch.transactions) {
      expect(tx.fee >= BigInt(MIN_TX_FEE) && tx.fee <= BigInt(MAX_TX_FEE)).toBe(true);
      expect(tx.hash).toMatch(/^[0-9a-f]{64}$/);
    }
    // The first transactions of a bigger block are the same: each draws in turn from the block's stream.
    expect(blockTransactions("s", 4, 3).txHashes).toEqual(batch.txHashes.slice(0, 3));
    const text = transactionText(4, 0, batch.transactions[0]?.fee ?? 0n, "00".repeat(32));
    expect(text).toMatch(/^zk-testnet\/tx\/v1\nblock:4\nindex:0\nfee:\d+\nnonce:0{64}\n$/);
    expect(createHash("sha256").update(text).digest("hex")).toMatch(/^[0-9a-f]{64}$/);
  });
});
