import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import {
  fetchBeacon,
  HttpCachingChain,
  HttpChainClient,
  roundAt as drandRoundAt,
  roundTime as drandRoundTime,
  type ChainClient,
  type ChainInfo,
  type RandomnessBeacon,
} from "drand-client";
import { Schema } from "effect";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { beaconKeyFromSeed, beaconSeed, signRound, type SignedRound } from "./bls.ts";
import { beaconChainInfo, chainHash, DrandChainInfo, isChainHashValid, roundAt, roundTime } from "./drand.ts";
import {
  MAINNET_DEFAULT_CHAIN_INFO,
  QUICKNET_CHAIN_INFO,
  QUICKNET_ROUND_1000,
  TESTNET_QUICKNET_CHAIN_INFO,
  WALKTHROUGH_CHAIN_INFO,
  WALKTHROUGH_ROUND_38,
} from "./known-chains.ts";

const beacon = beaconKeyFromSeed(beaconSeed("drand-compat"));
const info = beaconChainInfo({ publicKey: beacon.publicKey, periodSeconds: 2, genesisTime: 1_700_000_000 });

/** A drand-client ChainClient over a fixed chain info and a function from round to beacon: no network. */
const memoryClient = (chainInfo: DrandChainInfo, beaconOf: (round: number) => unknown): ChainClient => ({
  options: { disableBeaconVerification: false, noCache: false },
  latest: async () => beaconOf(1) as RandomnessBeacon,
  get: async (round) => beaconOf(round) as RandomnessBeacon,
  chain: () => ({ baseUrl: "memory://", info: async () => chainInfo as ChainInfo }),
});

/** drand-client logs why it rejects a beacon; the tests assert the rejection itself. */
const quietly = async <A>(run: () => Promise<A>): Promise<A> => {
  const spy = vi.spyOn(console, "error").mockImplementation(() => undefined);
  try {
    return await run();
  } finally {
    spy.mockRestore();
  }
};

describe("chainHash", () => {
  it.each([
    ["quicknet", QUICKNET_CHAIN_INFO],
    ["testnet quicknet", TESTNET_QUICKNET_CHAIN_INFO],
    ["mainnet default (beacon id left out)", MAINNET_DEFAULT_CHAIN_INFO],
    ["walkthrough (drand-client's tests)", WALKTHROUGH_CHAIN_INFO],
  ])("reproduces drand's hash of the %s chain", (_name, known) => {
    expect(chainHash(known)).toBe(known.hash);
    expect(isChainHashValid(known)).toBe(true);
  });

  it("changes with every field it covers, and not with the scheme id", () => {
    const changed = [
      { ...info, period: 3 },
      { ...info, genesis_time: info.genesis_time + 1 },
      { ...info, public_key: signRound(beacon.secretKey, 1).signature },
      { ...info, groupHash: QUICKNET_CHAIN_INFO.groupHash },
      { ...info, metadata: { beaconID: "other" } },
    ];
    for (const variant of changed) expect(chainHash(variant)).not.toBe(info.hash);
    const otherScheme: DrandChainInfo = { ...info, schemeID: "pedersen-bls-chained" };
    expect(chainHash(otherScheme)).toBe(info.hash);
    expect(chainHash({ ...info, metadata: { beaconID: "default" } })).toBe(chainHash({ ...info, metadata: { beaconID: "" } }));
  });

  it("rejects a period or genesis time drand cannot encode", () => {
    for (const period of [0, 1.5, 2 ** 32]) expect(() => chainHash({ ...info, period })).toThrow(expect.objectContaining({ _tag: "InvalidChainInfo" }));
    expect(() => chainHash({ ...info, genesis_time: 0.5 })).toThrow(expect.objectContaining({ _tag: "InvalidChainInfo" }));
  });
});

describe("beaconChainInfo", () => {
  it("is a drand /info document of the bls-unchained-g1-rfc9380 scheme with a valid hash", () => {
    expect(Schema.decodeUnknownSync(DrandChainInfo)(JSON.parse(JSON.stringify(info)))).toEqual(info);
    expect(info).toMatchObject({ public_key: beacon.publicKey, period: 2, genesis_time: 1_700_000_000, schemeID: "bls-unchained-g1-rfc9380" });
    expect(info.metadata.beaconID).toBe("zk-testnet");
    expect(isChainHashValid(info)).toBe(true);
    expect(isChainHashValid({ ...info, period: 3 })).toBe(false);
    expect(beaconChainInfo({ publicKey: beacon.publicKey, periodSeconds: 2, genesisTime: 1_700_000_000 })).toEqual(info);
  });
});

