import { blockPayout } from "@zk-testnet/mechanisms";
import type { EventId, EventOf, ProtocolEvent } from "@zk-testnet/protocol";
import type { RunLog } from "../run-log.ts";
import { violation, type Violation } from "../violation.ts";

// Invariant 4: the ledger, rebuilt from the L1's events alone, holds after every event:
//   sum(balances) + sum(stakes) + burned + escrow = initial supply + minted.
//
// What moves which total (amounts always read from the events):
// - genesis: every prover of the network configuration holds its configured stake as balance
//   (the initial supply);
// - ProverRegistered: `stake` moves from the prover's balance to its stake;
// - StakeChanged: the stake becomes `stake`; the counterpart moves by `delta`: the balance
//   for a deposit or an unbonding, the escrow for a slash. A StakeChanged that repeats a move
//   already applied (the deposit of a registration, the cut of a ProverSlashed) moves nothing;
// - ProverSlashed: `amount` leaves the escrow its StakeChanged put there, else the stake;
//   `bounty.amount` goes to the taker's balance and the rest is burned;
// - RewardPaid, UncleRewardPaid: `amount` is minted into the prover's balance.
// The escrow holds slashed stake that no ProverSlashed has settled yet.
// Beside the sum, every balance, stake, escrow and the burned total stay non-negative, a
// StakeChanged's `stake` is the stake before it plus `delta`, a bounty is at most its slash,
// rewards are paid only for a block finalized before, and no block pays out more than its
// prover share of fees plus the block reward.

export interface LedgerTotals {
  readonly balances: ReadonlyMap<string, bigint>;
  readonly stakes: ReadonlyMap<string, bigint>;
  readonly escrow: bigint;
  readonly burned: bigint;
  readonly initialSupply: bigint;
  readonly minted: bigint;
}

export interface LedgerCheck {
  readonly totals: LedgerTotals;
  readonly violations: readonly Violation[];
}

interface Echo {
  readonly prover: string;
  readonly reason: EventOf<"StakeChanged">["payload"]["reason"];
  readonly delta: bigint;
}

const sum = (amounts: ReadonlyMap<string, bigint>): bigint => [...amounts.values()].reduce((a, b) => a + b, 0n);

/** The ledger as a mutable fold; one instance per check. */
class LedgerFold {
  readonly balances = new Map<string, bigint>();
  readonly stakes = new Map<string, bigint>();
  readonly escrow = new Map<string, bigint>();
  burned = 0n;
  minted = 0n;
  readonly initialSupply: bigint;
  readonly violations: Violation[] = [];
  private readonly registered = new Set<string>();
  private readonly echoes: Echo[] = [];
  private readonly finalized = new Set<number>();
  private readonly paidByBlock = new Map<number, bigint>();
  private readonly overpaid = new Set<number>();
  private imbalance = 0n;
  private reportedAt: EventId | undefined;
  /** The sum of each of the three maps, kept as amounts move: summing them after every event was quadratic in the provers. */
  private readonly totals = new Map<ReadonlyMap<string, bigint>, bigint>();

  private readonly log: RunLog;

  constructor(log: RunLog) {
    this.log = log;
    for (const prover of log.network.provers) this.balances.set(prover.id, (this.balances.get(prover.id) ?? 0n) + prover.stake);
    this.initialSupply = sum(this.balances);
    this.totals.set(this.balances, this.initialSupply);
  }

  private total(accounts: ReadonlyMap<string, bigint>): bigint {
    return this.totals.get(accounts) ?? 0n;
  }

  private report(event: ProtocolEvent, rule: string, message: string, more: readonly EventId[] = []): void {
    this.violations.push(violation(4, rule, message, [event.id, ...more]));
    this.reportedAt = event.id;
  }

  private move(accounts: Map<string, bigint>, what: string, prover: string, by: bigint, event: ProtocolEvent): void {
    const before = accounts.get(prover) ?? 0n;
    const after = before + by;
    accounts.set(prover, after);
    this.totals.set(accounts, this.total(accounts) + by);
    if (after < 0n && before >= 0n) this.report(event, `negative-${what}`, `after ${event.type} the ${what} of ${prover} is ${after}`);
  }

  apply(event: ProtocolEvent): void {
    switch (event.type) {
      case "ProverRegistered":
        return this.onRegistered(event);
      case "StakeChanged":
        return this.onStakeChanged(event);
      case "ProverSlashed":
        return this.onSlashed(event);
      case "RewardPaid":
      case "UncleRewardPaid":
        return this.onReward(event);
      case "BlockFinalized":
        this.finalized.add(event.payload.block);
        return;
      default:
        return;
    }
  }

