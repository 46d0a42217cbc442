import { describe, expect, it } from "@effect/vitest";
import { Clock, Effect, Layer, TestClock } from "effect";
import type { ServiceHandle } from "@zk-testnet/actors";
import { verifyProof } from "@zk-testnet/crypto";
import { EmbeddedEventLog, EventLog, appendEvent, protocolCodec, protocolTopicSpecs } from "@zk-testnet/event-log";
import { DEFAULT_COST_MODEL, makeRng, nodeDeadlineMs, provingDuration } from "@zk-testnet/mechanisms";
import {
  makeEvent,
  proofHash,
  type BlockNumber,
  type EventOf,
  type EventType,
  type Level,
  type NodeIndex,
  type PayloadOf,
  type ProtocolEvent,
  type ProverId,
  type Slot,
  type Timestamp,
} from "@zk-testnet/protocol";
import { hashOf, testNetwork } from "./fixtures.ts";
import { runProverPool } from "./service.ts";

const network = testNetwork(3, "prover-pool-service-test");
const [p1, p2] = network.provers.map((p) => p.id) as [ProverId, ProverId, ProverId];

let position = 0;
/** Writes an event as another service would, at the current (test) Clock time. */
const write = <T extends EventType>(type: T, source: string, payload: PayloadOf<T>) =>
  Effect.gen(function* () {
    const log = yield* EventLog;
    const now = yield* Clock.currentTimeMillis;
    const event = yield* makeEvent({ type, source, causationId: null, position: position++, correlationId: "test", slot: Math.floor(now / 2_000) as Slot, payload });
    yield* appendEvent(log, event as ProtocolEvent);
    return event;
  });

const eventsOf = <T extends EventType>(topic: string, type: T) =>
  Effect.gen(function* () {
    const log = yield* EventLog;
    const records = yield* log.read(topic);
    return records
      .map((r) => protocolCodec.decode(r.value))
      .flatMap((d) => (d._tag === "Right" && d.right.type === type ? [d.right as EventOf<T>] : []));
  });

/** Lets the subscription deliver what was appended and the service finish every step. */
const settle = (service: Pick<ServiceHandle<never>, "idle">) =>
  Effect.gen(function* () {
    for (let i = 0; i < 5; i++) {
      yield* Effect.repeatN(Effect.yieldNow(), 20);
      yield* service.idle;
    }
  });

/** The L1's answer to every registration request (this test plays the L1). */
const confirmRegistrations = Effect.gen(function* () {
  for (const request of yield* eventsOf("l1.transactions", "RegisterProver")) {
    yield* write("ProverRegistered", "l1-settlement", { prover: request.payload.prover, stake: request.payload.stake, publicKey: request.payload.publicKey });
  }
});

const assign = (block: number, index: number, prover: string) =>
  Effect.gen(function* () {
    const now = yield* Clock.currentTimeMillis;
    return yield* write("NodeAssigned", "aggregator", {
      block: block as BlockNumber,
      level: 0 as Level,
      index: index as NodeIndex,
      prover: prover as ProverId,
      deadline: (now + nodeDeadlineMs(network.params, 0)) as Timestamp,
      publicInput: hashOf(100 * block + index + 1),
      childProofHashes: [],
    });
  });

const provingTime = (prover: ProverId, block: number, index: number): number =>
  provingDuration({
    level: 0,
    speed: network.provers.find((p) => p.id === prover)?.speed ?? Number.NaN,
    deadlineMs: nodeDeadlineMs(network.params, 0),
    slotMs: network.params.slotMs,
    params: DEFAULT_COST_MODEL,
    rng: makeRng(network.seed).fork(`prover-pool/${prover}/${block}/0/${index}`),
  });

