import { readdirSync, readFileSync } from "node:fs";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { BlockNumber, Hash, Level, NodeIndex, ProverId } from "@zk-testnet/protocol";
import { beaconChainInfo } from "./drand.ts";
import { beaconKeyFromSeed, beaconSeed, beaconSigner, proverKeyFromSeed, proverSeed, signProof, signRound, SIM_BEACON_SCHEME_ID, verifyBeaconRound, verifyProof, verifyRound } from "./index.ts";

const forbidden = (what: string) => () => {
  throw new Error(`${what} was read: keys and signatures must come from the caller's seeds only`);
};

/** Everything the library derives from one run seed. */
const runFrom = (runSeed: string) => {
  const provers = ["prover-0", "prover-1", "prover-2"].map((id) => ({ id, key: proverKeyFromSeed(proverSeed(runSeed, id)) }));
  const statement = {
    block: 3 as BlockNumber,
    level: 0 as Level,
    index: 1 as NodeIndex,
    prover: "prover-1" as ProverId,
    publicInput: "cd".repeat(32) as Hash,
    childProofHashes: [],
  };
  const beacon = beaconKeyFromSeed(beaconSeed(runSeed));
  const rounds = [1, 2, 3].map((round) => signRound(beacon.secretKey, round));
  const sim = beaconSigner(SIM_BEACON_SCHEME_ID, runSeed);
  const simRounds = [1, 2, 3].map((round) => sim.sign(round));
  return {
    publicKeys: provers.map((prover) => prover.key.publicKey),
    signatures: provers.map((prover) => signProof(prover.key, { ...statement, prover: prover.id as ProverId })),
    verified: provers.every((prover) => verifyProof(prover.key.publicKey, { ...statement, prover: prover.id as ProverId }, signProof(prover.key, { ...statement, prover: prover.id as ProverId }))),
    beaconPublicKey: beacon.publicKey,
    rounds,
    roundsVerify: rounds.every((signed) => verifyRound(beacon.publicKey, signed.round, signed.signature)),
    simBeaconPublicKey: sim.publicKey,
    simRounds,
    simRoundsVerify: simRounds.every((signed) => verifyBeaconRound(SIM_BEACON_SCHEME_ID, sim.publicKey, signed)),
    chain: beaconChainInfo({ publicKey: beacon.publicKey, periodSeconds: 2, genesisTime: 0 }),
  };
};

describe("determinism", () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("derives the same keys, signatures, rounds and chain from the same seed, reading no clock and no Math.random", () => {
    vi.spyOn(Math, "random").mockImplementation(forbidden("Math.random"));
    vi.spyOn(Date, "now").mockImplementation(forbidden("Date.now"));
    vi.spyOn(performance, "now").mockImplementation(forbidden("performance.now"));
    // @noble/curves blinds secret scalar multiplications with CSPRNG bytes (a side-channel
    // guard); the results must not depend on them, whatever they are.
    const fillWith = (start: number) => {
      let next = start;
      return <T extends ArrayBufferView | null>(array: T): T => {
        if (array === null) return array;
        const bytes = new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
        for (let i = 0; i < bytes.length; i++) bytes[i] = next++ % 251;
        return array;
      };
    };
    const getRandomValues = vi.spyOn(globalThis.crypto, "getRandomValues").mockImplementation(fillWith(1));
    const first = runFrom("seed-A");
    getRandomValues.mockImplementation(fillWith(97));
    expect(runFrom("seed-A")).toEqual(first);
    expect(first.verified).toBe(true);
    expect(first.roundsVerify).toBe(true);
    expect(first.simRoundsVerify).toBe(true);
    const second = runFrom("seed-B");
    expect(second.publicKeys).not.toEqual(first.publicKeys);
    expect(second.beaconPublicKey).not.toBe(first.beaconPublicKey);
    expect(second.simBeaconPublicKey).not.toBe(first.simBeaconPublicKey);
  });

  it("has no source file that reads the wall clock or an unseeded random source", () => {
    const sources = readdirSync(new URL(".", import.meta.url)).filter((name) => name.endsWith(".ts") && !name.endsWith(".test.ts"));
    expect(sources.length).toBeGreaterThan(0);
    for (const name of sources) {
      const text = readFileSync(new URL(name, import.meta.url), "utf8");
      expect(text, name).not.toMatch(/Math\.random|Date\.now|new Date\(|performance\.now|randomBytes|getRandomValues|generateKeyPair|randomUUID/);
    }
  });
});
