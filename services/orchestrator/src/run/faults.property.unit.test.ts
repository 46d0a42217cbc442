import { describe, expect, it } from "@effect/vitest";
import { Effect, Either } from "effect";
import fc from "fast-check";
import { makeNetwork } from "@zk-testnet/network";
import { formatReport } from "@zk-testnet/testkit";
import { PROVER_FAULT_KINDS, type FaultStep } from "./faults.ts";
import { simulate } from "./simulate.ts";

// At least 200 runs in CI; ZKT_PROPERTY_RUNS=N for more.
const RUNS = Number(process.env["ZKT_PROPERTY_RUNS"] ?? 200);
const PROVERS = 6;

const scenario = fc.record({
  seed: fc.string({ minLength: 1, maxLength: 12 }),
  faults: fc.array(
    fc.record({
      kind: fc.constantFrom(...PROVER_FAULT_KINDS),
      prover: fc.integer({ min: 1, max: PROVERS }),
      slot: fc.integer({ min: 0, max: 2 }),
      heal: fc.option(fc.integer({ min: 1, max: 6 }), { nil: undefined }),
    }),
    { maxLength: 2 },
  ),
});

describe("random faults over random provers and seeds (simulation, TestClock)", () => {
  it.effect(
    `the invariant checker finds no violation, and liveness holds where every sibling group keeps an honest live prover (${RUNS} runs)`,
    () =>
      Effect.promise(() =>
        fc.assert(
          fc.asyncProperty(scenario, async ({ seed, faults }) => {
            const network = Either.getOrThrow(makeNetwork({ seed, genesisMs: 2_000, slots: 3, provers: PROVERS, txPerBlock: 4, slotMs: 1_000, params: { provingWindowEpochs: 2 } }));
            const steps: FaultStep[] = faults.map((f) => ({
              kind: f.kind,
              target: `prover-${f.prover}`,
              slot: f.slot,
              ...(f.heal !== undefined ? { slots: f.heal } : {}),
              params: f.kind === "slow" ? { factor: "3" } : {},
            }));
            const run = await Effect.runPromise(simulate(network, steps));
            if (!run.invariants.ok) throw new Error(`seed ${JSON.stringify(seed)}, faults ${JSON.stringify(steps)}:\n${formatReport(run.invariants)}`);
            expect(run.summary.proposed).toBeGreaterThanOrEqual(3);
          }),
          { numRuns: RUNS, seed: 20261122 },
        ),
      ),
    600_000,
  );
});
