import { describe, expect, it } from "@effect/vitest";
import { Clock, Effect, Either, Layer, TestClock } from "effect";
import { verifyProof } from "@zk-testnet/crypto";
import { EmbeddedEventLog, EventLog, appendEvent, protocolCodec, protocolTopicSpecs } from "@zk-testnet/event-log";
import { assignTreeVrf } from "@zk-testnet/mechanisms";
import { proofHash, type BlockNumber, type EventOf, type PayloadOf, type ProtocolEvent, type TxCount } from "@zk-testnet/protocol";
import { runAggregator } from "./service.ts";
import { beaconRound, epochStarted, nth, proofFor, proposed, proverKey, registered, testNetwork } from "./testing.ts";

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
        epochStarted(0, 0),
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

/**
 * A prover pool in miniature with dead provers: every live prover answers each of its
 * NodeAssigned (a takeover's included) with an honest proof, and races every open round;
 * a dead one never answers.
 */
const provers = (dead: ReadonlySet<string>) =>
  Effect.gen(function* () {
    const log = yield* EventLog;
    const assigned = new Map<string, PayloadOf<"NodeAssigned">>();
    const live = network.provers.map((p) => p.id).filter((p) => !dead.has(p));
    const prove = (node: PayloadOf<"NodeAssigned">, prover: string) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) => appendEvent(log, proofFor(node, { time: now, slot: Math.floor(now / network.params.slotMs) }, prover)));
    return yield* log.subscribe({
      group: "fake-provers",
      topics: ["proving.assignments"],
      codec: protocolCodec,
      handler: (event: ProtocolEvent) => {
        if (event.type === "NodeAssigned") {
          const { block, level, index, prover } = event.payload;
          assigned.set(`${block}/${level}/${index}`, event.payload);
          return dead.has(prover) ? Effect.void : prove(event.payload, prover);
        }
        if (event.type === "TakeoverOpened" && event.payload.to === undefined) {
          const { block, level, index } = event.payload;
          const node = assigned.get(`${block}/${level}/${index}`);
          return node === undefined ? Effect.void : Effect.forEach(live, (prover) => prove(node, prover), { discard: true });
        }
        return Effect.void;
      },
    });
  });

const nodeKey = (e: ProtocolEvent): string => {
  const p = e.payload as { block?: number; level?: number; index?: number };
  return `${p.block}/${p.level}/${p.index}`;
};

