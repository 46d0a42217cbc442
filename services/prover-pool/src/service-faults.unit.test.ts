import { describe, expect, it } from "@effect/vitest";
import { Clock, Effect, Layer, TestClock } from "effect";
import { replayState, type ServiceHandle } from "@zk-testnet/actors";
import { verifyProof } from "@zk-testnet/crypto";
import { EmbeddedEventLog, EventLog, appendEvent, protocolCodec, protocolTopicSpecs } from "@zk-testnet/event-log";
import { DEFAULT_COST_MODEL, makeRng, nodeDeadlineMs, provingDuration } from "@zk-testnet/mechanisms";
import type { FaultSpec, NetworkConfig } from "@zk-testnet/network";
import {
  makeEvent,
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
import { wrongPublicInput } from "./machine.ts";
import { definition, runProverPool } from "./service.ts";

const SEED = "prover-pool-service-faults";
const networkWith = (faults?: readonly FaultSpec[]): NetworkConfig => testNetwork(3, SEED, faults);
const [p1, p2, p3] = networkWith().provers.map((p) => p.id) as [ProverId, ProverId, ProverId];

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

const settle = (service: Pick<ServiceHandle<never>, "idle">) =>
  Effect.gen(function* () {
    for (let i = 0; i < 5; i++) {
      yield* Effect.repeatN(Effect.yieldNow(), 20);
      yield* service.idle;
    }
  });

/** Moves the test clock to `at`, letting the service finish what falls due on the way. */
const advanceTo = (at: number, service: Pick<ServiceHandle<never>, "idle">) =>
  Effect.gen(function* () {
    const now = yield* Clock.currentTimeMillis;
    if (at > now) yield* TestClock.adjust(at - now);
    yield* settle(service);
  });

const confirmRegistrations = Effect.gen(function* () {
  for (const request of yield* eventsOf("l1.transactions", "RegisterProver")) {
    yield* write("ProverRegistered", "l1-settlement", { prover: request.payload.prover, stake: request.payload.stake, publicKey: request.payload.publicKey });
  }
});

const publicInputOf = (block: number, index: number) => hashOf(100 * block + index + 1);

const assign = (network: NetworkConfig, block: number, index: number, prover: string) =>
  Effect.gen(function* () {
    const now = yield* Clock.currentTimeMillis;
    return yield* write("NodeAssigned", "aggregator", {
      block: block as BlockNumber,
      level: 0 as Level,
      index: index as NodeIndex,
      prover: prover as ProverId,
      deadline: (now + nodeDeadlineMs(network.params, 0)) as Timestamp,
      publicInput: publicInputOf(block, index),
      childProofHashes: [],
    });
  });

const provingTime = (network: NetworkConfig, prover: ProverId, block: number, index: number, attempt = ""): number =>
  provingDuration({
    level: 0,
    speed: network.provers.find((p) => p.id === prover)?.speed ?? Number.NaN,
    deadlineMs: nodeDeadlineMs(network.params, 0),
    slotMs: network.params.slotMs,
    params: DEFAULT_COST_MODEL,
    rng: makeRng(network.seed).fork(`prover-pool/${prover}/${block}/0/${index}${attempt}`),
  });

const nodeOf = (e: { readonly payload: { readonly block: number; readonly index: number; readonly prover: string } }) => `${e.payload.block}/${e.payload.index}@${e.payload.prover}`;

const start = (network: NetworkConfig) =>
  Effect.gen(function* () {
    const service = yield* runProverPool(network);
    yield* settle(service);
    yield* confirmRegistrations;
    yield* settle(service);
    return service;
  });

/** The live state equals a replay of the whole log. */
const expectReplayable = (network: NetworkConfig, service: ServiceHandle<never>) =>
  Effect.gen(function* () {
    const replayed = yield* replayState(definition(network));
    expect(replayed.stateHash).toBe(yield* service.stateHash);
  });

describe("prover-pool service: fault profiles", () => {
  it.scoped("profiles from the network config: crash answers nothing, invalid submits a signed wrong proof, honest posts its receipt with its proof", () =>
    Effect.gen(function* () {
      const log = yield* EventLog;
      yield* log.createTopics(protocolTopicSpecs);
      const network = networkWith([{ fault: "crash", target: p1 }, { fault: "invalid", target: p2 }]);
      const service = yield* start(network);
      // A crashed prover still registered: it is staked, it just does not answer.
      expect(yield* eventsOf("l1.transactions", "RegisterProver")).toHaveLength(3);

      yield* assign(network, 1, 0, p1);
      yield* assign(network, 1, 1, p2);
      yield* assign(network, 1, 2, p3);
      yield* advanceTo(60_000, service);

      const proofs = yield* eventsOf("proving.proofs", "ProofSubmitted");
      expect(proofs.map(nodeOf).sort()).toEqual([`1/1@${p2}`, `1/2@${p3}`]);
      const invalid = proofs.find((p) => p.payload.prover === p2);
      expect(invalid?.payload.publicInput).toBe(wrongPublicInput(publicInputOf(1, 1)));
      const keys = new Map((yield* eventsOf("l1.transactions", "RegisterProver")).map((r) => [r.payload.prover as string, r.payload.publicKey as string]));
      for (const { payload } of proofs) {
        const { signature, proofHash: _h, ...statement } = payload;
        expect(verifyProof(keys.get(statement.prover) ?? "", statement, signature)).toBe(true);
      }

      const receipts = yield* eventsOf("l1.transactions", "PostReceipt");
      expect(receipts.map(nodeOf)).toEqual([`1/2@${p3}`]);
      const honest = proofs.find((p) => p.payload.prover === p3);
      expect(receipts[0]?.payload.proofHash).toBe(honest?.payload.proofHash);
      // Same step: same cause and time, the receipt first.
      expect(receipts[0]?.causationId).toBe(honest?.causationId);
      expect(receipts[0]?.time).toBe(honest?.time);
      expect(honest?.time).toBe(provingTime(network, p3, 1, 2));
      yield* expectReplayable(network, service as never);
    }).pipe(Effect.provide(Layer.fresh(EmbeddedEventLog.layer()))),
  );

  it.scoped("FaultInjected / FaultHealed on testnet.faults switch a prover at run time; unknown targets and faults are ignored", () =>
    Effect.gen(function* () {
      const log = yield* EventLog;
      yield* log.createTopics(protocolTopicSpecs);
      const network = networkWith();
      const service = yield* start(network);

      yield* write("FaultInjected", "orchestrator", { fault: "crash", target: "prover-42", params: {} });
      yield* write("FaultInjected", "orchestrator", { fault: "meltdown", target: p2, params: {} });
      yield* write("FaultInjected", "orchestrator", { fault: "hang", target: p1, params: {} });
      yield* write("FaultInjected", "orchestrator", { fault: "withhold", target: p3, params: {} });
      yield* settle(service);
      yield* assign(network, 2, 0, p1);
      yield* assign(network, 2, 1, p2);
      yield* assign(network, 2, 2, p3);
      yield* advanceTo(10_000, service);

      expect((yield* eventsOf("proving.proofs", "ProofSubmitted")).map(nodeOf)).toEqual([`2/1@${p2}`]);
      expect((yield* eventsOf("l1.transactions", "PostReceipt")).map(nodeOf).sort()).toEqual([`2/1@${p2}`, `2/2@${p3}`]);

      // Healed, the hung prover's overdue work finishes at once.
      yield* write("FaultHealed", "orchestrator", { fault: "hang", target: p1 });
      yield* settle(service);
      const proofs = yield* eventsOf("proving.proofs", "ProofSubmitted");
      expect(proofs.map(nodeOf)).toEqual([`2/1@${p2}`, `2/0@${p1}`]);
      expect(proofs[1]?.time).toBe(10_000);
      const { context } = yield* service.snapshot;
      expect(context.provers[p1]?.profile).toBe("honest");
      expect(context.provers[p2]?.profile).toBe("honest");
      expect(context.provers[p3]?.profile).toBe("withhold");
      yield* expectReplayable(network, service as never);
    }).pipe(Effect.provide(Layer.fresh(EmbeddedEventLog.layer()))),
  );

  it.scoped("takeovers: the taker proves once (TakeoverOpened and its NodeAssigned); in an open round every honest prover races once", () =>
    Effect.gen(function* () {
      const log = yield* EventLog;
      yield* log.createTopics(protocolTopicSpecs);
      const network = networkWith([{ fault: "crash", target: p1 }]);
      const service = yield* start(network);
      yield* assign(network, 4, 0, p1);
      yield* assign(network, 4, 1, p1);
      yield* advanceTo(6_000, service);
      expect(yield* eventsOf("proving.proofs", "ProofSubmitted")).toHaveLength(0);

      // Node 0: the sibling's prover takes it over (the aggregator's TakeoverOpened, then its NodeAssigned).
      yield* write("TakeoverOpened", "aggregator", { block: 4 as BlockNumber, level: 0 as Level, index: 0 as NodeIndex, from: p1, to: p2, step: "sibling", deadline: 12_000 as Timestamp });
      yield* assign(network, 4, 0, p2);
      // Node 1: an open round.
      yield* write("TakeoverOpened", "aggregator", { block: 4 as BlockNumber, level: 0 as Level, index: 1 as NodeIndex, from: p1, step: "open", deadline: 12_000 as Timestamp });
      yield* advanceTo(60_000, service);

      const proofs = yield* eventsOf("proving.proofs", "ProofSubmitted");
      expect(proofs.map(nodeOf).sort()).toEqual([`4/0@${p2}`, `4/1@${p2}`, `4/1@${p3}`].sort());
      expect(proofs.find((p) => nodeOf(p) === `4/0@${p2}`)?.time).toBe(6_000 + provingTime(network, p2, 4, 0, "/sibling"));
      expect(proofs.find((p) => nodeOf(p) === `4/1@${p3}`)?.time).toBe(6_000 + provingTime(network, p3, 4, 1, "/open"));
      expect((yield* eventsOf("l1.transactions", "PostReceipt")).map(nodeOf).sort()).toEqual(proofs.map(nodeOf).sort());
      yield* expectReplayable(network, service as never);
    }).pipe(Effect.provide(Layer.fresh(EmbeddedEventLog.layer()))),
  );

  it.scoped("a restart rebuilds profiles and pending work from the log and finishes the work as planned", () =>
    Effect.gen(function* () {
      const log = yield* EventLog;
      yield* log.createTopics(protocolTopicSpecs);
      const network = networkWith([{ fault: "equivocate", target: p3 }]);

      const before = yield* Effect.scoped(
        Effect.gen(function* () {
          const service = yield* start(network);
          yield* write("FaultInjected", "orchestrator", { fault: "slow", target: p1, params: { factor: "2" } });
          yield* write("FaultInjected", "orchestrator", { fault: "hang", target: p2, params: {} });
          yield* settle(service);
          yield* assign(network, 5, 0, p1);
          yield* assign(network, 5, 1, p2);
          yield* assign(network, 5, 2, p3);
          yield* settle(service);
          return yield* service.stateHash;
        }),
      );
      expect(yield* eventsOf("proving.proofs", "ProofSubmitted")).toHaveLength(0);

      const service = yield* runProverPool(network);
      yield* settle(service);
      expect(yield* service.stateHash).toBe(before);
      const { context } = yield* service.snapshot;
      expect(context.provers[p1]).toMatchObject({ profile: "slow", faultParams: { factor: "2" } });
      expect(context.provers[p2]?.profile).toBe("hang");
      expect(context.provers[p3]?.profile).toBe("equivocate");

      yield* advanceTo(60_000, service);
      const proofs = yield* eventsOf("proving.proofs", "ProofSubmitted");
      expect(proofs.map(nodeOf).sort()).toEqual([`5/0@${p1}`, `5/2@${p3}`, `5/2@${p3}`]);
      expect(proofs.find((p) => p.payload.prover === p1)?.time).toBe(Math.round(provingTime(network, p1, 5, 0) * 2));
      const twins = proofs.filter((p) => p.payload.prover === p3);
      expect(new Set(twins.map((p) => p.payload.proofHash)).size).toBe(2);
      expect(yield* eventsOf("l1.transactions", "RegisterProver")).toHaveLength(3);
      yield* expectReplayable(network, service as never);
    }).pipe(Effect.provide(Layer.fresh(EmbeddedEventLog.layer()))),
  );
});