describe("prover-pool service", () => {
  it.scoped("registers every prover once, proves assigned nodes after the cost model's duration and not before, with signatures that verify", () =>
    Effect.gen(function* () {
      const log = yield* EventLog;
      yield* log.createTopics(protocolTopicSpecs);
      const service = yield* runProverPool(network);
      yield* settle(service);

      const requests = yield* eventsOf("l1.transactions", "RegisterProver");
      expect(requests.map((r) => r.payload.prover)).toEqual(network.provers.map((p) => p.id));
      expect(requests.map((r) => r.payload.stake)).toEqual(network.provers.map((p) => p.stake));
      yield* confirmRegistrations;

      yield* assign(1, 0, p1);
      yield* assign(1, 1, p2);
      yield* assign(1, 2, "someone-else");
      yield* settle(service);

      const [first, second] = [provingTime(p1, 1, 0), provingTime(p2, 1, 1)].sort((a, b) => a - b) as [number, number];
      yield* TestClock.adjust(first - 1);
      yield* settle(service);
      expect(yield* eventsOf("proving.proofs", "ProofSubmitted")).toHaveLength(0);

      yield* TestClock.adjust(1);
      yield* settle(service);
      expect(yield* eventsOf("proving.proofs", "ProofSubmitted")).toHaveLength(1);

      yield* TestClock.adjust(second - first);
      yield* settle(service);
      const proofs = yield* eventsOf("proving.proofs", "ProofSubmitted");
      expect(proofs.map((p) => p.payload.prover).sort()).toEqual([p1, p2].sort());
      for (const proof of proofs) {
        const { signature, proofHash: hash, ...statement } = proof.payload;
        const key = requests.find((r) => r.payload.prover === statement.prover)?.payload.publicKey ?? "";
        expect(verifyProof(key, statement, signature)).toBe(true);
        expect(hash).toBe(proofHash(statement, signature));
        expect(proof.correlationId).toBe("block-1");
        expect(proof.time).toBe(provingTime(statement.prover, 1, statement.index));
      }

      // Nothing more: no second registration, no second proof.
      yield* TestClock.adjust("1 minute");
      yield* settle(service);
      expect(yield* eventsOf("proving.proofs", "ProofSubmitted")).toHaveLength(2);
      expect(yield* eventsOf("l1.transactions", "RegisterProver")).toHaveLength(3);
    }).pipe(Effect.provide(Layer.fresh(EmbeddedEventLog.layer()))),
  );

  it.scoped("regression: a block finalized at the very time of its last proof replays to the same state (causal order of input topics)", () =>
    Effect.gen(function* () {
      const log = yield* EventLog;
      yield* log.createTopics(protocolTopicSpecs);
      const live = yield* Effect.scoped(
        Effect.gen(function* () {
          const service = yield* runProverPool(network);
          yield* settle(service);
          yield* confirmRegistrations;
          yield* assign(3, 0, p1);
          yield* settle(service);
          yield* TestClock.adjust(provingTime(p1, 3, 0));
          yield* settle(service);
          expect(yield* eventsOf("proving.proofs", "ProofSubmitted")).toHaveLength(1);
          // The L1 finalizes the one-node block in the same instant (virtual time does not move).
          yield* write("BlockFinalized", "l1-settlement", { block: 3 as BlockNumber, slot: 0 as Slot });
          yield* settle(service);
          const { context } = yield* service.snapshot;
          expect(context.submitted).toEqual({});
          return yield* service.stateHash;
        }),
      );
      const service = yield* runProverPool(network);
      yield* settle(service);
      expect(yield* service.stateHash).toBe(live);
    }).pipe(Effect.provide(Layer.fresh(EmbeddedEventLog.layer()))),
  );

  it.scoped("a restart replays, re-arms pending work, and neither re-registers nor re-submits", () =>
    Effect.gen(function* () {
      const log = yield* EventLog;
      yield* log.createTopics(protocolTopicSpecs);

      // First run: registered, node A proven, node B assigned but not proven when it stops.
      const before = yield* Effect.scoped(
        Effect.gen(function* () {
          const service = yield* runProverPool(network);
          yield* settle(service);
          yield* confirmRegistrations;
          yield* assign(2, 0, p1);
          yield* settle(service);
          yield* TestClock.adjust(provingTime(p1, 2, 0));
          yield* settle(service);
          expect(yield* eventsOf("proving.proofs", "ProofSubmitted")).toHaveLength(1);
          yield* assign(2, 1, p2);
          yield* settle(service);
          return { hash: yield* service.stateHash, bAssignedAt: yield* Clock.currentTimeMillis };
        }),
      );

      const service = yield* runProverPool(network);
      yield* settle(service);
      expect(service.replayed).toBeGreaterThan(0);
      expect(yield* service.stateHash).toBe(before.hash);
      expect(yield* eventsOf("l1.transactions", "RegisterProver")).toHaveLength(3);
      expect(yield* eventsOf("proving.proofs", "ProofSubmitted")).toHaveLength(1);

      const dueB = before.bAssignedAt + provingTime(p2, 2, 1);
      yield* TestClock.adjust(dueB - (yield* Clock.currentTimeMillis));
      yield* settle(service);
      const proofs = yield* eventsOf("proving.proofs", "ProofSubmitted");
      expect(proofs.map((p) => `${p.payload.block}/${p.payload.index}@${p.payload.prover}`)).toEqual([`2/0@${p1}`, `2/1@${p2}`]);
      expect(proofs[1]?.time).toBe(dueB);
      expect(yield* eventsOf("l1.transactions", "RegisterProver")).toHaveLength(3);
    }).pipe(Effect.provide(Layer.fresh(EmbeddedEventLog.layer()))),
  );
});
