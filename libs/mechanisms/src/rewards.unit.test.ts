import type { BlockNumber, ProverId, TxCount } from "@zk-testnet/protocol";
import { Either } from "effect";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DEFAULT_PROTOCOL_PARAMS } from "./params.ts";
import {
  blockPayout,
  rewardOfNode,
  rewardsByProver,
  slashAmount,
  slashForFault,
  splitBlockReward,
  splitSlash,
  uncleReward,
  type ProducedNode,
  type RewardSplit,
} from "./rewards.ts";
import { provableNodes, rootLevel } from "./tree.ts";

const block = 3 as BlockNumber;
const prover = (k: number): ProverId => `prover-${k}` as ProverId;

/** Every provable node of a T-transaction tree, produced by a random prover, some by takeover. */
const producersOf = (txCount: TxCount) =>
  fc.array(fc.record({ prover: fc.integer({ min: 0, max: 5 }).map(prover), takeover: fc.boolean() }), {
    minLength: provableNodes(block, txCount).length,
    maxLength: provableNodes(block, txCount).length,
  }).map((choices): ProducedNode[] => {
    const nodes = provableNodes(block, txCount);
    return choices.map((choice, k) => ({ level: nodes[k]?.level ?? 0, index: nodes[k]?.index ?? 0, ...choice }));
  });

const splits = fc
  .integer({ min: 1, max: 70 })
  .map((t) => t as TxCount)
  .chain((txCount) =>
    fc.record({
      txCount: fc.constant(txCount),
      producers: producersOf(txCount),
      amount: fc.bigInt({ min: 0n, max: 10n ** 27n }),
      params: fc.record({ leafWeight: fc.nat(5), mergeWeight: fc.nat(5), takeoverPaid: fc.boolean() }),
    }),
  );

const split = (input: Parameters<typeof splitBlockReward>[0]): RewardSplit => Either.getOrThrow(splitBlockReward(input));

