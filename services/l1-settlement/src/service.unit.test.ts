import { describe, expect, it } from "@effect/vitest";
import { Clock, Effect, Layer, TestClock } from "effect";
import type { ServiceHandle } from "@zk-testnet/actors";
import { EmbeddedEventLog, EventLog, appendEvent, protocolCodec, protocolTopicSpecs } from "@zk-testnet/event-log";
import { blockPayout, shareOf } from "@zk-testnet/mechanisms";
import {
  blockCorrelationId,
  makeEvent,
  type BlockNumber,
  type EventOf,
  type EventType,
  type Hash,
  type PayloadOf,
  type ProtocolEvent,
  type ProverId,
  type Slot,
  type TxCount,
} from "@zk-testnet/protocol";
import { keyOf, otherHash, proofHashAt, roundRobin, signTree, testNetwork, txHashesOf, type SignedTree, type Tamper } from "./fixtures.ts";
import { checkLedger, runL1Settlement } from "./service.ts";

const network = testNetwork(4, "l1-settlement-service-test");
const provers = network.provers.map((p) => p.id);

let position = 0;
/** Writes an event as another service would, one second after the previous one. */
const write = <T extends EventType>(type: T, source: string, payload: PayloadOf<T>, correlationId = "test") =>
  Effect.gen(function* () {
    yield* TestClock.adjust("1 second");
    const log = yield* EventLog;
    const now = yield* Clock.currentTimeMillis;
    const event = yield* makeEvent({ type, source, causationId: null, position: position++, correlationId, slot: Math.floor(now / 2_000) as Slot, payload });
    yield* appendEvent(log, event as ProtocolEvent);
    return event;
  });

const l1Events = Effect.gen(function* () {
  const log = yield* EventLog;
  return (yield* log.read("l1.events")).flatMap((r) => {
    const decoded = protocolCodec.decode(r.value);
    return decoded._tag === "Right" ? [decoded.right] : [];
  });
});

const ofType = <T extends EventType>(events: readonly ProtocolEvent[], type: T) => events.filter((e): e is EventOf<T> => e.type === type);

/** Lets the subscription deliver what was appended and the service finish every step. */
const settle = (service: Pick<ServiceHandle<never>, "idle">) =>
  Effect.gen(function* () {
    for (let i = 0; i < 5; i++) {
      yield* Effect.repeatN(Effect.yieldNow(), 20);
      yield* service.idle;
    }
  });

type L1Handle = Effect.Effect.Success<ReturnType<typeof runL1Settlement>>;

/** After each input: let the service fold it, then the ledger invariant must hold. */
const step = <A, E>(service: L1Handle, input: Effect.Effect<A, E, EventLog>) =>
  Effect.gen(function* () {
    const written = yield* input;
    yield* settle(service);
    expect(checkLedger((yield* service.snapshot).context)).toEqual([]);
    return written;
  });

const register = (prover: string) =>
  write("RegisterProver", "prover-pool", { prover: prover as never, publicKey: keyOf(network, prover).publicKey, stake: network.provers.find((p) => p.id === prover)?.stake ?? 0n }, "registry");

const propose = (block: number, txCount: number, fees: bigint) =>
  write(
    "BlockProposed",
    "sequencer",
    { block: block as BlockNumber, slot: block as Slot, txCount: txCount as TxCount, fees, txHashes: txHashesOf(block, txCount) },
    blockCorrelationId(block as BlockNumber),
  );

const submit = (tree: SignedTree) =>
  write("SubmitRoot", "aggregator", { block: tree.block, proofHash: tree.proofHash, contributors: tree.contributors, proofs: tree.proofs }, blockCorrelationId(tree.block));

const treeOf = (block: number, txCount: number, tamper?: Tamper) => signTree(network, block, txHashesOf(block, txCount), roundRobin(provers, txCount), tamper);

