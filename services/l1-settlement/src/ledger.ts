import type { ProverId } from "@zk-testnet/protocol";

/**
 * The mock L1's accounts, in the smallest unit. Every amount moves only by a recorded event
 * and at every point: sum of balances + sum of stakes + burned = initial supply + minted.
 */
export interface Ledger {
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
  balances: Object.fromEntries(provers.map((p) => [p.id, p.stake])),
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
    balances: { ...ledger.balances, [prover]: balance - amount },
    stakes: { ...ledger.stakes, [prover]: stakeOf(ledger, prover) + amount },
  };
};

/** Mints each payment into its prover's balance. */
export const mintTo = (ledger: Ledger, payments: readonly { readonly prover: string; readonly amount: bigint }[]): Ledger => {
  const balances = { ...ledger.balances };
  let minted = ledger.minted;
  for (const { prover, amount } of payments) {
    balances[prover] = (balances[prover] ?? 0n) + amount;
    minted += amount;
  }
  return { ...ledger, balances, minted };
};

const sum = (amounts: Readonly<Record<string, bigint>>): bigint => Object.values(amounts).reduce((a, b) => a + b, 0n);

/** Every way the ledger breaks its invariant; empty when it holds. */
export const checkLedger = (context: { readonly ledger: Ledger }): readonly string[] => {
  const { balances, stakes, burned, initialSupply, minted } = context.ledger;
  const violations: string[] = [];
  for (const [prover, amount] of Object.entries(balances)) if (amount < 0n) violations.push(`balance of ${prover} is negative: ${amount}`);
  for (const [prover, amount] of Object.entries(stakes)) if (amount < 0n) violations.push(`stake of ${prover} is negative: ${amount}`);
  if (burned < 0n) violations.push(`burned is negative: ${burned}`);
  if (minted < 0n) violations.push(`minted is negative: ${minted}`);
  const held = sum(balances) + sum(stakes) + burned;
  if (held !== initialSupply + minted) {
    violations.push(`balances ${sum(balances)} + stakes ${sum(stakes)} + burned ${burned} = ${held}, not initial supply ${initialSupply} + minted ${minted} = ${initialSupply + minted}`);
  }
  return violations;
};