describe("splitBlockReward", () => {
  it("pays out exactly the distributed amount, paid + withheld, for any tree and weights", () => {
    fc.assert(
      fc.property(splits, ({ txCount, producers, amount, params }) => {
        const result = split({ block, txCount, amount, producers, params });
        expect(result.rewards.reduce((sum, r) => sum + r.amount, 0n)).toBe(amount);
        expect(result.paid + result.withheld).toBe(amount);
        expect(rewardsByProver(result).reduce((sum, r) => sum + r.amount, 0n)).toBe(result.paid);
        for (const reward of result.rewards) {
          expect(reward.amount >= 0n).toBe(true);
          expect(reward.paid).toBe(!reward.takeover || params.takeoverPaid);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("splits by weight, the rounding remainder to the root", () => {
    fc.assert(
      fc.property(splits, ({ txCount, producers, amount, params }) => {
        const result = split({ block, txCount, amount, producers, params });
        const weightOf = (level: number) => BigInt(level === 0 ? params.leafWeight : params.mergeWeight);
        const totalWeight = result.rewards.reduce((sum, r) => sum + weightOf(r.node.level), 0n);
        for (const reward of result.rewards) {
          const share = totalWeight === 0n ? 0n : (amount * weightOf(reward.node.level)) / totalWeight;
          if (reward.node.level !== rootLevel(txCount)) expect(reward.amount).toBe(share);
          else if (totalWeight === 0n) expect(reward.amount).toBe(amount);
          else expect(reward.amount - share < BigInt(result.rewards.length)).toBe(true);
        }
      }),
      { numRuns: 200 },
    );
  });

  it("T = 2, 10 units over three nodes of weight 1: 3 + 3 to the leaves, 4 to the root", () => {
    const producers: ProducedNode[] = [
      { level: 0, index: 0, prover: prover(1), takeover: false },
      { level: 0, index: 1, prover: prover(2), takeover: false },
      { level: 1, index: 0, prover: prover(1), takeover: false },
    ];
    const result = split({ block, txCount: 2 as TxCount, amount: 10n, producers, params: DEFAULT_PROTOCOL_PARAMS });
    expect(result.rewards.map((r) => r.amount)).toEqual([3n, 3n, 4n]);
    expect(rewardsByProver(result)).toEqual([
      { prover: prover(1), amount: 7n },
      { prover: prover(2), amount: 3n },
    ]);
    expect(rewardOfNode(result, { level: 0, index: 1 })).toBe(3n);
  });

  it("withholds a takeover node's reward unless takeoverPaid is on", () => {
    const producers: ProducedNode[] = [{ level: 0, index: 0, prover: prover(1), takeover: true }];
    const off = split({ block, txCount: 1 as TxCount, amount: 9n, producers, params: DEFAULT_PROTOCOL_PARAMS });
    expect([off.paid, off.withheld, off.rewards[0]?.paid]).toEqual([0n, 9n, false]);
    const on = split({ block, txCount: 1 as TxCount, amount: 9n, producers, params: { ...DEFAULT_PROTOCOL_PARAMS, takeoverPaid: true } });
    expect([on.paid, on.withheld, on.rewards[0]?.paid]).toEqual([9n, 0n, true]);
  });

  it("refuses a tree with missing, padding or duplicate producers", () => {
    const producers: ProducedNode[] = [
      { level: 0, index: 0, prover: prover(1), takeover: false },
      { level: 0, index: 0, prover: prover(2), takeover: false },
      { level: 0, index: 3, prover: prover(1), takeover: false },
      { level: 1, index: 0, prover: prover(1), takeover: false },
    ];
    const result = splitBlockReward({ block, txCount: 3 as TxCount, amount: 10n, producers, params: DEFAULT_PROTOCOL_PARAMS });
    expect(Either.isLeft(result) && result.left).toMatchObject({
      _tag: "IncompleteProofTree",
      missing: [
        { level: 0, index: 1 },
        { level: 0, index: 2 },
        { level: 1, index: 1 },
        { level: 2, index: 0 },
      ],
      unexpected: [
        { level: 0, index: 0 },
        { level: 0, index: 3 },
      ],
    });
  });
});

describe("blockPayout", () => {
  it("pays the prover share of the fees plus the block reward", () => {
    expect(blockPayout(1_001n, { proverShareBps: 5_000, blockReward: 100n })).toEqual({ proverShare: 500n, blockReward: 100n, distributed: 600n, feesRetained: 501n });
    expect(blockPayout(1_001n, DEFAULT_PROTOCOL_PARAMS)).toMatchObject({ proverShare: 1_001n, feesRetained: 0n });
  });
});

describe("slashing", () => {
  it("slash, bounty and burn add up for any stake and rates", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 30n }), fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: 0, max: 10_000 }), fc.boolean(), (stake, slashBps, bountyBps, hasTaker) => {
        const slash = slashAmount(stake, slashBps);
        expect(slash >= 0n && slash <= stake).toBe(true);
        const { bounty, burned } = splitSlash(slash, { bountyBps }, hasTaker);
        expect(bounty + burned).toBe(slash);
        expect(bounty >= 0n && burned >= 0n).toBe(true);
        if (!hasTaker) expect(burned).toBe(slash);
      }),
      { numRuns: 300 },
    );
  });

  it("uses PROTOCOL.md's defaults: 10% for a miss, 50% for an invalid proof, half of it to the taker", () => {
    expect(slashForFault("missed", 1_000_005n, DEFAULT_PROTOCOL_PARAMS)).toBe(100_000n);
    expect(slashForFault("invalid", 1_000_005n, DEFAULT_PROTOCOL_PARAMS)).toBe(500_002n);
    expect(splitSlash(100_001n, DEFAULT_PROTOCOL_PARAMS)).toEqual({ bounty: 50_000n, burned: 50_001n });
    expect(uncleReward(333n, DEFAULT_PROTOCOL_PARAMS)).toBe(166n);
  });
});
