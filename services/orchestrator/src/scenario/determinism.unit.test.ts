import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "@effect/vitest";
import { Effect } from "effect";
import { loadCatalogue } from "./load.ts";
import { runScenario } from "./run.ts";

describe("scenario determinism (simulation)", () => {
  it.effect(
    "two runs of each scenario with the same seed give the same log hash, also when they run side by side",
    () =>
      Effect.gen(function* () {
        const scenarios = yield* loadCatalogue();
        const logDir = mkdtempSync(join(tmpdir(), "zkt-determinism-"));
        const run = (seed: string) => (s: (typeof scenarios)[number]) => runScenario(s, { mode: "sim", seed, logDir });
        const pairs = yield* Effect.forEach(scenarios, (s) => Effect.all([run("determinism")(s), run("determinism")(s)], { concurrency: 2 }), { concurrency: 2 });
        for (const [a, b] of pairs) {
          expect(a.error, `${a.scenario}: ${a.error}`).toBeUndefined();
          expect(a.logHash).toMatch(/^[0-9a-f]{64}$/);
          expect(b.logHash, a.scenario).toBe(a.logHash);
        }
        const other = yield* run("determinism-2")(scenarios[0]!);
        expect(other.logHash).not.toBe(pairs[0]![0].logHash);
      }),
    600_000,
  );
});
