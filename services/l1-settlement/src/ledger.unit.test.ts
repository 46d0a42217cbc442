import { describe, expect, it } from "vitest";
import type { ProverId } from "@zk-testnet/protocol";
import { bond, burnStake, checkLedger, escrowTotal, genesisLedger, mintTo, releaseEscrow, takeStake } from "./ledger.ts";

const a = "prover-a" as ProverId;
const b = "prover-b" as ProverId;

describe("ledger", () => {
  const genesis = genesisLedger([
    { id: a, stake: 500n },
    { id: b, stake: 300n },
  ]);

  it("funds each prover with exactly its stake at genesis", () => {
    expect(genesis).toEqual({ balances: { [a]: 500n, [b]: 300n }, stakes: {}, burned: 0n, initialSupply: 800n, minted: 0n });
    expect(checkLedger({ ledger: genesis })).toEqual([]);
  });

  it("bonds from the balance into the stake, never more than the balance", () => {
    const bonded = bond(genesis, a, 500n);
    if (bonded === undefined) return expect.unreachable("a balance of 500 bonds 500");
    expect(bonded.balances[a]).toBe(0n);
    expect(bonded.stakes[a]).toBe(500n);
    expect(checkLedger({ ledger: bonded })).toEqual([]);
    expect(bond(bonded, a, 1n)).toBeUndefined();
    expect(bond(genesis, "stranger", 1n)).toBeUndefined();
    expect(bond(genesis, a, -1n)).toBeUndefined();
  });

  it("mints payments into balances and counts them as minted", () => {
    const paid = mintTo(genesis, [
      { prover: a, amount: 7n },
      { prover: "newcomer", amount: 5n },
      { prover: a, amount: 1n },
    ]);
    expect(paid.balances).toEqual({ [a]: 508n, [b]: 300n, newcomer: 5n });
    expect(paid.minted).toBe(13n);
    expect(checkLedger({ ledger: paid })).toEqual([]);
  });

  it("names every violation", () => {
    expect(checkLedger({ ledger: { ...genesis, minted: 1n } })).toHaveLength(1);
    expect(checkLedger({ ledger: { ...genesis, balances: { [a]: -1n, [b]: 801n } } })).toEqual([expect.stringMatching(/balance of prover-a is negative/)]);
    expect(checkLedger({ ledger: { ...genesis, burned: -5n, initialSupply: 795n } })).toEqual([expect.stringMatching(/burned is negative/)]);
  });

  const staked = bond(bond(genesis, a, 500n) ?? genesis, b, 300n) ?? genesis;

  it("burns a slash at once: from the stake to burned", () => {
    const burned = burnStake(staked, a, 250n);
    expect(burned.stakes[a]).toBe(250n);
    expect(burned.burned).toBe(250n);
    expect(checkLedger({ ledger: burned })).toEqual([]);
  });

  it("counts a slash held in escrow until it is released: bounty to the taker, the rest burned", () => {
    const taken = takeStake(staked, a, 50n);
    expect(checkLedger({ ledger: taken })).toEqual([expect.stringMatching(/escrow 0 = 750, not initial supply 800/)]);
    const held = { "7": [{ prover: a, amount: 50n }] };
    expect(escrowTotal(held)).toBe(50n);
    expect(checkLedger({ ledger: taken, held })).toEqual([]);

    const released = releaseEscrow(taken, 50n, { prover: b, amount: 25n });
    expect(released.balances[b]).toBe(25n);
    expect(released.burned).toBe(25n);
    expect(checkLedger({ ledger: released, held: {} })).toEqual([]);
    expect(releaseEscrow(taken, 50n).burned).toBe(50n);
    expect(checkLedger({ ledger: releaseEscrow(taken, 50n) })).toEqual([]);
  });

  it("names a negative escrow entry", () => {
    expect(checkLedger({ ledger: takeStake(staked, a, -5n), held: { "7": [{ prover: a, amount: -5n }] } })).toEqual([
      expect.stringMatching(/escrow of prover-a for block 7 is negative/),
    ]);
  });
});