  private onRegistered(event: EventOf<"ProverRegistered">): void {
    const { prover, stake } = event.payload;
    // The L1 registers a prover once: a repeated record moves nothing.
    if (this.registered.has(prover)) return;
    this.registered.add(prover);
    this.move(this.balances, "balance", prover, -stake, event);
    this.move(this.stakes, "stake", prover, stake, event);
    this.echoes.push({ prover, reason: "deposit", delta: stake });
  }

  private onStakeChanged(event: EventOf<"StakeChanged">): void {
    const { prover, stake, delta, reason } = event.payload;
    const before = this.stakes.get(prover) ?? 0n;
    const echo = this.echoes.findIndex((e) => e.prover === prover && e.reason === reason && e.delta === delta);
    if (stake === before && echo >= 0) {
      this.echoes.splice(echo, 1);
      return;
    }
    if (stake !== before + delta) {
      this.report(event, "stake-jump", `StakeChanged (${reason}) says the stake of ${prover} is ${stake} after a change of ${delta}, but it was ${before}: ${stake - before - delta} appeared from nowhere`);
    }
    this.move(this.stakes, "stake", prover, stake - before, event);
    // A slash (negative) puts a missed deadline's amount in escrow; a release (positive) gives it back.
    if (reason === "slash" || reason === "release") this.move(this.escrow, "escrow", prover, -delta, event);
    else this.move(this.balances, "balance", prover, -delta, event);
  }

  private onSlashed(event: EventOf<"ProverSlashed">): void {
    const { prover, amount, bounty } = event.payload;
    const held = this.escrow.get(prover) ?? 0n;
    // A slash of 0 moves no stake (and the L1 writes no StakeChanged for it).
    if (amount > 0n && held >= amount) this.move(this.escrow, "escrow", prover, -amount, event);
    else if (amount > 0n) {
      this.move(this.stakes, "stake", prover, -amount, event);
      this.echoes.push({ prover, reason: "slash", delta: -amount });
    }
    const paid = bounty?.amount ?? 0n;
    if (bounty !== undefined) this.move(this.balances, "balance", bounty.prover, paid, event);
    if (paid > amount) this.report(event, "bounty-exceeds-slash", `the bounty ${paid} to ${bounty?.prover} exceeds the slash ${amount} of ${prover}`);
    const burnedBefore = this.burned;
    this.burned += amount - paid;
    if (this.burned < 0n && burnedBefore >= 0n) this.report(event, "negative-burned", `after ProverSlashed the burned total is ${this.burned}`);
  }

  private onReward(event: EventOf<"RewardPaid"> | EventOf<"UncleRewardPaid">): void {
    const { block, prover, amount } = event.payload;
    this.move(this.balances, "balance", prover, amount, event);
    this.minted += amount;
    if (!this.finalized.has(block)) {
      this.report(event, "reward-without-finalization", `${event.type} of ${amount} to ${prover} for block ${block}, which was not finalized before`);
    }
    if (event.type !== "RewardPaid") return;
    const paid = (this.paidByBlock.get(block) ?? 0n) + amount;
    this.paidByBlock.set(block, paid);
    const proposed = this.log.blocks.get(block);
    if (proposed === undefined || this.overpaid.has(block)) return;
    const due = blockPayout(proposed.payload.fees, this.log.network.params).distributed;
    if (paid > due) {
      this.overpaid.add(block);
      const paidEvents = this.log.ofType("RewardPaid").filter((r) => r.payload.block === block && this.log.position(r.id) <= this.log.position(event.id));
      this.violations.push(
        violation(4, "block-overpaid", `block ${block} paid ${paid} in rewards, more than its payout ${due} (prover share of fees ${proposed.payload.fees} + block reward)`, paidEvents.map((r) => r.id)),
      );
    }
  }

  /** The sum after an event; an imbalance is reported where it changes, unless that event was already reported. */
  checkSum(event: ProtocolEvent): void {
    const held = this.total(this.balances) + this.total(this.stakes) + this.total(this.escrow) + this.burned;
    const imbalance = held - (this.initialSupply + this.minted);
    if (imbalance !== this.imbalance && imbalance !== 0n && this.reportedAt !== event.id) {
      this.report(
        event,
        "ledger-imbalance",
        `after ${event.type}: balances ${sum(this.balances)} + stakes ${sum(this.stakes)} + burned ${this.burned} + escrow ${sum(this.escrow)} = ${held}, not initial supply ${this.initialSupply} + minted ${this.minted}`,
      );
    }
    this.imbalance = imbalance;
  }
}

export const checkLedger = (log: RunLog): LedgerCheck => {
  const fold = new LedgerFold(log);
  for (const event of log.events) {
    fold.apply(event);
    fold.checkSum(event);
  }
  return {
    totals: {
      balances: fold.balances,
      stakes: fold.stakes,
      escrow: sum(fold.escrow),
      burned: fold.burned,
      initialSupply: fold.initialSupply,
      minted: fold.minted,
    },
    violations: fold.violations,
  };
};