describe("aggregator service: the failure path", () => {
  // Block 2 (slot 2), its round 3 (at 4_500): leaves handed out when read, due D_leaf later.
  const BLOCK = 2;
  const round = beaconRound(BLOCK + 1, 4_500);
  const inputs = [...network.provers.map((p) => registered(p.id, p.stake)), epochStarted(0, 0), proposed(BLOCK, 8, 4_000), round];
  const levels = Either.getOrThrow(
    assignTreeVrf({
      randomness: round.payload.randomness,
      eligible: network.provers.map((p) => ({ prover: p.id, stake: p.stake })),
      block: BLOCK as BlockNumber,
      txCount: 8 as TxCount,
      weighting: network.params.weighting,
    }),
  ).levels;
  const leafProver = (i: number): string => nth(nth(levels, 0), i) as string;
  // A leaf whose sibling has another prover; both of them are dead.
  const leaf = nth(
    [0, 1, 2, 3, 4, 5, 6, 7].filter((i) => leafProver(i) !== leafProver(i ^ 1)),
    0,
  );
  const dead = new Set([leafProver(leaf), leafProver(leaf ^ 1)]);
  const { slotMs, leafDeadlineSlots } = network.params;
  // Handed out at the round's 4 500: the aggregator reads it at 5 000, less than a slot behind.
  const due = 4_500 + leafDeadlineSlots * slotMs;

  it.scoped("dead provers: their nodes are taken over on the Clock (sibling, then open rounds the live provers race) and the block reaches SubmitRoot; a restart publishes nothing", () =>
    Effect.gen(function* () {
      const log = yield* EventLog;
      yield* log.createTopics(protocolTopicSpecs);
      yield* TestClock.setTime(4_500); // the aggregator reads the round as it comes: deadlines run from it
      yield* provers(dead);
      const submitted = eventsOn("l1.transactions").pipe(Effect.map((events) => ofType(events, "SubmitRoot")));
      const first = yield* Effect.scoped(
        Effect.gen(function* () {
          const service = yield* runAggregator(network);
          yield* Effect.forEach(inputs, (event) => appendEvent(log, event), { discard: true });
          const settled = Effect.gen(function* () {
            const { context } = yield* service.snapshot;
            return (yield* submitted).length === 1 && Object.keys(context.outbox).length === 0;
          });
          // The Clock moves a second at a time; timers fire as it passes them.
          for (let i = 0; i < 120 && !(yield* settled); i++) {
            for (let j = 0; j < 20; j++) {
              yield* service.idle;
              yield* Effect.yieldNow();
            }
            if (!(yield* settled)) yield* TestClock.adjust("1 second");
          }
          expect(yield* settled).toBe(true);
          return yield* service.stateHash;
        }),
      );

      const decisions = yield* eventsOn("proving.assignments");
      expect(new Set(decisions.map((e) => e.id)).size).toBe(decisions.length);
      // The story of the leaf both of whose provers are dead.
      const story = decisions.filter((e) => nodeKey(e) === `${BLOCK}/0/${leaf}`);
      const [holder, sibling] = [leafProver(leaf), leafProver(leaf ^ 1)];
      expect(story.map((e) => e.type)).toEqual([
        "NodeAssigned",
        "NodeDeadlineMissed",
        "TakeoverOpened",
        "NodeAssigned",
        "NodeDeadlineMissed",
        "TakeoverOpened",
        "ProofAccepted",
        "ProofRejected",
      ]);
      const node = { block: BLOCK, level: 0, index: leaf };
      expect(story.slice(1, 6).map((e) => e.payload)).toEqual([
        { ...node, prover: holder, deadline: due },
        { ...node, from: holder, to: sibling, step: "sibling", deadline: due + leafDeadlineSlots * slotMs },
        expect.objectContaining({ ...node, prover: sibling, deadline: due + leafDeadlineSlots * slotMs }),
        { ...node, prover: sibling, deadline: due + leafDeadlineSlots * slotMs },
        { ...node, from: sibling, step: "open", deadline: due + 2 * leafDeadlineSlots * slotMs },
      ]);
      // Its open round: one live prover wins, the other one's proof comes second.
      const [won, lost] = [story[6], story[7]] as [EventOf<"ProofAccepted">, EventOf<"ProofRejected">];
      expect(dead.has(won.payload.prover)).toBe(false);
      expect(lost.payload).toMatchObject({ reason: "duplicate" });
      expect(lost.payload.prover).not.toBe(won.payload.prover);
      // Every miss is a dead prover's, and every node ends with one accepted proof.
      for (const missed of ofType(decisions, "NodeDeadlineMissed")) expect(dead.has(missed.payload.prover)).toBe(true);
      expect(ofType(decisions, "ProofAccepted")).toHaveLength(15);
      const [root] = yield* submitted;
      expect(root?.payload.proofs).toHaveLength(15);
      for (const contributor of root?.payload.contributors ?? []) expect(dead.has(contributor)).toBe(false);

      // A restart folds it all back (the takeovers from the log, no timer firing) and publishes nothing.
      const written = (yield* log.exportJsonl(["proving.assignments", "l1.transactions"])).length;
      const second = yield* Effect.scoped(
        Effect.gen(function* () {
          const service = yield* runAggregator(network);
          yield* service.idle;
          yield* TestClock.adjust("1 minute");
          yield* service.idle;
          return yield* service.stateHash;
        }),
      );
      expect(second).toBe(first);
      expect((yield* log.exportJsonl(["proving.assignments", "l1.transactions"])).length).toBe(written);
    }).pipe(Effect.provide(Layer.fresh(EmbeddedEventLog.layer()))),
  );

  it.scoped("deadlines survive a restart: those that passed while the aggregator was down fire once at start, and the takers' run from then", () =>
    Effect.gen(function* () {
      const log = yield* EventLog;
      yield* log.createTopics(protocolTopicSpecs);
      yield* TestClock.setTime(4_500); // the aggregator reads the round as it comes: deadlines run from it
      // Every prover dead: nobody answers.
      const run = (settle: boolean) =>
        Effect.scoped(
          Effect.gen(function* () {
            const service = yield* runAggregator(network);
            for (let j = 0; j < 20; j++) {
              yield* service.idle;
              yield* Effect.yieldNow();
            }
            if (settle) {
              for (let j = 0; j < 20; j++) {
                yield* service.idle;
                yield* Effect.yieldNow();
              }
            }
            return { hash: yield* service.stateHash, replayed: service.replayed };
          }),
        );
      yield* Effect.forEach(inputs, (event) => appendEvent(log, event), { discard: true });
      yield* run(false);
      const handedOut = yield* eventsOn("proving.assignments");
      expect(handedOut.map((e) => e.type)).toEqual(Array(8).fill("NodeAssigned"));

      // Down until well past the leaves' deadlines.
      const restartAt = due + 10_000;
      yield* TestClock.setTime(restartAt);
      const second = yield* run(true);
      const afterRestart = yield* eventsOn("proving.assignments");
      const misses = ofType(afterRestart, "NodeDeadlineMissed");
      expect(misses.map((m) => [m.payload.index, m.payload.deadline])).toEqual([0, 1, 2, 3, 4, 5, 6, 7].map((i) => [i, due]));
      const takeovers = ofType(afterRestart, "TakeoverOpened");
      expect(takeovers).toHaveLength(8);
      for (const t of takeovers) expect(t.payload.deadline).toBe(restartAt + leafDeadlineSlots * slotMs);
      expect(nth(takeovers, leaf).payload).toMatchObject({ step: "sibling", to: leafProver(leaf ^ 1) });

      // Started again at the same time: its own record of the takeovers is folded back, nothing fires, nothing is published.
      const third = yield* run(true);
      expect(third.hash).toBe(second.hash);
      expect((yield* eventsOn("proving.assignments")).length).toBe(afterRestart.length);
    }).pipe(Effect.provide(Layer.fresh(EmbeddedEventLog.layer()))),
  );
  it.scoped("a restart reads the proofs that came while it was down before any passed deadline fires: a proof made in time is accepted, not missed", () =>
    Effect.gen(function* () {
      const log = yield* EventLog;
      yield* log.createTopics(protocolTopicSpecs);
      yield* TestClock.setTime(5_000);
      const run = Effect.scoped(
        Effect.gen(function* () {
          const service = yield* runAggregator(network);
          for (let j = 0; j < 40; j++) {
            yield* service.idle;
            yield* Effect.yieldNow();
          }
        }),
      );
      yield* Effect.forEach(inputs, (event) => appendEvent(log, event), { discard: true });
      yield* run;
      const handedOut = ofType(yield* eventsOn("proving.assignments"), "NodeAssigned");
      expect(handedOut).toHaveLength(8);
      // While the aggregator is down, leaf `leaf`'s holder submits its proof a second before the deadline.
      yield* TestClock.setTime(due - 1_000);
      const assigned = nth(handedOut.filter((a) => a.payload.index === leaf), 0);
      yield* appendEvent(log, proofFor(assigned.payload, { time: due - 1_000, slot: assigned.slot }));
      yield* TestClock.setTime(due + 10_000);
      yield* run;
      const decisions = yield* eventsOn("proving.assignments");
      expect(ofType(decisions, "ProofAccepted").map((a) => a.payload.index)).toEqual([leaf]);
      expect(ofType(decisions, "NodeDeadlineMissed").map((m) => m.payload.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7].filter((i) => i !== leaf));
    }).pipe(Effect.provide(Layer.fresh(EmbeddedEventLog.layer()))),
  );
});
