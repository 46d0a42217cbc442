import { describe, expect, it } from "@effect/vitest";
import {
  fetchBeacon,
  HttpCachingChain,
  HttpChainClient,
  roundAt as drandRoundAt,
  roundTime as drandRoundTime,
  type ChainInfo,
} from "drand-client";
import { Effect, Either, Exit, Layer, Scope, TestClock } from "effect";
import { vi } from "vitest";
import { beaconChainInfo, beaconKeyFromSeed, beaconSeed, QUICKNET_CHAIN_INFO, signRound, type DrandChainInfo } from "@zk-testnet/crypto";
import { EmbeddedEventLog, EventLog, protocolCodec, protocolTopicSpecs, type EventLogApi } from "@zk-testnet/event-log";
import { makeNetwork, slotStart, type NetworkConfig } from "@zk-testnet/network";
import type { EventOf } from "@zk-testnet/protocol";
import { normalizeBasePath, parseRound, serveBeaconApi } from "./http.ts";
import { runVrfBeacon } from "./service.ts";

const SEED = "beacon-http";
const GENESIS = 1_700_000_000_000;
const SLOT = 2_000;

const network = (basePath: string, genesisMs = GENESIS): NetworkConfig =>
  Either.getOrThrow(makeNetwork({ seed: SEED, genesisMs, slots: 0, provers: 2, slotMs: SLOT, beacon: { basePath, port: 0 } }));

type Beacon = EventOf<"BeaconRound">;

const roundsIn = (log: EventLogApi) =>
  Effect.map(log.read("beacon.rounds"), (records) => records.map((r) => Either.getOrThrow(protocolCodec.decode(r.value)) as Beacon));

const advanceTo = (at: number, idle: Effect.Effect<void>) =>
  Effect.gen(function* () {
    for (;;) {
      const now = yield* TestClock.currentTimeMillis;
      if (now >= at) return;
      yield* TestClock.adjust(Math.min(SLOT, at - now));
      for (let i = 0; i < 3; i++) yield* idle;
    }
  });

/** drand-client pinned to a chain hash and public key, verifying every beacon it fetches. */
const drandClient = (url: string, chainHash: string, publicKey: string) => {
  const options = { disableBeaconVerification: false, noCache: false, chainVerificationParams: { chainHash, publicKey } };
  return new HttpChainClient(new HttpCachingChain(url, options), options);
};

/** drand-client logs why it rejects a beacon; the tests assert the rejection itself. */
const quietly = <A>(run: () => Promise<A>) =>
  Effect.promise(async () => {
    const spy = vi.spyOn(console, "error").mockImplementation(() => undefined);
    try {
      return await run().then(
        (value) => ({ ok: true as const, value }),
        (error: unknown) => ({ ok: false as const, error: String(error) }),
      );
    } finally {
      spy.mockRestore();
    }
  });

const get = (url: string) =>
  Effect.promise(async () => {
    const response = await fetch(url);
    return { status: response.status, body: (await response.json()) as Record<string, unknown>, headers: response.headers };
  });

const started = (net: NetworkConfig) =>
  Effect.gen(function* () {
    const log = yield* EventLog;
    yield* log.createTopics(protocolTopicSpecs);
    yield* TestClock.setTime(GENESIS - 1_000);
    const beacon = yield* runVrfBeacon(net);
    return { log, ...beacon };
  });