const flipped = (hex: string) => (hex[0] === "0" ? "1" : "0") + hex.slice(1);
const tampered: readonly Tamper[] = [
  { level: 0, index: 1, resign: false, change: (p) => ({ ...p, signature: flipped(p.signature) as never }) },
  { level: 0, index: 2, resign: true, change: (p) => ({ ...p, publicInput: flipped(p.publicInput) as Hash }) },
  { level: 1, index: 1, resign: true, change: (p) => ({ ...p, childProofHashes: [p.childProofHashes[0] as Hash, flipped(p.childProofHashes[1] as Hash) as Hash] }) },
];

/** Registration, bad trees, a good one, a duplicate, a root before its block, a duplicate registration. */
const scenario = (service: L1Handle) =>
  Effect.gen(function* () {
    for (const p of provers) yield* step(service, register(p));
    yield* step(service, propose(1, 8, 5_000n));
    for (const tamper of tampered) yield* step(service, submit(treeOf(1, 8, tamper)));
    yield* step(service, submit(treeOf(1, 8)));
    yield* step(service, submit(treeOf(1, 8)));
    yield* step(service, submit(treeOf(2, 5)));
    yield* step(service, propose(2, 5, 777n));
    yield* step(service, register(provers[0] as string));
  });

describe("l1-settlement service", () => {
  it.scoped("registers, finalizes valid roots once and pays their split exactly, refuses tampered ones; the ledger holds after every event", () =>
    Effect.gen(function* () {
      const log = yield* EventLog;
      yield* log.createTopics(protocolTopicSpecs);
      const service = yield* runL1Settlement(network);
      yield* scenario(service);

      const events = yield* l1Events;
      expect(ofType(events, "ProverRegistered").map((e) => e.payload.prover)).toEqual(provers);
      expect(ofType(events, "StakeChanged").map((e) => [e.payload.prover, e.payload.delta, e.payload.reason])).toEqual(
        network.provers.map((p) => [p.id, p.stake, "deposit"]),
      );
      const finalized = ofType(events, "BlockFinalized");
      expect(finalized.map((e) => e.payload.block)).toEqual([1, 2]);

      const rewards = ofType(events, "RewardPaid");
      const paidFor = (block: number) => rewards.filter((r) => r.payload.block === block).reduce((s, r) => s + r.payload.amount, 0n);
      expect(paidFor(1)).toBe(blockPayout(5_000n, network.params).distributed);
      expect(paidFor(2)).toBe(blockPayout(777n, network.params).distributed);
      expect(rewards.filter((r) => r.payload.block === 1)).toHaveLength(15);
      expect(rewards.filter((r) => r.payload.block === 2)).toHaveLength(5 + 3 + 2 + 1);
      const nodes = rewards.map((r) => `${r.payload.block}/${r.payload.level}/${r.payload.index}`);
      expect(new Set(nodes).size).toBe(nodes.length);
      expect(new Set(events.map((e) => e.id)).size).toBe(events.length);

      const { context } = yield* service.snapshot;
      expect(context.ledger.minted).toBe(paidFor(1) + paidFor(2));
      for (const p of provers) {
        const earned = rewards.filter((r) => r.payload.prover === p).reduce((s, r) => s + r.payload.amount, 0n);
        expect(context.ledger.balances[p]).toBe(earned);
      }
      expect(context.rejections.map((r) => r.reason)).toEqual(["bad-signature", "wrong-public-input", "wrong-children"]);
    }).pipe(Effect.provide(Layer.fresh(EmbeddedEventLog.layer()))),
  );

  it.scoped("a restart replays its inputs to the same state hash and writes nothing new", () =>
    Effect.gen(function* () {
      const log = yield* EventLog;
      yield* log.createTopics(protocolTopicSpecs);
      const live = yield* Effect.scoped(
        Effect.gen(function* () {
          const service = yield* runL1Settlement(network);
          yield* scenario(service);
          return { hash: yield* service.stateHash, events: (yield* l1Events).length };
        }),
      );

      const service = yield* runL1Settlement(network);
      yield* settle(service);
      expect(service.replayed).toBe(provers.length + 2 + tampered.length + 3 + 1);
      expect(yield* service.stateHash).toBe(live.hash);
      expect(checkLedger((yield* service.snapshot).context)).toEqual([]);
      expect(yield* l1Events).toHaveLength(live.events);

      // Still live after the replay: a duplicate root pays nothing, a new block settles.
      yield* step(service, submit(treeOf(1, 8)));
      yield* step(service, propose(3, 2, 10n));
      yield* step(service, submit(treeOf(3, 2)));
      const finalized = ofType(yield* l1Events, "BlockFinalized").map((e) => e.payload.block);
      expect(finalized).toEqual([1, 2, 3]);
    }).pipe(Effect.provide(Layer.fresh(EmbeddedEventLog.layer()))),
  );
});

