import { Effect, Either } from "effect";
import { describe, expect, it } from "vitest";
import { FAULT_TOXIC_PREFIX, NETWORK_FAULT_KINDS, parseNetworkFault, toxicsFor, type NetworkFault } from "./faults.ts";

const parse = (kind: string, params: Record<string, string> = {}) => Effect.runSync(Effect.either(parseNetworkFault(kind, params)));

describe("toxicsFor", () => {
  it("maps each fault to named toxics on the streams it acts on", () => {
    expect(toxicsFor({ kind: "latency", ms: 250, jitterMs: 10 })).toEqual([
      { name: "fault-latency-downstream", type: "latency", stream: "downstream", attributes: { latency: 250, jitter: 10 } },
    ]);
    expect(toxicsFor({ kind: "timeout", ms: 0 }).map((t) => [t.type, t.stream])).toEqual([
      ["timeout", "upstream"],
      ["timeout", "downstream"],
    ]);
    expect(toxicsFor({ kind: "reset" })).toEqual([
      { name: "fault-reset-upstream", type: "reset_peer", stream: "upstream", attributes: { timeout: 0 } },
    ]);
    expect(toxicsFor({ kind: "bandwidth", kbPerSecond: 64 }).map((t) => t.attributes)).toEqual([{ rate: 64 }, { rate: 64 }]);
    // `down` disables the proxy instead of adding a toxic.
    expect(toxicsFor({ kind: "down" })).toEqual([]);
  });

  it("names every toxic with the prefix that healing removes, distinct within a fault", () => {
    const faults: NetworkFault[] = [
      { kind: "latency", ms: 1 },
      { kind: "timeout", ms: 1 },
      { kind: "reset", afterMs: 1 },
      { kind: "bandwidth", kbPerSecond: 1 },
    ];
    const names = faults.flatMap((f) => toxicsFor(f).map((t) => t.name ?? ""));
    expect(names.every((n) => n.startsWith(FAULT_TOXIC_PREFIX))).toBe(true);
    expect(new Set(names).size).toBe(names.length);
  });
});

describe("parseNetworkFault", () => {
  it("reads each kind's parameters, with defaults for the optional ones", () => {
    expect(parse("latency", { ms: "200" })).toEqual(Either.right({ kind: "latency", ms: 200, jitterMs: 0 }));
    expect(parse("timeout", { ms: "0" })).toEqual(Either.right({ kind: "timeout", ms: 0 }));
    expect(parse("reset")).toEqual(Either.right({ kind: "reset", afterMs: 0 }));
    expect(parse("bandwidth", { kbPerSecond: "32" })).toEqual(Either.right({ kind: "bandwidth", kbPerSecond: 32 }));
    expect(parse("down")).toEqual(Either.right({ kind: "down" }));
    expect(NETWORK_FAULT_KINDS.every((k) => Either.isRight(parse(k, { ms: "1", kbPerSecond: "1" })))).toBe(true);
  });

  it("rejects unknown kinds, missing and malformed numbers", () => {
    for (const [kind, params] of [
      ["partition", {}],
      ["latency", {}],
      ["latency", { ms: "-5" }],
      ["timeout", { ms: "1.5" }],
      ["bandwidth", { kbPerSecond: "fast" }],
    ] as const) {
      const result = parse(kind, params);
      expect(Either.isLeft(result) && result.left._tag).toBe("InvalidFault");
    }
  });
});
