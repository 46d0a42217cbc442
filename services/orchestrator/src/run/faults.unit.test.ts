import { Either } from "effect";
import { describe, expect, it } from "vitest";
import { makeNetwork } from "@zk-testnet/network";
import { faultEvents, parseFaultSpec } from "./faults.ts";

const network = Either.getOrThrow(makeNetwork({ seed: "f", genesisMs: 0, slots: 10, provers: 8 }));

describe("fault spec", () => {
  it("parses kinds, targets, slots, heal times and parameters", () => {
    expect(parseFaultSpec("crash:prover-3@slot5,invalid:prover-7@slot2", network)).toEqual([
      { kind: "crash", target: "prover-3", slot: 5, params: {} },
      { kind: "invalid", target: "prover-7", slot: 2, params: {} },
    ]);
    expect(parseFaultSpec("slow:prover-2@slot1+4?factor=3", network)).toEqual([{ kind: "slow", target: "prover-2", slot: 1, slots: 4, params: { factor: "3" } }]);
  });

  it.each([
    ["explode:prover-1@slot1", /unknown fault kind/],
    ["crash:prover-99@slot1", /unknown prover "prover-99"/],
    ["crash:prover-1", /expected KIND:TARGET@slotN/],
    ["slow:prover-1@slot1?factor=-2", /factor > 0/],
  ])("rejects %s with a clear message", (spec, message) => {
    expect(parseFaultSpec(spec, network)).toMatch(message);
  });

  it("orders injections and heals by slot", () => {
    const steps = parseFaultSpec("crash:prover-3@slot5+2,invalid:prover-7@slot2", network);
    expect(Array.isArray(steps) && faultEvents(steps).map((e) => [e.type, e.at])).toEqual([
      ["FaultInjected", 2],
      ["FaultInjected", 5],
      ["FaultHealed", 7],
    ]);
  });
});
