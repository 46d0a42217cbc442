import { describe, expect, it } from "@effect/vitest";
import { Effect, Either } from "effect";
import { loadCatalogue, networkOptions, faultSteps, parseScenario, scenarioNames, scenarioNetwork, type ScenarioError } from "./load.ts";

const GOOD = `
name: example
description: a small scenario
network:
  provers:
    - { stake: 400000000, speed: 0.5 }
    - {}
    - { fee: "12", fault: { kind: slow, params: { factor: 3 } } }
  txPerBlock: 4
  slotMs: 1000
  params: { epochSlots: 4, provingWindowEpochs: 2, blockReward: "5000" }
slots: 3
faults:
  - { kind: crash, target: prover-2, at: 1, for: 2 }
expect:
  allFinalized: true
  slashed: [{ prover: prover-2, times: 1, reason: missed }]
`;

/** The scenario with one line replaced (matched by its start after indentation). */
const edit = (from: string, to: string): string => {
  if (!GOOD.includes(from)) throw new Error(`no "${from}" in the example`);
  return GOOD.replace(from, to);
};

const errorOf = (text: string): ScenarioError => {
  const parsed = parseScenario(text, "e2e/scenarios/example.yaml");
  if (Either.isRight(parsed)) throw new Error("expected the scenario to be rejected");
  return parsed.left;
};

describe("scenario files", () => {
  it("decode with their defaults and map to a network and a fault schedule", () => {
    const s = Either.getOrThrow(parseScenario(GOOD, "example.yaml"));
    expect(s.seeds).toBe(20);
    expect(s.modes).toEqual(["sim"]);
    expect(s.expect.slashed).toEqual([{ prover: "prover-2", times: 1, reason: "missed" }]);
    const options = networkOptions(s, "7", 2_000);
    expect(options.overrides).toEqual({ "prover-1": { stake: 400_000_000n, speed: 0.5 }, "prover-3": { fee: 12n } });
    expect(options.faults).toEqual([{ fault: "slow", target: "prover-3", params: { factor: "3" } }]);
    const network = scenarioNetwork(s, "7", 2_000);
    expect(network.provers.map((p) => p.id)).toEqual(["prover-1", "prover-2", "prover-3"]);
    expect(network.provers[0]?.stake).toBe(400_000_000n);
    expect(network.params).toMatchObject({ epochSlots: 4, provingWindowEpochs: 2, txPerBlock: 4, slotMs: 1_000, blockReward: 5_000n });
    expect(faultSteps(s)).toEqual([{ kind: "crash", target: "prover-2", slot: 1, slots: 2, params: {} }]);
  });

  it.each([
    ["a wrongly typed stake", edit("{ stake: 400000000, speed: 0.5 }", "{ stake: lots }"), /example\.yaml:6: network\.provers\[0\]\.stake: must be a whole number/],
    ["a misspelt expectation", edit("allFinalized: true", "allFinalised: true"), /example\.yaml:16: expect\.allFinalised: is not a field here/],
    ["a stake of 0", edit("{ stake: 400000000, speed: 0.5 }", "{ stake: 0 }"), /example\.yaml:6: network\.provers\[0\]\.stake: must be above 0/],
    ["faults that are no list", edit("faults:\n  - { kind: crash, target: prover-2, at: 1, for: 2 }", "faults: { kind: crash }"), /example\.yaml:13: faults: must be a list$/],
    ["a file that is no mapping", "- just\n- a list\n", /example\.yaml:1: must be a YAML mapping of name, description/],
    ["a missing field", edit("slots: 3\n", ""), /example\.yaml:\d+: slots: is missing/],
    ["an unknown fault kind", edit("kind: crash", "kind: explode"), /faults\[0\]\.kind: must be a fault kind/],
    ["a fault on a prover the network lacks", edit("target: prover-2", "target: prover-9"), /:14: faults\[0\]: unknown prover "prover-9"/],
    ["a bound without bounds", edit("allFinalized: true", "takeovers: { step: open }"), /expect\.takeovers: needs atLeast or atMost/],
    ["bounds the wrong way round", edit("allFinalized: true", "uncles: { atLeast: 3, atMost: 1 }"), /expect\.uncles: atLeast \(3\) is above atMost \(1\)/],
    ["a slash expected of a prover the network lacks", edit("prover: prover-2, times: 1", "prover: prover-4, times: 1"), /:17: expect\.slashed\[0\]\.prover: prover-4 is not in the network/],
    ["a bad protocol parameter", edit("epochSlots: 4", "epochSlots: 0"), /:11: network\.params\.epochSlots: must be a positive integer/],
    ["a window too short for the tree", edit("provingWindowEpochs: 2", "provingWindowEpochs: 1"), /network\.params\.provingWindowEpochs: the window \(4 slots\) is shorter/],
    ["a slot the beacon cannot express", edit("slotMs: 1000", "slotMs: 1500"), /network\.slotMs: must be a multiple of 1000/],
    ["an unknown mode", edit("slots: 3\n", "slots: 3\nmodes: [sim, cloud]\n"), /modes\[1\]: must be one of sim, embedded, kafka, containers/],
    ["a fault profile that is no profile", edit("kind: slow, params", "kind: sleepy, params"), /network\.provers\[2\]\.fault: must be a prover fault profile/],
    ["a fault profile with a bad parameter", edit("factor: 3", "factor: -3"), /:8: network\.provers\[2\]\.fault: slow needs factor > 0/],
    ["YAML that does not parse", edit("slots: 3", "slots: [3"), /example\.yaml:\d+: not valid YAML/],
    ["a duplicate key", edit("slots: 3", "slots: 3\nslots: 4"), /not valid YAML: Map keys must be unique/],
  ])("rejects %s, naming the file, line and field", (_what, text, message) => {
    const error = errorOf(text);
    expect(error._tag).toBe("ScenarioError");
    expect(error.message).toMatch(message);
  });

  it("reports every bad field at once", () => {
    const error = errorOf(edit("allFinalized: true", "allFinalized: yes\n  nakamoto: { atMost: -1 }"));
    expect(error.issues.map((i) => i.path)).toEqual(["expect.allFinalized", "expect.nakamoto.atMost"]);
  });

  it.effect("every file of the catalogue loads and is named after its file", () =>
    Effect.gen(function* () {
      const scenarios = yield* loadCatalogue();
      expect(scenarios.map((s) => s.name)).toEqual(scenarioNames());
      expect(scenarios.length).toBeGreaterThanOrEqual(9);
      for (const s of scenarios) expect(s.file).toBe(`e2e/scenarios/${s.name}.yaml`);
    }),
  );
});
