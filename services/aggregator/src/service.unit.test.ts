import { describe, expect, it } from "@effect/vitest";
import { Clock, ConfigProvider, Effect, Either, Layer, TestClock } from "effect";
import { verifyProof } from "@zk-testnet/crypto";
import { EmbeddedEventLog, EventLog, appendEvent, protocolCodec, protocolTopicSpecs } from "@zk-testnet/event-log";
import { encodeNetwork } from "@zk-testnet/network";
import { proofHash, type EventOf, type ProtocolEvent } from "@zk-testnet/protocol";
import { aggregatorConfig } from "./config.ts";
import { runAggregator } from "./service.ts";
import { beaconRound, nth, proofFor, proposed, proverKey, registered, testNetwork } from "./testing.ts";

const network = testNetwork();

const eventsOn = (topic: string) =>
  Effect.gen(function* () {
    const log = yield* EventLog;
    return (yield* log.read(topic)).flatMap((r) => {
      const decoded = protocolCodec.decode(r.value);
      return decoded._tag === "Right" ? [decoded.right] : [];
    });
  });

const ofType = <T extends ProtocolEvent["type"]>(events: readonly ProtocolEvent[], type: T): readonly EventOf<T>[] =>
  events.filter((e): e is EventOf<T> => e.type === type);

/** A prover pool in miniature: every prover answers each of its NodeAssigned with an honest, signed proof. */
const fakeProvers = Effect.gen(function* () {
  const log = yield* EventLog;
  return yield* log.subscribe({
    group: "fake-provers",
    topics: ["proving.assignments"],
    codec: protocolCodec,
    handler: (event: ProtocolEvent) =>
      event.type !== "NodeAssigned"
        ? Effect.void
        : Effect.flatMap(Clock.currentTimeMillis, (now) => appendEvent(log, proofFor(event.payload, { time: now, slot: event.slot }))),
  });
});

describe("aggregator service", () => {
  // Live: the aggregator is up when the inputs come. Catching up: they were all in the log
  // before it started, so it decides while replaying and publishes on start.
  it.scoped.each(["live", "catching up"] as const)("%s: proves a block of 8 and a padded block of 5 to SubmitRoot; a restart publishes nothing new", (mode) =>
    Effect.gen(function* () {
      const log = yield* EventLog;
      yield* log.createTopics(protocolTopicSpecs);
      yield* TestClock.setTime(1_000);
      // Block 1's round comes before the block, block 0's after it.
      const inputs = [
        ...network.provers.map((p) => registered(p.id, p.stake)),
        proposed(0, 8, 0),
        beaconRound(2, 500),
        beaconRound(1, 500),
        proposed(1, 5, 600),
      ];
      const appendInputs = Effect.forEach(inputs, (event) => appendEvent(log, event), { discard: true });
      if (mode === "catching up") yield* appendInputs;
      yield* fakeProvers;

      const submitted = eventsOn("l1.transactions").pipe(Effect.map((events) => ofType(events, "SubmitRoot")));
      const first = yield* Effect.scoped(
        Effect.gen(function* () {
          const service = yield* runAggregator(network);
          // A first start has committed nothing: a backlog is handled live, not replayed.
          expect(service.replayed).toBe(0);
          if (mode === "live") yield* appendInputs;
          // Until both trees are submitted and every output has been read back.
          const settled = Effect.gen(function* () {
            const { context } = yield* service.snapshot;
            return (yield* submitted).length === 2 && Object.keys(context.outbox).length === 0;
          });
          for (let i = 0; i < 500 && !(yield* settled); i++) {
            yield* service.idle;
            yield* Effect.yieldNow();
          }
          expect(yield* settled).toBe(true);
          return yield* service.stateHash;
        }),
      );

      const roots = yield* submitted;
      expect(roots.map((r) => [r.payload.block, r.payload.proofs.length])).toEqual([
        [0, 15],
        [1, 11],
      ]);
      for (const root of roots) {
        for (const record of root.payload.proofs) {
          expect(verifyProof(proverKey(record.prover).publicKey, { block: root.payload.block, ...record }, record.signature)).toBe(true);
        }
        const top = nth(root.payload.proofs, root.payload.proofs.length - 1);
        expect(proofHash({ block: root.payload.block, ...top }, top.signature)).toBe(root.payload.proofHash);
      }
      const decisions = yield* eventsOn("proving.assignments");
      expect(ofType(decisions, "NodeAssigned")).toHaveLength(26);
      expect(ofType(decisions, "ProofAccepted")).toHaveLength(26);
      expect(ofType(decisions, "ProofRejected")).toHaveLength(0);
      expect(ofType(decisions, "RootProofSubmitted").map((r) => r.payload.block)).toEqual([0, 1]);
      expect(new Set(decisions.map((e) => e.id)).size).toBe(decisions.length);

      // A restart folds everything back, emits nothing, and lands in the same state.
      const written = (yield* log.exportJsonl(["proving.assignments", "l1.transactions"])).length;
      const second = yield* Effect.scoped(
        Effect.gen(function* () {
          const service = yield* runAggregator(network);
          yield* service.idle;
          yield* TestClock.adjust("1 minute");
          yield* service.idle;
          return { replayed: service.replayed, hash: yield* service.stateHash };
        }),
      );
      // Inputs, proofs, and its own NodeAssigned, ProofAccepted, RootProofSubmitted and SubmitRoot.
      expect(second.replayed).toBe(inputs.length + 26 + 26 + 26 + 2 + 2);
      expect(second.hash).toBe(first);
      expect((yield* log.exportJsonl(["proving.assignments", "l1.transactions"])).length).toBe(written);
    }).pipe(Effect.provide(Layer.fresh(EmbeddedEventLog.layer()))),
  );
});

describe("aggregator config", () => {
  const read = (env: Record<string, string>) =>
    aggregatorConfig.pipe(Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env)))), Effect.either);

  it.effect("takes the network from ZKT_NETWORK and defaults the rest", () =>
    Effect.gen(function* () {
      const config = yield* read({ ZKT_NETWORK: encodeNetwork(network) });
      expect(Either.map(config, (c) => ({ brokers: c.brokers, logFormat: c.logFormat, logFile: c.logFile, seed: c.network.seed }))).toEqual(
        Either.right({ brokers: ["127.0.0.1:9092"], logFormat: "json", logFile: undefined, seed: network.seed }),
      );
    }),
  );

  it.effect("refuses a missing network and malformed brokers", () =>
    Effect.gen(function* () {
      expect(Either.isLeft(yield* read({}))).toBe(true);
      expect(Either.isLeft(yield* read({ ZKT_NETWORK: encodeNetwork(network), ZKT_BROKERS: "no-port" }))).toBe(true);
      expect(Either.isLeft(yield* read({ ZKT_NETWORK: encodeNetwork(network), ZKT_LOG_FORMAT: "xml" }))).toBe(true);
    }),
  );
});
