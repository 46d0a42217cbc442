import { createHash } from "node:crypto";
import { describe, expect, it } from "@effect/vitest";
import { Effect, Either } from "effect";
import { makeNetwork } from "@zk-testnet/network";
import { simulate } from "./simulate.ts";

const network = (seed: string, beacon?: { readonly scheme: "bls-unchained-g1-rfc9380" }) =>
  Either.getOrThrow(makeNetwork({ seed, genesisMs: 2_000, slots: 3, provers: 5, txPerBlock: 4, slotMs: 1_000, ...(beacon === undefined ? {} : { beacon }) }));
/** The signatures of the BeaconRound records of a run's JSONL export. */
const roundSignatures = (run: { readonly jsonl: string }): readonly string[] =>
  run.jsonl
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as { readonly topic: string; readonly event: { readonly payload: { readonly signature: string } } })
    .filter((record) => record.topic === "beacon.rounds")
    .map((record) => record.event.payload.signature);
const sha = (text: string) => createHash("sha256").update(text).digest("hex");

describe("simulation under TestClock", () => {
  it.effect("finalizes every block with no wall time spent waiting", () =>
    Effect.gen(function* () {
      const run = yield* simulate(network("sim-1"));
      expect(run.summary.proposed).toBe(3);
      expect(run.summary.finalized).toBe(3);
      expect(run.summary.proofsAccepted).toBe(3 * 7);
    }),
    60_000,
  );

  it.effect("signs beacon rounds in the simulated scheme unless the network names one, and says which it ran", () =>
    Effect.gen(function* () {
      const sim = yield* simulate(network("sim-4"));
      expect(sim.network.beacon.scheme).toBe("sim-ed25519");
      expect(sim.invariants.ok).toBe(true);
      expect(roundSignatures(sim)).toHaveLength(3);
      expect(roundSignatures(sim).every((s) => s.length === 128)).toBe(true);
      const drand = yield* simulate(network("sim-4", { scheme: "bls-unchained-g1-rfc9380" }));
      expect(drand.network.beacon.scheme).toBe("bls-unchained-g1-rfc9380");
      expect(drand.invariants.ok).toBe(true);
      expect(roundSignatures(drand).every((s) => s.length === 96)).toBe(true);
      expect(drand.summary.finalized).toBe(3);
    }),
    60_000,
  );

  it.effect("two runs with the same seed give byte-identical logs", () =>
    Effect.gen(function* () {
      const a = yield* simulate(network("sim-2"));
      const b = yield* simulate(network("sim-2"));
      expect(sha(a.jsonl)).toBe(sha(b.jsonl));
      const c = yield* simulate(network("sim-3"));
      expect(sha(c.jsonl)).not.toBe(sha(a.jsonl));
    }),
    60_000,
  );
});
