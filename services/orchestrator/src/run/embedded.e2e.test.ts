import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "@effect/vitest";
import { Effect, Either } from "effect";
import { makeNetwork } from "@zk-testnet/network";
import { runEmbedded } from "./embedded.ts";

describe("embedded testnet", () => {
  it.live("finalizes 20 blocks with every service in one process, and writes a replayable log", () =>
    Effect.gen(function* () {
      const now = yield* Effect.clockWith((c) => c.currentTimeMillis);
      const network = Either.getOrThrow(makeNetwork({ seed: "e2e-embedded", genesisMs: Math.ceil((now + 1_000) / 1_000) * 1_000, slots: 20, provers: 6, txPerBlock: 8, slotMs: 1_000 }));
      const dir = mkdtempSync(join(tmpdir(), "zkt-e2e-"));
      const logOut = join(dir, "run.jsonl");
      const run = yield* runEmbedded(network, logOut);
      expect(run.outcome).toBe("finalized");
      expect(run.summary.proposed).toBe(20);
      expect(run.summary.finalized).toBe(20);
      expect(run.summary.proofsRejected).toBe(0);
      // 8 leaves + 4 + 2 + 1 merge nodes per block.
      expect(run.summary.proofsAccepted).toBe(20 * 15);
      expect(run.summary.ledger.rewardsPaid).toBeGreaterThan(0n);
      const lines = readFileSync(logOut, "utf8").trim().split("\n");
      expect(lines.filter((l) => l.includes('"type":"BlockFinalized"'))).toHaveLength(20);
      rmSync(dir, { recursive: true, force: true });
    }),
  );
});
