import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "@effect/vitest";
import { Duration, Effect, Either } from "effect";
import { makeNetwork } from "@zk-testnet/network";
import { replayLog } from "../commands/replay.ts";
import { KAFKA_MODE_LEAD_MS } from "../commands/up.ts";
import { runProcesses } from "./processes.ts";

const network = (seed: string, slots: number) =>
  Effect.map(Effect.clockWith((c) => c.currentTimeMillis), (now) =>
    // Slot 0 as `testnet up` sets it: five Node processes start and register provers first.
    Either.getOrThrow(makeNetwork({ seed, genesisMs: Math.ceil((now + KAFKA_MODE_LEAD_MS) / 1_000) * 1_000, slots, provers: 6, txPerBlock: 4, slotMs: 1_000 })),
  );

describe("kafka mode: one process per service over a real broker", () => {
  it.live("finalizes 10 blocks, and `replay` of its log gives the same ledger totals", () =>
    Effect.gen(function* () {
      const dir = mkdtempSync(join(tmpdir(), "zkt-kafka-e2e-"));
      const logOut = join(dir, "run.jsonl");
      const net = yield* network("e2e-kafka", 10);
      const run = yield* runProcesses(net, { logOut });
      expect(run.outcome).toBe("finalized");
      expect(run.summary.finalized).toBe(10);
      const replayed = yield* replayLog(readFileSync(logOut, "utf8"), run.network);
      expect(replayed.summary.finalized).toBe(10);
      expect(replayed.summary.ledger).toEqual(run.summary.ledger);
      rmSync(dir, { recursive: true, force: true });
    }),
  );

  it.live("a prover process SIGKILLed while its provers hold assigned leaves: siblings take over, each miss is slashed once, every block finalizes", () =>
    Effect.gen(function* () {
      const dir = mkdtempSync(join(tmpdir(), "zkt-kafka-prover-crash-"));
      const logOut = join(dir, "run.jsonl");
      const net = yield* network("e2e-prover-crash", 8);
      let victims: readonly string[] = [];
      const run = yield* runProcesses(net, {
        logOut,
        proverProcesses: 3,
        during: (control) =>
          Effect.gen(function* () {
            // Once block 1's leaves are handed out (a condition, polled), kill one of the three pool processes.
            while (!((control.report.blocks.get(1)?.assigned ?? 0) > 0)) yield* Effect.sleep(Duration.millis(50));
            victims = control.proversOf("prover-pool-1");
            yield* control.kill("prover-pool-1");
          }),
      });
      expect(victims.length).toBe(2);
      expect(run.outcome).toBe("finalized");
      expect(run.summary.finalized).toBe(8);
      expect(run.invariants.violations).toEqual([]);
      const events = readFileSync(logOut, "utf8")
        .trim()
        .split("\n")
        .map((l) => (JSON.parse(l) as { event: { type: string; payload: Record<string, unknown> } }).event);
      const missed = events.filter((e) => e.type === "NodeDeadlineMissed");
      // The victims held leaves of the epoch's later blocks (its eligible set is fixed): they missed them, nobody else did.
      expect(missed.length).toBeGreaterThan(0);
      for (const m of missed) expect(victims).toContain(m.payload["prover"]);
      expect(events.filter((e) => e.type === "TakeoverOpened").length).toBeGreaterThanOrEqual(missed.length);
      const slashes = events.filter((e) => e.type === "ProverSlashed").map((e) => JSON.stringify([e.payload["prover"], e.payload["reason"], e.payload["block"], e.payload["level"], e.payload["index"]]));
      expect(new Set(slashes).size).toBe(slashes.length);
      const missSlashes = events.filter((e) => e.type === "ProverSlashed" && e.payload["reason"] === "missed");
      expect(missSlashes.length).toBe(missed.length);
      for (const s of missSlashes) expect(victims).toContain(s.payload["prover"]);
      const crashes = events.filter((e) => e.type === "FaultInjected" && e.payload["fault"] === "crash").map((e) => e.payload["target"]);
      expect([...crashes].sort()).toEqual([...victims].sort());
      rmSync(dir, { recursive: true, force: true });
    }),
  );
});
