import { describe, expect, it } from "@effect/vitest";
import { Effect, Either, Exit, Layer, Scope, TestClock } from "effect";
import { runService } from "@zk-testnet/actors";
import { SIM_BEACON_SCHEME_ID, verifyBeaconRound, verifySignedRound } from "@zk-testnet/crypto";
import { EmbeddedEventLog, EventLog, makeEmbeddedLog, protocolCodec, protocolTopicSpecs, type EventLogApi } from "@zk-testnet/event-log";
import { makeNetwork, slotStart, type NetworkConfig } from "@zk-testnet/network";
import type { EventOf } from "@zk-testnet/protocol";
import { beaconSignerOf, definition } from "./service.ts";

const GENESIS = 10_000;
const SLOT = 2_000;

const network = (options: { seed?: string; slots?: number; scheme?: "sim-ed25519" } = {}): NetworkConfig =>
  Either.getOrThrow(
    makeNetwork({
      seed: options.seed ?? "beacon-service",
      genesisMs: GENESIS,
      slots: options.slots ?? 0,
      provers: 2,
      slotMs: SLOT,
      ...(options.scheme === undefined ? {} : { beacon: { scheme: options.scheme } }),
    }),
  );

type Beacon = EventOf<"BeaconRound">;

const roundsIn = (log: EventLogApi) =>
  Effect.map(log.read("beacon.rounds"), (records) => records.map((r) => Either.getOrThrow(protocolCodec.decode(r.value)) as Beacon));

/** Moves virtual time to `at`, one slot at a time, letting the service finish each step (a signature is an actor run: two steps). */
const advanceTo = (at: number, idle: Effect.Effect<void>) =>
  Effect.gen(function* () {
    for (;;) {
      const now = yield* TestClock.currentTimeMillis;
      if (now >= at) return;
      yield* TestClock.adjust(Math.min(SLOT, at - now));
      for (let i = 0; i < 3; i++) yield* idle;
    }
  });

const runBeacon = (net: NetworkConfig) => runService(definition(net));

/** A whole run on a fresh log from virtual time 0 up to the start of round `rounds`; beacon.rounds as JSONL. */
const runFor = (net: NetworkConfig, rounds: number) =>
  Effect.gen(function* () {
    const log = yield* makeEmbeddedLog();
    yield* log.createTopics(protocolTopicSpecs);
    yield* TestClock.setTime(0);
    yield* Effect.scoped(
      Effect.gen(function* () {
        const beacon = yield* runBeacon(net);
        yield* advanceTo(slotStart(net, rounds - 1), beacon.idle);
      }),
    ).pipe(Effect.provideService(EventLog, log));
    return yield* log.exportJsonl(["beacon.rounds"]);
  });