describe("vrf-beacon drand HTTP API", () => {
  it.scoped("drand-client fetches /info and verifies every round produced under virtual time, over HTTP", () =>
    Effect.gen(function* () {
      const net = network("/zk-testnet");
      const { log, handle, url, info } = yield* started(net);
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/zk-testnet$/);

      // Pinned to what we expect independently of the running server: the run's key and our chain parameters.
      const key = beaconKeyFromSeed(beaconSeed(SEED));
      const expected = beaconChainInfo({ publicKey: key.publicKey, periodSeconds: 2, genesisTime: GENESIS / 1000, beaconId: "zk-testnet" });
      expect(info).toEqual(expected);
      const client = drandClient(url, expected.hash, key.publicKey);
      const served = (yield* Effect.promise(() => client.chain().info())) as unknown as DrandChainInfo;
      expect(served).toEqual(expected);
      expect(served).toMatchObject({ period: 2, genesis_time: GENESIS / 1000, schemeID: "bls-unchained-g1-rfc9380", metadata: { beaconID: "zk-testnet" } });

      expect((yield* get(`${url}/public/latest`)).status).toBe(404); // before genesis
      yield* advanceTo(slotStart(net, 5), handle.idle);
      const rounds = yield* roundsIn(log);
      expect(rounds.map((e) => e.payload.round)).toEqual([1, 2, 3, 4, 5, 6]);

      for (const event of rounds) {
        const round = event.payload.round;
        const fetched = yield* Effect.promise(() => fetchBeacon(client, round));
        expect(fetched).toEqual(event.payload);
        // The round clock: round r starts at genesis + (r - 1) periods, as drand-client computes it.
        expect(event.time).toBe(drandRoundTime(served as ChainInfo, round));
        expect(drandRoundAt(event.time, served as ChainInfo)).toBe(round);
        expect(event.time).toBe(slotStart(net, round - 1));
      }
      expect(yield* Effect.promise(() => client.latest())).toEqual(rounds.at(-1)?.payload);

      // Not yet published, then published: the API reads the running service's state.
      const missing = yield* quietly(() => fetchBeacon(client, 7));
      expect(missing).toMatchObject({ ok: false });
      expect(yield* get(`${url}/public/7`)).toMatchObject({ status: 404, body: { error: "round 7 not published yet" } });
      yield* advanceTo(slotStart(net, 6), handle.idle);
      const seventh = yield* Effect.promise(() => fetchBeacon(client, 7));
      expect(seventh.round).toBe(7);
      expect(yield* get(`${url}/public/latest`)).toMatchObject({ status: 200, body: { round: 7 } });
    }).pipe(Effect.provide(Layer.fresh(EmbeddedEventLog.layer()))),
  );

  it.scoped("drand-client refuses the chain when pinned to another hash or key", () =>
    Effect.gen(function* () {
      const { url, info, handle } = yield* started(network(""));
      yield* advanceTo(GENESIS, handle.idle);
      const otherHash = yield* quietly(() => drandClient(url, QUICKNET_CHAIN_INFO.hash, info.public_key).chain().info());
      expect(otherHash).toMatchObject({ ok: false, error: expect.stringMatching(/did not match the verification params/) });
      const otherKey = beaconKeyFromSeed(beaconSeed("another beacon")).publicKey;
      const wrongKey = yield* quietly(() => fetchBeacon(drandClient(url, info.hash, otherKey), 1));
      expect(wrongKey).toMatchObject({ ok: false });
      const right = yield* quietly(() => fetchBeacon(drandClient(url, info.hash, info.public_key), 1));
      expect(right).toMatchObject({ ok: true, value: { round: 1 } });
    }).pipe(Effect.provide(Layer.fresh(EmbeddedEventLog.layer()))),
  );

  it.scoped("drand-client's verification is live through the API: a tampered round table is refused", () =>
    Effect.gen(function* () {
      const net = network("/forged");
      const key = beaconKeyFromSeed(beaconSeed(SEED));
      const info = beaconChainInfo({ publicKey: key.publicKey, periodSeconds: 2, genesisTime: GENESIS / 1000, beaconId: "zk-testnet" });
      const [one, two] = [signRound(key.secretKey, 1), signRound(key.secretKey, 2)];
      // Round 2 carries round 1's signature and randomness: well-formed, but not a signature of round 2.
      const rounds = { latest: 2, rounds: { "1": one, "2": { signature: one.signature, randomness: one.randomness } } };
      const { url } = yield* serveBeaconApi({ beacon: net.beacon, info, rounds: Effect.succeed(rounds) });
      const client = drandClient(url, info.hash, key.publicKey);
      expect(yield* quietly(() => fetchBeacon(client, 1))).toMatchObject({ ok: true, value: { round: 1, signature: one.signature } });
      expect(yield* quietly(() => fetchBeacon(client, 2))).toMatchObject({ ok: false, error: expect.stringMatching(/not valid/) });
      expect(two.signature).not.toBe(one.signature);
    }),
  );

  it.scoped("answers a malformed round 400, an unknown path 404, both as JSON; a published round is immutable", () =>
    Effect.gen(function* () {
      const { url, handle } = yield* started(network(""));
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      yield* advanceTo(GENESIS + SLOT, handle.idle);
      for (const bad of ["abc", "0", "-1", "1.5", "01", "99999999999999999999"]) {
        const response = yield* get(`${url}/public/${bad}`);
        expect(response.status).toBe(400);
        expect(response.body["error"]).toMatch(/positive integer/);
      }
      expect(yield* get(`${url}/nope`)).toMatchObject({ status: 404, body: { error: "not found" } });
      const round = yield* get(`${url}/public/2`);
      expect(round.status).toBe(200);
      expect(round.headers.get("cache-control")).toMatch(/immutable/);
      expect(round.headers.get("content-type")).toMatch(/application\/json/);
    }).pipe(Effect.provide(Layer.fresh(EmbeddedEventLog.layer()))),
  );

  it.effect("the server closes with its scope", () =>
    Effect.gen(function* () {
      const scope = yield* Scope.make();
      const { url } = yield* started(network("/b")).pipe(Scope.extend(scope));
      expect((yield* get(`${url}/info`)).status).toBe(200);
      yield* Scope.close(scope, Exit.void);
      const after = yield* Effect.promise(() => fetch(`${url}/info`).then(() => "open", () => "closed"));
      expect(after).toBe("closed");
    }).pipe(Effect.provide(Layer.fresh(EmbeddedEventLog.layer()))),
  );

  it.scoped("refuses a network drand cannot describe: genesis or slot length not in whole seconds", () =>
    Effect.gen(function* () {
      yield* (yield* EventLog).createTopics(protocolTopicSpecs);
      const error = yield* Effect.flip(runVrfBeacon(network("", GENESIS + 500)));
      expect(error).toMatchObject({ _tag: "BeaconChainUnsupported" });
    }).pipe(Effect.provide(Layer.fresh(EmbeddedEventLog.layer()))),
  );

  it("parses rounds and base paths", () => {
    expect([parseRound("1"), parseRound("42"), parseRound("0"), parseRound("x"), parseRound(undefined), parseRound("9007199254740993")]).toEqual([
      1,
      42,
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
    expect(["", "/", "a", "/a/", "/a/b"].map(normalizeBasePath)).toEqual(["", "", "/a", "/a", "/a/b"]);
  });
});
