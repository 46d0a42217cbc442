import { createHash } from "node:crypto";
import { describe, expect, it } from "@effect/vitest";
import { Effect, Either } from "effect";
import { makeNetwork } from "@zk-testnet/network";
import { simulate } from "./simulate.ts";

const network = (seed: string) => Either.getOrThrow(makeNetwork({ seed, genesisMs: 2_000, slots: 3, provers: 5, txPerBlock: 4, slotMs: 1_000 }));
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
