import { describe, expect, it } from "@effect/vitest";
import { Clock, Effect, Layer, TestClock } from "effect";
import type { ServiceHandle } from "@zk-testnet/actors";
import { EmbeddedEventLog, EventLog, appendEvent, protocolCodec, protocolTopicSpecs } from "@zk-testnet/event-log";
import { blockPayout } from "@zk-testnet/mechanisms";
import {
  blockCorrelationId,
  makeEvent,
  type BlockNumber,
  type EventOf,
  type EventType,
  type Hash,
  type PayloadOf,
  type ProtocolEvent,
  type Slot,
  type TxCount,
} from "@zk-testnet/protocol";
import { keyOf, roundRobin, signTree, testNetwork, txHashesOf, type SignedTree, type Tamper } from "./fixtures.ts";
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
