import { recordOf, setEntry } from "@zk-testnet/actors";
import type { ProverId } from "@zk-testnet/protocol";

/**
 * The mock L1's accounts, in the smallest unit. Every amount moves only by a recorded event
 * and at every point: sum of balances + sum of stakes + burned + escrow = initial supply +
 * minted, where escrow is what the L1 holds of missed-deadline slashes until their block is
 * finalized or reorged out (kept next to the ledger, see `checkLedger`).
 */
export interface Ledger {
  /** By prover; balances and stakes are updated with `setEntry`, which shares structure (a registration must not copy every account). */
  readonly balances: Readonly<Record<string, bigint>>;
  readonly stakes: Readonly<Record<string, bigint>>;
  /** Taken out of circulation (the burned part of slashes). */
  readonly burned: bigint;
  /** What the genesis accounts held: each network prover starts funded with exactly its stake. */
  readonly initialSupply: bigint;
  /** Created since genesis: the fees and block rewards paid to provers. */
  readonly minted: bigint;
}

export const genesisLedger = (provers: readonly { readonly id: ProverId; readonly stake: bigint }[]): Ledger => ({
  balances: recordOf(provers.map((p) => [p.id, p.stake] as const)),
  stakes: {},
  burned: 0n,
  initialSupply: provers.reduce((sum, p) => sum + p.stake, 0n),
  minted: 0n,
});

export const balanceOf = (ledger: Ledger, prover: string): bigint => ledger.balances[prover] ?? 0n;
export const stakeOf = (ledger: Ledger, prover: string): bigint => ledger.stakes[prover] ?? 0n;

/** Moves `amount` from the prover's balance to its stake; undefined when the balance is short. */
export const bond = (ledger: Ledger, prover: string, amount: bigint): Ledger | undefined => {
  const balance = balanceOf(ledger, prover);
  if (amount < 0n || balance < amount) return undefined;
  return {
    ...ledger,
    balances: setEntry(ledger.balances, prover, balance - amount),
    stakes: setEntry(ledger.stakes, prover, stakeOf(ledger, prover) + amount),
  };
};

/** Mints each payment into its prover's balance. */
export const mintTo = (ledger: Ledger, payments: readonly { readonly prover: string; readonly amount: bigint }[]): Ledger => {
  let balances = ledger.balances;
  let minted = ledger.minted;
  for (const { prover, amount } of payments) {
    balances = setEntry(balances, prover, (balances[prover] ?? 0n) + amount);
    minted += amount;
  }
  return { ...ledger, balances, minted };
};

/**
 * Takes `amount` (at most the stake) out of the prover's stake. The caller puts it in escrow
 * or burns it: on its own this breaks the invariant by exactly `amount`.
 */
export const takeStake = (ledger: Ledger, prover: string, amount: bigint): Ledger => ({
  ...ledger,
  stakes: setEntry(ledger.stakes, prover, stakeOf(ledger, prover) - amount),
});

/** Gives `amount` held in escrow back to the prover's stake. The caller removes the escrow entry in the same step. */
export const returnStake = (ledger: Ledger, prover: string, amount: bigint): Ledger => ({
  ...ledger,
  stakes: setEntry(ledger.stakes, prover, stakeOf(ledger, prover) + amount),
});

/** A slash burned at once: from the prover's stake to `burned`. */
export const burnStake = (ledger: Ledger, prover: string, amount: bigint): Ledger => ({ ...takeStake(ledger, prover, amount), burned: ledger.burned + amount });

/**
 * Settles `amount` taken out of escrow: `bounty` (when given) to its prover's balance, the
 * rest burned. The caller removes the escrow entry in the same step.
 */
export const releaseEscrow = (ledger: Ledger, amount: bigint, bounty?: { readonly prover: string; readonly amount: bigint }): Ledger => {
  if (bounty === undefined || bounty.amount === 0n) return { ...ledger, burned: ledger.burned + amount };
  return {
    ...ledger,
    balances: setEntry(ledger.balances, bounty.prover, balanceOf(ledger, bounty.prover) + bounty.amount),
    burned: ledger.burned + amount - bounty.amount,
  };
};

const sum = (amounts: Readonly<Record<string, bigint>>): bigint => Object.values(amounts).reduce((a, b) => a + b, 0n);

/** What is in escrow, by block: each entry a slash held until its block is settled. */
export type Escrow = Readonly<Record<string, readonly { readonly prover: string; readonly amount: bigint }[]>>;

/** The sum of every amount in escrow. */
export const escrowTotal = (escrow: Escrow): bigint =>
  Object.values(escrow).reduce((total, entries) => entries.reduce((t, e) => t + e.amount, total), 0n);

/**
 * Every way the ledger breaks its invariant; empty when it holds: no negative amount, and
 * sum(balances) + sum(stakes) + burned + escrow = initialSupply + minted, escrow being the
 * sum of `held` (none when the context has no escrow).
 */
export const checkLedger = (context: { readonly ledger: Ledger; readonly held?: Escrow }): readonly string[] => {
  const { balances, stakes, burned, initialSupply, minted } = context.ledger;
  const violations: string[] = [];
  for (const [prover, amount] of Object.entries(balances)) if (amount < 0n) violations.push(`balance of ${prover} is negative: ${amount}`);
  for (const [prover, amount] of Object.entries(stakes)) if (amount < 0n) violations.push(`stake of ${prover} is negative: ${amount}`);
  if (burned < 0n) violations.push(`burned is negative: ${burned}`);
  if (minted < 0n) violations.push(`minted is negative: ${minted}`);
  for (const [block, entries] of Object.entries(context.held ?? {})) {
    for (const e of entries) if (e.amount < 0n) violations.push(`escrow of ${e.prover} for block ${block} is negative: ${e.amount}`);
  }
  const escrow = escrowTotal(context.held ?? {});
  const held = sum(balances) + sum(stakes) + burned + escrow;
  if (held !== initialSupply + minted) {
    violations.push(
      `balances ${sum(balances)} + stakes ${sum(stakes)} + burned ${burned} + escrow ${escrow} = ${held}, not initial supply ${initialSupply} + minted ${minted} = ${initialSupply + minted}`,
    );
  }
  return violations;
};