// The failure path over the event log: the aggregator's statements on proving.assignments,
// receipts and claims on l1.transactions, and the proving window's timer under TestClock.
const [q0, q1, q2, q3] = provers as [ProverId, ProverId, ProverId, ProverId];
const stake = (prover: string) => network.provers.find((p) => p.id === prover)?.stake ?? 0n;
const node = (block: number, level: number, index: number) => ({ block: block as BlockNumber, level: level as never, index: index as never });
const byAggregator = <T extends EventType>(type: T, payload: PayloadOf<T>) => write(type, "aggregator", payload, blockCorrelationId((payload as { block: BlockNumber }).block));
const byProver = <T extends EventType>(type: T, payload: PayloadOf<T>) => write(type, "prover-pool", payload, blockCorrelationId((payload as { block: BlockNumber }).block));
const assigned = (block: number, level: number, index: number, prover: string, deadline: number) =>
  byAggregator("NodeAssigned", { ...node(block, level, index), prover: prover as never, deadline: deadline as never, publicInput: "00".repeat(32) as Hash, childProofHashes: [] });
const missedBy = (block: number, level: number, index: number, prover: string, deadline: number) =>
  byAggregator("NodeDeadlineMissed", { ...node(block, level, index), prover: prover as never, deadline: deadline as never });
const takenBy = (block: number, level: number, index: number, from: string, to: string, deadline: number) =>
  byAggregator("TakeoverOpened", { ...node(block, level, index), from: from as never, to: to as never, step: "sibling", deadline: deadline as never });

// Block 1: four leaves, round-robin (0/0 q0, 0/1 q1, 0/2 q2, 0/3 q3, 1/0 q0, 1/1 q1, 2/0 q0), leaves due at 20 s.
const assignee1 = roundRobin(provers, 4);
const honest1 = treeOf(1, 4);
// q0 took 0/1 over (q1 had posted a receipt), q3 took 0/2 over (q2 had not).
const final1 = signTree(network, 1, txHashesOf(1, 4), (level, index) => (level === 0 && index === 1 ? q0 : level === 0 && index === 2 ? q3 : assignee1(level, index)));

