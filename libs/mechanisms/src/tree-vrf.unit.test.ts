import { createHash } from "node:crypto";
import type { BlockNumber, Hash, ProverId, TxCount } from "@zk-testnet/protocol";
import { Either } from "effect";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { chiSquareCriticalValue, chiSquareStatistic } from "./stats.ts";
import { childrenOf, isPadding, levelWidth, nodeAt, rootLevel } from "./tree.ts";
import {
  assignedNodes,
  assignedProver,
  assignTreeVrf,
  leafSeedBytes,
  mergeSeedBytes,
  type Assignment,
  type EligibleProver,
  type TreeVrfInput,
  type Weighting,
} from "./tree-vrf.ts";

const sha256Hex = (text: string): Hash => createHash("sha256").update(text).digest("hex") as Hash;
const prover = (id: string): ProverId => id as ProverId;
const assign = (input: TreeVrfInput): Assignment => Either.getOrThrow(assignTreeVrf(input));

const eligibleSets = fc.uniqueArray(
  fc.record({ prover: fc.integer({ min: 0, max: 999 }).map((n) => prover(`prover-${n}`)), stake: fc.bigInt({ min: 1n, max: 10n ** 24n }) }),
  { minLength: 1, maxLength: 12, selector: (m) => m.prover },
);
const inputs = fc.record({
  randomness: fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b).toString("hex") as Hash),
  eligible: eligibleSets,
  block: fc.nat(1_000_000).map((b) => b as BlockNumber),
  txCount: fc.integer({ min: 1, max: 40 }).map((t) => t as TxCount),
  weighting: fc.constantFrom<Weighting>("stake", "uniform"),
});

describe("assignTreeVrf: properties", () => {
  it("same inputs give the same assignment, in any order of the eligible set", () => {
    fc.assert(
      fc.property(inputs.chain((input) => fc.shuffledSubarray(input.eligible, { minLength: input.eligible.length }).map((shuffled) => ({ input, shuffled }))), ({ input, shuffled }) => {
        const first = assign(input);
        expect(assign(input)).toEqual(first);
        expect(assign({ ...input, eligible: shuffled })).toEqual(first);
      }),
      { numRuns: 200 },
    );
  });

  it("every merge node's prover is one of its children's provers", () => {
    fc.assert(
      fc.property(inputs, (input) => {
        const assignment = assign(input);
        for (const { node, prover: assignee } of assignedNodes(assignment)) {
          const children = childrenOf(node);
          if (children === undefined) continue;
          const childProvers = children.map((c) => assignedProver(assignment, c)).filter((p) => p !== undefined);
          expect(childProvers).toContain(assignee);
        }
      }),
      { numRuns: 200 },
    );
  });

  it("padding nodes have no prover and every other node has an eligible one", () => {
    fc.assert(
      fc.property(inputs, (input) => {
        const assignment = assign(input);
        const members = new Set(input.eligible.map((m) => m.prover));
        for (let level = 0; level <= rootLevel(input.txCount); level++) {
          for (let index = 0; index < levelWidth(input.txCount, level); index++) {
            const assignee = assignedProver(assignment, { level, index });
            if (isPadding(input.txCount, { level, index })) expect(assignee).toBeUndefined();
            else expect(members.has(assignee as ProverId)).toBe(true);
          }
        }
      }),
      { numRuns: 200 },
    );
  });

  it("a prover with zero stake never gets a leaf under stake weighting", () => {
    fc.assert(
      fc.property(inputs, (input) => {
        const eligible = [...input.eligible, { prover: prover("zero-stake"), stake: 0n }];
        const assignment = assign({ ...input, eligible, weighting: "stake" });
        expect(assignedNodes(assignment).map((a) => a.prover)).not.toContain("zero-stake");
      }),
      { numRuns: 200 },
    );
  });
});

describe("assignTreeVrf: encoding", () => {
  const R = sha256Hex("zk-testnet/tree-vrf/golden");

  it("hashes R ‖ tag ‖ 8-byte big-endian integers", () => {
    expect(leafSeedBytes(R, 7, 3).toString("hex")).toBe(`${R}${Buffer.from("leaf").toString("hex")}${"0".repeat(15)}7${"0".repeat(15)}3`);
    expect(mergeSeedBytes(R, 7, 2, 1)).toHaveLength(61);
  });

  it("golden vector: block 7, T = 5, three provers (recomputed independently)", () => {
    const eligible: EligibleProver[] = [
      { prover: prover("carol"), stake: 5_000n },
      { prover: prover("alice"), stake: 1_000n },
      { prover: prover("bob"), stake: 3_000n },
    ];
    const assignment = assign({ randomness: R, eligible, block: 7 as BlockNumber, txCount: 5 as TxCount, weighting: "stake" });
    expect(assignment.levels).toEqual(GOLDEN_LEVELS);
  });
});