describe("drand-client's own verification (fetchBeacon, no network)", () => {
  it("accepts the rounds our beacon signs", async () => {
    const rounds = [1, 2, 3, 1000, 123_456_789, Number.MAX_SAFE_INTEGER];
    const client = memoryClient(info, (round) => signRound(beacon.secretKey, round));
    for (const round of rounds) {
      const fetched = await fetchBeacon(client, round);
      expect(fetched).toEqual(signRound(beacon.secretKey, round));
    }
  });

  it("accepts quicknet's round 1000 and drand-client's own test round, which our verification accepts too", async () => {
    await expect(fetchBeacon(memoryClient(QUICKNET_CHAIN_INFO, () => QUICKNET_ROUND_1000), 1000)).resolves.toEqual(QUICKNET_ROUND_1000);
    await expect(fetchBeacon(memoryClient(WALKTHROUGH_CHAIN_INFO, () => WALKTHROUGH_ROUND_38), 38)).resolves.toEqual(WALKTHROUGH_ROUND_38);
  });

  it("rejects a round signed for another round, under another key, or with the wrong randomness", async () => {
    const other = beaconKeyFromSeed(beaconSeed("another beacon"));
    const cases: ReadonlyArray<(round: number) => SignedRound> = [
      (round) => ({ ...signRound(beacon.secretKey, round + 1), round }) as SignedRound,
      (round) => signRound(other.secretKey, round),
      (round) => ({ ...signRound(beacon.secretKey, round), randomness: signRound(beacon.secretKey, round + 1).randomness }),
    ];
    for (const forge of cases) {
      await quietly(() => expect(fetchBeacon(memoryClient(info, forge), 5)).rejects.toThrow(/not valid/));
    }
  });
});

describe("drand-client over HTTP against our /info and /public endpoints", () => {
  let server: Server;
  let baseUrl: string;

  beforeAll(async () => {
    server = createServer((request, response) => {
      const path = request.url?.split("?")[0] ?? "";
      const round = /^\/public\/(\d+)$/.exec(path)?.[1];
      const body = path === "/info" ? info : path === "/public/latest" ? signRound(beacon.secretKey, 77) : round !== undefined ? signRound(beacon.secretKey, Number(round)) : undefined;
      response.writeHead(body === undefined ? 404 : 200, { "content-type": "application/json" });
      response.end(JSON.stringify(body ?? { error: "not found" }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
  });

  const clientPinnedTo = (chainHashValue: string) => {
    const options = { disableBeaconVerification: false, noCache: false, chainVerificationParams: { chainHash: chainHashValue, publicKey: beacon.publicKey } };
    return new HttpChainClient(new HttpCachingChain(baseUrl, options), options);
  };

  it("accepts our /info pinned to our chain hash and public key, and verifies the rounds it fetches", async () => {
    const client = clientPinnedTo(chainHash(info));
    await expect(client.chain().info()).resolves.toEqual(info);
    for (const round of [1, 2, 500]) await expect(fetchBeacon(client, round)).resolves.toEqual(signRound(beacon.secretKey, round));
    await expect(client.latest()).resolves.toEqual(signRound(beacon.secretKey, 77));
  });

  it("refuses our /info when pinned to another chain hash", async () => {
    await expect(clientPinnedTo(QUICKNET_CHAIN_INFO.hash).chain().info()).rejects.toThrow(/did not match the verification params/);
  });
});

describe("roundAt / roundTime", () => {
  it("agree with drand-client's from genesis on", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3600 }), fc.integer({ min: 0, max: 2 ** 31 }), fc.integer({ min: 0, max: 10 ** 12 }), (period, genesis, offsetMs) => {
        const chain = { ...info, period, genesis_time: genesis } as DrandChainInfo;
        const timeMs = genesis * 1000 + offsetMs;
        const round = roundAt(chain, timeMs);
        expect(round).toBe(drandRoundAt(timeMs, chain as ChainInfo));
        expect(roundTime(chain, round)).toBe(drandRoundTime(chain as ChainInfo, round));
        expect(roundTime(chain, round)).toBeLessThanOrEqual(timeMs);
        expect(roundTime(chain, round + 1)).toBeGreaterThan(timeMs);
      }),
    );
  });

  it("is round 0 before genesis and round 1 at genesis", () => {
    expect(roundAt(info, info.genesis_time * 1000 - 1)).toBe(0);
    expect(roundAt(info, info.genesis_time * 1000)).toBe(1);
    expect(roundTime(info, 1)).toBe(info.genesis_time * 1000);
  });
});