/** Every input of the failure-path run, in order; the proving window of block 2 closes in the middle. */
const failurePath = (service: L1Handle) =>
  Effect.gen(function* () {
    let inputs = 0;
    const input = <A, E>(effect: Effect.Effect<A, E, EventLog>) => {
      inputs++;
      return step(service, effect);
    };
    for (const p of provers) yield* input(register(p));
    yield* input(propose(1, 4, 4_000n));
    for (const [level, index, deadline] of [[0, 0, 20_000], [0, 1, 20_000], [0, 2, 20_000], [0, 3, 20_000], [1, 0, 24_000], [1, 1, 24_000], [2, 0, 28_000]] as const) {
      yield* input(assigned(1, level, index, assignee1(level, index), deadline));
    }
    yield* input(byProver("PostReceipt", { ...node(1, 0, 1), prover: q1 as never, proofHash: proofHashAt(honest1, 0, 1) }));
    // q3 signs a wrong proof of 0/3, then its valid one is accepted, then it equivocates: one slash.
    yield* input(byAggregator("ProofRejected", { ...node(1, 0, 3), prover: q3 as never, proofHash: otherHash(proofHashAt(honest1, 0, 3)), reason: "wrong-public-input" }));
    yield* input(byAggregator("ProofAccepted", { ...node(1, 0, 3), prover: q3 as never, proofHash: proofHashAt(honest1, 0, 3) }));
    yield* input(byAggregator("ProofRejected", { ...node(1, 0, 3), prover: q3 as never, proofHash: otherHash(proofHashAt(honest1, 0, 3), "twin"), reason: "duplicate" }));
    yield* TestClock.setTime(19_500);
    yield* input(missedBy(1, 0, 1, q1, 20_000));
    yield* input(missedBy(1, 0, 2, q2, 20_000));
    yield* input(takenBy(1, 0, 1, q1, q0, 26_000));
    yield* input(assigned(1, 0, 1, q0, 26_000));
    yield* input(takenBy(1, 0, 2, q2, q3, 26_000));
    yield* input(assigned(1, 0, 2, q3, 26_000));
    yield* input(submit(final1));
    yield* input(byProver("ClaimUncle", { ...node(1, 0, 1), prover: q1 as never, proofHash: proofHashAt(honest1, 0, 1) }));
    yield* input(byProver("ClaimUncle", { ...node(1, 0, 1), prover: q1 as never, proofHash: proofHashAt(honest1, 0, 1) }));
    // Block 2 is never proven: q0 misses its leaf, and the window closes.
    const proposed = yield* input(propose(2, 2, 50n));
    yield* input(assigned(2, 0, 0, q0, proposed.time + 6_000));
    yield* TestClock.setTime(proposed.time + 7_000);
    yield* input(missedBy(2, 0, 0, q0, proposed.time + 6_000));
    yield* TestClock.setTime(proposed.time + network.params.provingWindowEpochs * network.params.epochSlots * network.params.slotMs + 500);
    yield* settle(service);
    expect(checkLedger((yield* service.snapshot).context)).toEqual([]);
    yield* input(submit(treeOf(2, 2)));
    return inputs;
  });

/** [epoch, eligible]: genesis is 0, so epoch 0 starts before the first registration; q3 is ejected from epoch 1 on. */
const EPOCHS_STARTED: readonly (readonly [number, number])[] = [
  [0, 0],
  [1, 3],
  [2, 3],
  [3, 3],
  [4, 3],
  [5, 3],
];