describe("assignTreeVrf: typed errors, never a throw", () => {
  const base: TreeVrfInput = {
    randomness: sha256Hex("errors"),
    eligible: [{ prover: prover("p1"), stake: 10n }],
    block: 1 as BlockNumber,
    txCount: 4 as TxCount,
    weighting: "stake",
  };
  const tagOf = (input: TreeVrfInput): string => Either.match(assignTreeVrf(input), { onLeft: (e) => e._tag, onRight: () => "assigned" });

  it.each([
    ["an empty eligible set", { eligible: [] }, "EmptyEligibleSet"],
    ["zero total stake", { eligible: [{ prover: prover("p1"), stake: 0n }] }, "ZeroTotalStake"],
    ["a duplicate prover", { eligible: [...base.eligible, { prover: prover("p1"), stake: 3n }] }, "InvalidEligibleSet"],
    ["a negative stake", { eligible: [{ prover: prover("p2"), stake: -1n }] }, "InvalidEligibleSet"],
    ["randomness that is not a hash", { randomness: "abc" as Hash }, "InvalidAssignmentInput"],
    ["a zero txCount", { txCount: 0 as TxCount }, "InvalidAssignmentInput"],
  ] as const)("%s", (_name, patch, tag) => {
    expect(tagOf({ ...base, ...patch })).toBe(tag);
  });

  it("zero stakes are fine under uniform weighting", () => {
    expect(tagOf({ ...base, eligible: [{ prover: prover("p1"), stake: 0n }], weighting: "uniform" })).toBe("assigned");
  });
});

// Goodness of fit: 2,000 blocks × 8 leaves = 16,000 leaf draws, R_b = SHA-256("chi-square/<b>").
const ALPHA = 0.001;
const stakes: EligibleProver[] = [1n, 2n, 3n, 4n, 10n].map((share, k) => ({ prover: prover(`prover-${k}`), stake: share * 10n ** 18n }));

const leafCounts = (weighting: Weighting): number[] => {
  const counts = new Map(stakes.map((m) => [m.prover, 0]));
  for (let b = 0; b < 2_000; b++) {
    const assignment = assign({ randomness: sha256Hex(`chi-square/${b}`), eligible: stakes, block: b as BlockNumber, txCount: 8 as TxCount, weighting });
    for (let i = 0; i < 8; i++) {
      const assignee = assignedProver(assignment, nodeAt(b as BlockNumber, 0, i)) as ProverId;
      counts.set(assignee, (counts.get(assignee) ?? 0) + 1);
    }
  }
  return stakes.map((m) => counts.get(m.prover) ?? 0);
};

describe("assignTreeVrf: leaf shares (chi-square goodness of fit)", () => {
  const critical = chiSquareCriticalValue(ALPHA, stakes.length - 1);
  const totalStake = stakes.reduce((sum, m) => sum + m.stake, 0n);
  const stakeExpected = stakes.map((m) => (16_000 * Number((m.stake * 1_000_000n) / totalStake)) / 1_000_000);
  const uniformExpected = stakes.map(() => 16_000 / stakes.length);

  it(`stake weighting: leaf counts match stake shares at α = ${ALPHA} (Wilson–Hilferty critical value, 4 degrees of freedom)`, () => {
    const observed = leafCounts("stake");
    const statistic = chiSquareStatistic(observed, stakeExpected);
    expect(statistic, `observed ${observed.join(",")}, χ² = ${statistic.toFixed(2)}, critical ${critical.toFixed(2)}`).toBeLessThan(critical);
    // The test has power: the same counts are nowhere near a uniform split.
    expect(chiSquareStatistic(observed, uniformExpected)).toBeGreaterThan(100 * critical);
  });

  it(`uniform weighting: leaf counts are equal whatever the stakes, at α = ${ALPHA} (4 degrees of freedom)`, () => {
    const observed = leafCounts("uniform");
    const statistic = chiSquareStatistic(observed, uniformExpected);
    expect(statistic, `observed ${observed.join(",")}, χ² = ${statistic.toFixed(2)}, critical ${critical.toFixed(2)}`).toBeLessThan(critical);
    expect(chiSquareStatistic(observed, stakeExpected)).toBeGreaterThan(100 * critical);
  });
});

// Computed by a separate script (Python hashlib) from the encoding documented in tree-vrf.ts.
const GOLDEN_LEVELS: readonly (readonly (string | null)[])[] = [
  ["carol", "carol", "alice", "bob", "alice", null, null, null],
  ["carol", "bob", "alice", null],
  ["bob", "alice"],
  ["bob"],
];