describe("vrf-beacon service", () => {
  it.scoped("N slots of virtual time give exactly N rounds, round = slot + 1, each signed by the run's beacon key", () =>
    Effect.gen(function* () {
      const log = yield* EventLog;
      yield* log.createTopics(protocolTopicSpecs);
      const net = network();
      const beacon = yield* runBeacon(net);
      yield* beacon.idle;
      expect(yield* roundsIn(log)).toEqual([]);

      yield* advanceTo(slotStart(net, 5), beacon.idle);
      const rounds = yield* roundsIn(log);
      expect(rounds.map((e) => [e.payload.round, e.slot, e.time])).toEqual([1, 2, 3, 4, 5, 6].map((r) => [r, r - 1, slotStart(net, r - 1)]));
      const { publicKey } = beaconSignerOf(net);
      for (const e of rounds) {
        expect(verifySignedRound(publicKey, e.payload)).toBe(true);
        expect(e).toMatchObject({ source: "vrf-beacon", key: String(e.payload.round), correlationId: `round-${e.payload.round}` });
      }
      const { context } = yield* beacon.snapshot;
      expect(context.latest).toBe(6);
      expect(Object.keys(context.rounds)).toHaveLength(6);
      expect(context.rounds["4"]).toEqual({ signature: rounds[3]?.payload.signature, randomness: rounds[3]?.payload.randomness });
    }).pipe(Effect.provide(Layer.fresh(EmbeddedEventLog.layer()))),
  );

  it.scoped("a restart replays, emits nothing while replaying, keeps its state hash and resumes at the next round", () =>
    Effect.gen(function* () {
      const log = yield* EventLog;
      yield* log.createTopics(protocolTopicSpecs);
      const net = network();
      const before = yield* Effect.scoped(
        Effect.gen(function* () {
          const beacon = yield* runBeacon(net);
          yield* advanceTo(slotStart(net, 2), beacon.idle);
          return yield* beacon.stateHash;
        }),
      );
      expect((yield* roundsIn(log)).map((e) => e.payload.round)).toEqual([1, 2, 3]);

      const scope = yield* Scope.make();
      const beacon = yield* runBeacon(net).pipe(Scope.extend(scope));
      yield* beacon.idle;
      expect(beacon.replayed).toBe(3);
      expect(yield* beacon.stateHash).toBe(before);
      expect(yield* roundsIn(log)).toHaveLength(3);

      yield* advanceTo(slotStart(net, 4), beacon.idle);
      expect((yield* roundsIn(log)).map((e) => [e.payload.round, e.time])).toEqual([1, 2, 3, 4, 5].map((r) => [r, slotStart(net, r - 1)]));
      const restarted = yield* log.exportJsonl(["beacon.rounds"]);
      yield* Scope.close(scope, Exit.void);
      // The same log, byte for byte, as a run that was never interrupted.
      expect(restarted).toBe(yield* runFor(net, 5));
    }).pipe(Effect.provide(Layer.fresh(EmbeddedEventLog.layer()))),
  );

  it.scoped("a beacon that was down signs the rounds it missed at once on restart", () =>
    Effect.gen(function* () {
      const log = yield* EventLog;
      yield* log.createTopics(protocolTopicSpecs);
      const net = network();
      yield* Effect.scoped(Effect.flatMap(runBeacon(net), (beacon) => advanceTo(slotStart(net, 0), beacon.idle)));
      yield* TestClock.adjust(2 * SLOT + 700);
      const beacon = yield* runBeacon(net);
      for (let i = 0; i < 6; i++) yield* beacon.idle;
      const back = slotStart(net, 2) + 700;
      expect((yield* roundsIn(log)).map((e) => [e.payload.round, e.slot, e.time])).toEqual([
        [1, 0, slotStart(net, 0)],
        [2, 1, back],
        [3, 2, back],
      ]);
    }).pipe(Effect.provide(Layer.fresh(EmbeddedEventLog.layer()))),
  );

  it.scoped("stops after network.slots rounds", () =>
    Effect.gen(function* () {
      const log = yield* EventLog;
      yield* log.createTopics(protocolTopicSpecs);
      const net = network({ slots: 4 });
      const beacon = yield* runBeacon(net);
      yield* advanceTo(slotStart(net, 9), beacon.idle);
      expect((yield* roundsIn(log)).map((e) => e.payload.round)).toEqual([1, 2, 3, 4]);
      expect((yield* beacon.snapshot).value).toBe("finished");
    }).pipe(Effect.provide(Layer.fresh(EmbeddedEventLog.layer()))),
  );

  it.scoped("signs in the simulated scheme when the network names it: the same rounds, each verifying in that scheme only", () =>
    Effect.gen(function* () {
      const log = yield* EventLog;
      yield* log.createTopics(protocolTopicSpecs);
      const net = network({ scheme: SIM_BEACON_SCHEME_ID });
      const beacon = yield* runBeacon(net);
      yield* advanceTo(slotStart(net, 3), beacon.idle);
      const rounds = yield* roundsIn(log);
      expect(rounds.map((e) => [e.payload.round, e.slot, e.time])).toEqual([1, 2, 3, 4].map((r) => [r, r - 1, slotStart(net, r - 1)]));
      const { publicKey, scheme } = beaconSignerOf(net);
      expect(scheme).toBe(SIM_BEACON_SCHEME_ID);
      for (const e of rounds) {
        expect(e.payload.signature).toMatch(/^[0-9a-f]{128}$/);
        expect(verifyBeaconRound(SIM_BEACON_SCHEME_ID, publicKey, e.payload)).toBe(true);
        expect(verifySignedRound(beaconSignerOf(network()).publicKey, e.payload)).toBe(false);
      }
    }).pipe(Effect.provide(Layer.fresh(EmbeddedEventLog.layer()))),
  );

  it.effect("the same seed gives the same rounds, ids and signatures; another seed another key", () =>
    Effect.gen(function* () {
      const first = yield* runFor(network(), 5);
      expect(first.trim().split("\n")).toHaveLength(5);
      expect(yield* runFor(network(), 5)).toBe(first);
      expect(yield* runFor(network({ seed: "another seed" }), 5)).not.toBe(first);
    }),
  );
});