describe("l1-settlement service: the failure path", () => {
  it.scoped("slashes misses and invalid proofs once, pays bounties and uncles, ejects, reorgs out an unproven block; a restart replays to the same state hash", () =>
    Effect.gen(function* () {
      const log = yield* EventLog;
      yield* log.createTopics(protocolTopicSpecs);
      const live = yield* Effect.scoped(
        Effect.gen(function* () {
          const service = yield* runL1Settlement(network);
          const inputs = yield* failurePath(service);
          return { inputs, hash: yield* service.stateHash, context: (yield* service.snapshot).context };
        }),
      );
      const events = yield* l1Events;
      // The epochs the inputs' times cross, each started once, in order (the registry closes at each).
      expect(ofType(events, "EpochStarted").map((e) => [e.payload.epoch, e.payload.eligible])).toEqual(EPOCHS_STARTED);
      const told = events.filter((e) => e.type !== "EpochStarted").slice(2 * provers.length);
      expect(told.map((e) => e.type)).toEqual([
        "ProverSlashed", // q3: signed a wrong proof
        "StakeChanged",
        "ProverEjected", // q3, below the minimum at the start of epoch 1
        "StakeChanged", // q2 missed 0/2: its stake goes to escrow (q1 had a receipt)
        "BlockFinalized",
        ...Array.from({ length: 5 }, () => "RewardPaid"), // 0/1 and 0/2 were taken over: withheld
        "ProverSlashed", // q2's escrow: bounty to q3, the rest burned
        "UncleRewardPaid", // q1, once
        "StakeChanged", // q0 missed its leaf of block 2
        "BlockReorgedOut",
        "ProverSlashed", // q0's escrow, all burned
      ]);
      const invalid = shareOf(stake(q3), network.params.slashInvalidBps);
      const missed2 = shareOf(stake(q2), network.params.slashMissedBps);
      const missed0 = shareOf(stake(q0), network.params.slashMissedBps);
      const bounty = shareOf(missed2, network.params.bountyBps);
      const slashes = ofType(events, "ProverSlashed").map((e) => e.payload);
      expect(slashes.map((p) => [p.prover, p.reason, p.block, p.level, p.index, p.amount, p.bounty])).toEqual([
        [q3, "invalid", 1, 0, 3, invalid, undefined],
        [q2, "missed", 1, 0, 2, missed2, { prover: q3, amount: bounty }],
        [q0, "missed", 2, 0, 0, missed0, undefined],
      ]);
      for (const slash of slashes) expect(slash.evidence.length).toBeGreaterThan(0);
      expect(ofType(events, "ProverEjected").map((e) => [e.payload.prover, e.payload.epoch, e.payload.stake])).toEqual([[q3, 1, stake(q3) - invalid]]);
      const nodeReward = blockPayout(4_000n, network.params).distributed / 7n;
      expect(ofType(events, "UncleRewardPaid").map((e) => e.payload)).toEqual([{ block: 1, prover: q1, amount: shareOf(nodeReward, network.params.uncleRewardBps), level: 0, index: 1 }]);
      expect(ofType(events, "BlockFinalized").map((e) => e.payload.block)).toEqual([1]);
      expect(ofType(events, "BlockReorgedOut").map((e) => e.payload)).toEqual([{ block: 2, slot: expect.any(Number), reason: "proving-window-expired" }]);
      expect(new Set(events.map((e) => e.id)).size).toBe(events.length);

      expect(live.context.ledger.burned).toBe(invalid + missed2 - bounty + missed0);
      expect(live.context.held).toEqual({});
      expect(live.context.reorged["2"]).toBeDefined();

      // A restart folds every input and its own BlockReorgedOut, runs nothing, and agrees.
      const service = yield* runL1Settlement(network);
      yield* settle(service);
      expect(service.replayed).toBe(live.inputs + 1);
      expect(yield* service.stateHash).toBe(live.hash);
      expect(checkLedger((yield* service.snapshot).context)).toEqual([]);
      expect(yield* l1Events).toHaveLength(events.length);
    }).pipe(Effect.provide(Layer.fresh(EmbeddedEventLog.layer()))),
  );

  it.scoped("a restart while a block is pending re-arms its proving window and reorgs it out on time, once", () =>
    Effect.gen(function* () {
      const log = yield* EventLog;
      yield* log.createTopics(protocolTopicSpecs);
      const windowMs = network.params.provingWindowEpochs * network.params.epochSlots * network.params.slotMs;
      const proposed = yield* Effect.scoped(
        Effect.gen(function* () {
          const service = yield* runL1Settlement(network);
          for (const p of provers) yield* step(service, register(p));
          return yield* step(service, propose(1, 2, 10n));
        }),
      );
      const service = yield* runL1Settlement(network);
      yield* settle(service);
      yield* TestClock.setTime(proposed.time + windowMs - 1);
      yield* settle(service);
      expect(ofType(yield* l1Events, "BlockReorgedOut")).toHaveLength(0);
      yield* TestClock.adjust(2);
      yield* settle(service);
      expect(ofType(yield* l1Events, "BlockReorgedOut").map((e) => e.payload)).toEqual([{ block: 1, slot: expect.any(Number), reason: "proving-window-expired" }]);
      const hash = yield* service.stateHash;

      const again = yield* runL1Settlement(network);
      yield* settle(again);
      expect(yield* again.stateHash).toBe(hash);
      expect(ofType(yield* l1Events, "BlockReorgedOut")).toHaveLength(1);
    }).pipe(Effect.provide(Layer.fresh(EmbeddedEventLog.layer()))),
  );
});
