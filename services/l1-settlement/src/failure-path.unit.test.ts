import { Either } from "effect";
import { describe, expect, it } from "vitest";
import { initialTransition, transition, type SnapshotFrom } from "xstate";
import type { CancelParams, OutputDraft, PublishParams, ScheduleParams } from "@zk-testnet/actors";
import { blockPayout, shareOf } from "@zk-testnet/mechanisms";
import { makeNetwork, type NetworkConfig } from "@zk-testnet/network";
import type { EventId, PayloadOf, ProtocolEvent, ProverId } from "@zk-testnet/protocol";
import {
  assignTree,
  blockProposed,
  blockReorgedOut,
  claimUncle,
  deadlineMissed,
  nodeAssigned,
  otherHash,
  postReceipt,
  proofAccepted,
  proofHashAt,
  proofRejected,
  registerProver,
  roundRobin,
  signTree,
  submitRoot,
  takeoverOpened,
  testNetwork,
  txHashesOf,
} from "./fixtures.ts";
import { checkLedger, machine, type L1Event, type WindowClosed } from "./machine.ts";

// The failure path, one transition at a time: given some events, when one more arrives, the
// L1 publishes exactly these drafts; the ledger invariant (escrow included) holds after every one.

type Snapshot = SnapshotFrom<typeof machine>;
interface Action {
  readonly type: string;
  readonly params?: unknown;
}

const network = testNetwork(4);
const paidTakeovers = Either.getOrThrow(makeNetwork({ seed: "l1-settlement-test", genesisMs: 0, slots: 0, provers: 4, txPerBlock: 8, params: { takeoverPaid: true } }));
const provers = network.provers.map((p) => p.id);
const [p0, p1, p2, p3] = provers as [ProverId, ProverId, ProverId, ProverId];
const stakeOf = (prover: string) => network.provers.find((p) => p.id === prover)?.stake ?? 0n;
const { minimumStake } = network.params;

const ofType = <T extends OutputDraft["type"]>(drafts: readonly OutputDraft[], type: T) =>
  drafts.filter((d) => d.type === type).map((d) => d.payload as PayloadOf<T>);

const asEvent = (event: ProtocolEvent | L1Event): L1Event => ("payload" in event ? { type: "input", event } : event);

const when = (snapshot: Snapshot, event: ProtocolEvent | L1Event) => {
  const [state, actions] = transition(machine, snapshot, asEvent(event));
  expect(checkLedger(state.context)).toEqual([]);
  const all = actions as readonly Action[];
  const outputs = all.filter((a) => a.type === "publish").flatMap((a) => (a.params as PublishParams).events);
  return {
    state,
    // Epoch boundaries are asserted on `epochs` ("epochs" below); the other tests look at the rest.
    published: outputs.filter((d) => d.type !== "EpochStarted"),
    epochs: ofType(outputs, "EpochStarted"),
    scheduled: all.filter((a) => a.type === "schedule").map((a) => a.params as ScheduleParams<WindowClosed>),
    cancelled: all.filter((a) => a.type === "cancel").map((a) => (a.params as CancelParams).id),
  };
};

/** Folds events one at a time from the start; the ledger invariant must hold after every one. */
const given = (events: readonly (ProtocolEvent | L1Event)[], net: NetworkConfig = network): Snapshot => {
  let snapshot = initialTransition(machine, { network: net })[0];
  expect(checkLedger(snapshot.context)).toEqual([]);
  for (const event of events) snapshot = when(snapshot, event).state;
  return snapshot;
};

// Block 5: proposed at 10 s (slot 5), 8 transactions, round-robin assignees; leaves due at 16 s.
const registrations = provers.map((p) => registerProver(network, p));
const fees = 12_345n;
const txs = txHashesOf(5, 8);
const block = blockProposed(5, 8, fees, 10_000);
const assignee = roundRobin(provers, 8);
const assignments = assignTree(network, 5, 8, assignee, 10_000);
const leafDeadline = 16_000;
const honest = signTree(network, 5, txs, assignee);
/** The tree when p0, the prover of leaf 0/1's sibling, took 0/1 over. */
const takenOver = signTree(network, 5, txs, (level, index) => (level === 0 && index === 1 ? p0 : assignee(level, index)));
const nodeReward = blockPayout(fees, network.params).distributed / 15n;
const windowEnd = 10_000 + network.params.provingWindowEpochs * network.params.epochSlots * network.params.slotMs;

const missedSlash = shareOf(stakeOf(p1), network.params.slashMissedBps);
const bounty = shareOf(missedSlash, network.params.bountyBps);
const missed = deadlineMissed(5, 0, 1, p1, leafDeadline);
const takeover = [takeoverOpened(5, 0, 1, p1, p0, "sibling", 22_000, leafDeadline), nodeAssigned(5, 0, 1, p0, leafDeadline, 22_000)];
const beforeMiss = [...registrations, block, ...assignments];

describe("missed deadline", () => {
  it("slashes the holder 10% once, holds it in escrow; at finalization the taker gets the bounty, the rest is burned, the block finalizes", () => {
    const atMiss = when(given(beforeMiss), missed);
    expect(atMiss.published).toEqual([
      { type: "StakeChanged", correlationId: "block-5", slot: 8, payload: { prover: p1, stake: stakeOf(p1) - missedSlash, delta: -missedSlash, reason: "slash" } },
    ]);
    expect(atMiss.state.context.held).toEqual({ "5": [{ prover: p1, amount: missedSlash, level: 0, index: 1, deadline: leafDeadline, evidence: [missed.id] }] });
    expect(atMiss.state.context.ledger.burned).toBe(0n);

    // The same fault told again (another NodeDeadlineMissed of p1 for 0/1) is not slashed again.
    const again = when(atMiss.state, deadlineMissed(5, 0, 1, p1, leafDeadline, leafDeadline + 1));
    expect(again.published).toEqual([]);
    expect(again.state.context).toEqual(atMiss.state.context);

    const root = submitRoot(takenOver, 20_000);
    const settled = when(given([...beforeMiss, missed, ...takeover]), root);
    expect(settled.published[0]).toEqual({ type: "BlockFinalized", correlationId: "block-5", slot: 10, payload: { block: 5, slot: 10 } });
    const rewards = ofType(settled.published, "RewardPaid");
    expect(rewards).toHaveLength(14);
    expect(rewards.some((r) => r.level === 0 && r.index === 1)).toBe(false);
    expect(settled.published.at(-1)).toEqual({
      type: "ProverSlashed",
      correlationId: "block-5",
      slot: 10,
      payload: { prover: p1, amount: missedSlash, reason: "missed", block: 5, level: 0, index: 1, evidence: [missed.id], bounty: { prover: p0, amount: bounty } },
    });
    expect(settled.published.map((d) => d.type)).toEqual(["BlockFinalized", ...rewards.map(() => "RewardPaid"), "ProverSlashed"]);
    expect(settled.cancelled).toEqual(["window:5"]);

    const { ledger, held, trees, finalized } = settled.state.context;
    expect(held).toEqual({});
    expect(ledger.burned).toBe(missedSlash - bounty);
    expect(ledger.stakes[p1]).toBe(stakeOf(p1) - missedSlash);
    // The taker's node reward is withheld (never minted); everyone else is paid.
    expect(trees["5"]?.["0/1"]).toEqual({ prover: p0, reward: nodeReward, takeover: true, paid: false });
    expect(ledger.minted).toBe(blockPayout(fees, network.params).distributed - nodeReward);
    expect(finalized["5"]?.paid).toBe(ledger.minted);
    const earned = (p: string) => rewards.filter((r) => r.prover === p).reduce((s, r) => s + r.amount, 0n);
    expect(ledger.balances[p0]).toBe(earned(p0) + bounty);
    expect(ledger.balances[p1]).toBe(earned(p1));
  });

  it("pays the taker its node's reward when takeoverPaid is on", () => {
    const snapshot = given([...beforeMiss, missed, ...takeover], paidTakeovers);
    const { published, state } = when(snapshot, submitRoot(takenOver, 20_000));
    const rewards = ofType(published, "RewardPaid");
    expect(rewards).toHaveLength(15);
    expect(rewards.find((r) => r.level === 0 && r.index === 1)).toEqual({ block: 5, prover: p0, amount: nodeReward, level: 0, index: 1 });
    expect(state.context.ledger.minted).toBe(blockPayout(fees, network.params).distributed);
  });

  it("pays a node produced by its assignee as usual, and counts every producer as the assignee without assignment evidence", () => {
    const withEvidence = when(given([...registrations, block, ...assignments]), submitRoot(honest, 20_000));
    expect(ofType(withEvidence.published, "RewardPaid")).toHaveLength(15);
    const withoutEvidence = when(given([...registrations, block]), submitRoot(takenOver, 20_000));
    expect(ofType(withoutEvidence.published, "RewardPaid")).toHaveLength(15);
  });

  it("does not slash a prover that posted a receipt before the deadline; its uncle reward is paid once, to a matching claim only", () => {
    const ownHash = proofHashAt(honest, 0, 1);
    const receipt = postReceipt(5, 0, 1, p1, ownHash, leafDeadline - 1_000);
    const recorded = when(given(beforeMiss), receipt);
    expect(recorded.published).toEqual([]);
    expect(recorded.state.context.books["5"]?.["0/1"]?.receipts).toEqual({ [p1]: [{ proofHash: ownHash, time: leafDeadline - 1_000, txId: receipt.id }] });

    const excused = when(recorded.state, missed);
    expect(excused.published).toEqual([]);
    expect(excused.state.context.ledger).toEqual(recorded.state.context.ledger);

    // Too early: the block is not finalized yet, so the claim is refused (it may be sent again).
    const early = when(given([...beforeMiss, receipt, missed, ...takeover]), claimUncle(5, 0, 1, p1, ownHash, 17_000));
    expect(early.published).toEqual([]);

    const finalized = given([...beforeMiss, receipt, missed, ...takeover, submitRoot(takenOver, 20_000)]);
    expect(finalized.context.ledger.burned).toBe(0n);
    const uncle = nodeReward / 2n;
    const claim = when(finalized, claimUncle(5, 0, 1, p1, ownHash, 21_000));
    expect(claim.published).toEqual([{ type: "UncleRewardPaid", correlationId: "block-5", slot: 10, payload: { block: 5, prover: p1, amount: uncle, level: 0, index: 1 } }]);
    expect(claim.state.context.ledger.minted).toBe(finalized.context.ledger.minted + uncle);
    expect(claim.state.context.ledger.balances[p1]).toBe((finalized.context.ledger.balances[p1] ?? 0n) + uncle);

    for (const refused of [
      claimUncle(5, 0, 1, p1, ownHash, 22_000), // paid already
      claimUncle(5, 0, 1, p1, otherHash(ownHash), 22_000), // no receipt with this hash
      claimUncle(5, 0, 1, p2, ownHash, 22_000), // not its receipt
      claimUncle(5, 0, 1, p0, proofHashAt(takenOver, 0, 1), 22_000), // its proof is the one in the tree
      claimUncle(5, 0, 0, p1, ownHash, 22_000), // another node
    ]) {
      const { published, state } = when(claim.state, refused);
      expect(published).toEqual([]);
      expect(state.context).toEqual(claim.state.context);
    }
  });

  // Regression (found by the random-fault property test): a receipt at the deadline's very
  // millisecond raced the miss, and the verdict depended on which arrived first. Strictly before.
  it("excuses a receipt posted before the deadline, but not one at or after it, nor pays an uncle for that", () => {
    const onTime = postReceipt(5, 0, 1, p1, proofHashAt(honest, 0, 1), leafDeadline - 1);
    expect(when(given([...beforeMiss, onTime]), missed).published).toEqual([]);
    const late = postReceipt(5, 0, 1, p1, proofHashAt(honest, 0, 1), leafDeadline);
    const atMiss = when(given([...beforeMiss, late]), missed);
    expect(ofType(atMiss.published, "StakeChanged")).toEqual([{ prover: p1, stake: stakeOf(p1) - missedSlash, delta: -missedSlash, reason: "slash" }]);
    const finalized = given([...beforeMiss, late, missed, ...takeover, submitRoot(takenOver, 20_000)]);
    expect(when(finalized, claimUncle(5, 0, 1, p1, proofHashAt(honest, 0, 1), 21_000)).published).toEqual([]);
  });

  // Regression (the slow-network scenario over Kafka): prover-2's receipt, made before the
  // deadline, came through a slow link and was read after the aggregator's miss (another topic).
  it("gives a held slash back when a receipt from before the deadline is read after the miss, as a replay in time order would have it", () => {
    const ownHash = proofHashAt(honest, 0, 1);
    const receipt = postReceipt(5, 0, 1, p1, ownHash, leafDeadline - 300);
    const late = when(given([...beforeMiss, missed]), receipt);
    expect(late.published).toEqual([
      { type: "StakeChanged", correlationId: "block-5", slot: 7, payload: { prover: p1, stake: stakeOf(p1), delta: missedSlash, reason: "release" } },
    ]);
    const inTimeOrder = given([...beforeMiss, receipt, missed]);
    expect(late.state.context).toEqual(inTimeOrder.context);

    // Settled, the block slashes nobody: the taker's node is produced, no bounty, nothing burned.
    const settled = when(late.state, submitRoot(takenOver, 20_000));
    expect(ofType(settled.published, "ProverSlashed")).toEqual([]);
    expect(settled.state.context.ledger.burned).toBe(0n);
    expect(settled.state.context.ledger.stakes[p1]).toBe(stakeOf(p1));

    // A receipt from the deadline on, or of another node or prover, releases nothing.
    for (const other of [
      postReceipt(5, 0, 1, p1, ownHash, leafDeadline),
      postReceipt(5, 0, 0, p1, proofHashAt(honest, 0, 0), leafDeadline - 300),
      postReceipt(5, 0, 1, p2, ownHash, leafDeadline - 300),
    ]) {
      const { published, state } = when(given([...beforeMiss, missed]), other);
      expect(published).toEqual([]);
      expect(state.context.held).toEqual(given([...beforeMiss, missed]).context.held);
    }

    // Once the block is settled, the slash is final: a receipt read after that changes nothing.
    const final = given([...beforeMiss, missed, ...takeover, submitRoot(takenOver, 20_000)]);
    const afterSettlement = when(final, receipt);
    expect(afterSettlement.published).toEqual([]);
    expect(afterSettlement.state.context.ledger).toEqual(final.context.ledger);
  });

  it("burns all of a held slash when nobody else produced the node", () => {
    // The holder's own late proof made it into the tree: no taker, no bounty.
    const { published, state } = when(given([...beforeMiss, missed]), submitRoot(honest, 20_000));
    expect(ofType(published, "RewardPaid")).toHaveLength(15);
    expect(ofType(published, "ProverSlashed")).toEqual([{ prover: p1, amount: missedSlash, reason: "missed", block: 5, level: 0, index: 1, evidence: [missed.id] }]);
    expect(state.context.ledger.burned).toBe(missedSlash);
  });

  it("settles a miss told after its block was finalized at once, with the bounty", () => {
    const finalized = given([...registrations, block, ...assignments, ...takeover, submitRoot(takenOver, 20_000)]);
    const late = deadlineMissed(5, 0, 1, p1, leafDeadline, 21_000);
    const { published, state } = when(finalized, late);
    expect(published).toEqual([
      {
        type: "ProverSlashed",
        correlationId: "block-5",
        slot: 10,
        payload: { prover: p1, amount: missedSlash, reason: "missed", block: 5, level: 0, index: 1, evidence: [late.id], bounty: { prover: p0, amount: bounty } },
      },
      { type: "StakeChanged", correlationId: "block-5", slot: 10, payload: { prover: p1, stake: stakeOf(p1) - missedSlash, delta: -missedSlash, reason: "slash" } },
    ]);
    expect(state.context.ledger.burned).toBe(missedSlash - bounty);
  });

  it("ignores a miss of a prover the registry does not know", () => {
    const snapshot = given(beforeMiss);
    const { published, state } = when(snapshot, deadlineMissed(5, 0, 1, "stranger-1", leafDeadline));
    expect(published).toEqual([]);
    expect(state.context.ledger).toEqual(snapshot.context.ledger);
  });
});

describe("invalid proofs", () => {
  const invalidSlash = (prover: string) => shareOf(stakeOf(prover), network.params.slashInvalidBps);

  it.each(["wrong-public-input", "wrong-children"] as const)("slashes a signed invalid proof (%s) 50% once, burned, with the ProofSubmitted and ProofRejected as evidence", (reason) => {
    const rejected = proofRejected(5, 0, 3, p3, otherHash(proofHashAt(honest, 0, 3)), reason, 12_000);
    const { published, state } = when(given(beforeMiss), rejected);
    const amount = invalidSlash(p3);
    expect(published).toEqual([
      {
        type: "ProverSlashed",
        correlationId: "block-5",
        slot: 6,
        payload: { prover: p3, amount, reason: "invalid", block: 5, level: 0, index: 3, evidence: [rejected.causationId as EventId, rejected.id] },
      },
      { type: "StakeChanged", correlationId: "block-5", slot: 6, payload: { prover: p3, stake: stakeOf(p3) - amount, delta: -amount, reason: "slash" } },
    ]);
    expect(state.context.ledger.burned).toBe(amount);
    expect(state.context.held).toEqual({});

    // Another invalid proof of the same prover for the same node is the same fault.
    const second = when(state, proofRejected(5, 0, 3, p3, otherHash(proofHashAt(honest, 0, 3), "again"), "wrong-children", 12_500));
    expect(second.published).toEqual([]);
    expect(second.state.context.ledger).toEqual(state.context.ledger);
  });

  it("slashes an equivocation (a second, different signed proof of the same node) once, not twice", () => {
    const h1 = proofHashAt(honest, 0, 3);
    const accepted = proofAccepted(5, 0, 3, p3, h1, 12_000);
    const dup = proofRejected(5, 0, 3, p3, otherHash(h1, "second"), "duplicate", 12_500);
    const first = when(given([...beforeMiss, accepted]), dup);
    const amount = invalidSlash(p3);
    expect(ofType(first.published, "ProverSlashed")).toEqual([
      { prover: p3, amount, reason: "invalid", block: 5, level: 0, index: 3, evidence: [accepted.id, dup.causationId as EventId, dup.id] },
    ]);
    expect(ofType(first.published, "StakeChanged")).toHaveLength(1);
    for (const more of [
      proofRejected(5, 0, 3, p3, otherHash(h1, "third"), "duplicate", 13_000),
      proofRejected(5, 0, 3, p3, otherHash(h1, "fourth"), "wrong-public-input", 13_500),
    ]) {
      const { published, state } = when(first.state, more);
      expect(published).toEqual([]);
      expect(state.context.ledger).toEqual(first.state.context.ledger);
    }
    expect(first.state.context.ledger.burned).toBe(amount);
  });

  it("does not slash a duplicate that is not an equivocation: a lost race, or the same proof sent again", () => {
    const h1 = proofHashAt(honest, 0, 3);
    const snapshot = given([...beforeMiss, proofAccepted(5, 0, 3, p3, h1, 12_000)]);
    for (const rejected of [
      proofRejected(5, 0, 3, p0, proofHashAt(takenOver, 0, 0), "duplicate", 12_500), // p0 has no other proof of 0/3
      proofRejected(5, 0, 3, p3, h1, "duplicate", 12_500), // the same proof again
    ]) {
      const { published, state } = when(snapshot, rejected);
      expect(published).toEqual([]);
      expect(state.context.ledger).toEqual(snapshot.context.ledger);
    }
  });

  it.each(["bad-signature", "unknown-prover", "not-assigned", "too-early"] as const)("does not slash an unattributable rejection (%s)", (reason) => {
    const snapshot = given(beforeMiss);
    const { published, state } = when(snapshot, proofRejected(5, 0, 3, p3, otherHash(proofHashAt(honest, 0, 3)), reason, 12_000));
    expect(published).toEqual([]);
    expect(state.context.ledger).toEqual(snapshot.context.ledger);
  });
});

describe("epochs", () => {
  it("starts each epoch once, in order, at the first input timed in it: registrations before it count, later ones from the next epoch", () => {
    // Genesis is 0: the first input (a registration at 0) is already in epoch 0, so the L1 starts it first.
    const first = when(given([]), registrations[0] as ProtocolEvent);
    expect(first.epochs).toEqual([{ epoch: 0, slot: 0, eligible: 0 }]);
    expect(ofType(first.published, "ProverRegistered").map((r) => r.prover)).toEqual([p0]);
    const all = given(registrations);
    expect(all.context.epoch).toBe(0);
    // An input three epochs later starts epochs 1, 2 and 3, each counting the whole registry.
    const jump = when(all, postReceipt(5, 0, 0, p0, proofHashAt(honest, 0, 0), 3 * 8 * 2_000 + 1));
    expect(jump.epochs).toEqual([1, 2, 3].map((epoch) => ({ epoch, slot: epoch * 8, eligible: 4 })));
    // An input timed before the current epoch starts nothing.
    expect(when(jump.state, postReceipt(5, 0, 0, p0, proofHashAt(honest, 0, 0), 100)).epochs).toEqual([]);
  });

  it("ejects a prover whose stake fell below the minimum at the next epoch boundary, once", () => {
    // p2 stakes exactly the minimum; a 50% slash in epoch 0 leaves it below.
    expect(stakeOf(p2)).toBe(minimumStake);
    const slashed = given([...beforeMiss, proofRejected(5, 0, 2, p2, otherHash(proofHashAt(honest, 0, 2)), "wrong-children", 12_000)]);
    const left = minimumStake - shareOf(minimumStake, network.params.slashInvalidBps);
    expect(slashed.context.ledger.stakes[p2]).toBe(left);

    // Still epoch 0 (slot 7): nothing yet.
    const sameEpoch = when(slashed, postReceipt(5, 0, 0, p0, proofHashAt(honest, 0, 0), 15_999));
    expect(sameEpoch.published).toEqual([]);

    // The first input of epoch 1 (slot 8) crosses the boundary before it is applied.
    const crossing = when(sameEpoch.state, missed);
    expect(crossing.published[0]).toEqual({ type: "ProverEjected", correlationId: "epoch-1", slot: 8, payload: { prover: p2, epoch: 1, stake: left } });
    expect(crossing.published.slice(1).map((d) => d.type)).toEqual(["StakeChanged"]);
    expect(crossing.state.context.ejected).toEqual({ [p2]: 1 });
    // Then the epoch's registry is closed: the ejected prover is not counted eligible.
    expect(crossing.epochs).toEqual([{ epoch: 1, slot: 8, eligible: 3 }]);

    // Later epochs do not eject it again.
    for (const later of [postReceipt(5, 0, 0, p0, proofHashAt(honest, 0, 0), 16_500), postReceipt(5, 0, 0, p0, proofHashAt(honest, 0, 0), 40_000)]) {
      expect(ofType(when(crossing.state, later).published, "ProverEjected")).toEqual([]);
    }
    expect(given([...beforeMiss, postReceipt(5, 0, 0, p0, proofHashAt(honest, 0, 0), 40_000)]).context.ejected).toEqual({});
  });
});

describe("proving window", () => {
  it("arms window:<b> at proposal + window when a block is proposed, and again for every pending block when started", () => {
    const proposed = when(given(registrations), block);
    const timer = { id: "window:5", at: windowEnd, event: { type: "windowClosed", block: 5, at: windowEnd } };
    expect(proposed.scheduled).toEqual([timer]);
    expect(when(proposed.state, { type: "host.started", now: 30_000 }).scheduled).toEqual([timer]);
    const finalized = given([...registrations, block, submitRoot(honest, 20_000)]);
    expect(when(finalized, { type: "host.started", now: 30_000 }).scheduled).toEqual([]);
  });

  it("reorgs out a block not finalized by the end of its window, burns its escrow, and ignores a late root", () => {
    const pending = given([...beforeMiss, missed, ...takeover]);
    const closed = when(pending, { type: "windowClosed", block: 5, at: windowEnd } as L1Event);
    expect(closed.published).toEqual([
      { type: "BlockReorgedOut", correlationId: "block-5", slot: 37, payload: { block: 5, slot: 37, reason: "proving-window-expired" } },
      { type: "ProverSlashed", correlationId: "block-5", slot: 37, payload: { prover: p1, amount: missedSlash, reason: "missed", block: 5, level: 0, index: 1, evidence: [missed.id] } },
    ]);
    const { context } = closed.state;
    expect(context.reorged).toEqual({ "5": { slot: 37 } });
    expect(context.blocks).toEqual({});
    expect(context.held).toEqual({});
    expect(context.ledger.burned).toBe(missedSlash);

    // Never finalized afterwards: a late root, a root dated inside the window but applied after, the timer again, its own event read back.
    for (const after of [submitRoot(takenOver, windowEnd + 1_000), submitRoot(takenOver, windowEnd - 1_000), blockReorgedOut(5, 37, windowEnd)]) {
      const { published, state } = when(closed.state, after);
      expect(published).toEqual([]);
      // Only the epoch moves on, with the time of the input.
      expect({ ...state.context, epoch: context.epoch }).toEqual(context);
    }
    expect(when(closed.state, { type: "windowClosed", block: 5, at: windowEnd } as L1Event).published).toEqual([]);
    expect(when(closed.state, blockProposed(5, 8, fees, windowEnd + 2_000)).published).toEqual([]);

    // A miss told after the reorg is burned at once: the same ledger as a miss held then burned.
    const missAfter = when(given([...beforeMiss, ...takeover, { type: "windowClosed", block: 5, at: windowEnd } as L1Event]), missed);
    expect(ofType(missAfter.published, "ProverSlashed")).toEqual([{ prover: p1, amount: missedSlash, reason: "missed", block: 5, level: 0, index: 1, evidence: [missed.id] }]);
    expect(missAfter.state.context.ledger).toEqual(context.ledger);
  });

  it("ignores a root submitted at or after the window's end even before the timer fires", () => {
    const pending = given([...registrations, block]);
    for (const late of [submitRoot(honest, windowEnd), submitRoot(honest, windowEnd + 5_000)]) {
      const { published, state } = when(pending, late);
      expect(published).toEqual([]);
      expect(state.context.finalized).toEqual({});
    }
    // Also one that waited for its block.
    expect(when(given([...registrations, submitRoot(honest, windowEnd)]), block).state.context.finalized).toEqual({});
    // Just inside the window it finalizes.
    expect(when(pending, submitRoot(honest, windowEnd - 1)).published[0]).toMatchObject({ type: "BlockFinalized" });
  });

  it("does nothing when the window of a finalized block closes", () => {
    const finalized = given([...registrations, block, submitRoot(honest, 20_000)]);
    const { published, state } = when(finalized, { type: "windowClosed", block: 5, at: windowEnd } as L1Event);
    expect(published).toEqual([]);
    expect(state.context).toEqual(finalized.context);
  });
});

describe("replay", () => {
  it("rebuilds the live context from the inputs and its own BlockReorgedOut read back, in place of the timer", () => {
    const receipt = postReceipt(6, 0, 0, p0, otherHash(proofHashAt(honest, 0, 0), "b6"), 13_000);
    const block6 = blockProposed(6, 8, 99n, 12_000);
    const inputs: (ProtocolEvent | L1Event)[] = [
      ...beforeMiss,
      block6,
      ...assignTree(network, 6, 8, assignee, 12_000),
      receipt,
      missed,
      ...takeover,
      proofRejected(6, 0, 2, p2, otherHash(proofHashAt(honest, 0, 2)), "wrong-public-input", 17_000),
      submitRoot(takenOver, 20_000),
      claimUncle(5, 0, 1, p1, proofHashAt(honest, 0, 1), 21_000),
      deadlineMissed(6, 0, 1, p1, 18_000, 18_000),
    ];
    const windowOf6 = 12_000 + (windowEnd - 10_000);
    const live = given([...inputs, { type: "windowClosed", block: 6, at: windowOf6 } as L1Event, submitRoot(signTree(network, 6, txHashesOf(6, 8), assignee), windowOf6 + 1)]);
    const replayed = given([...inputs, blockReorgedOut(6, 38, windowOf6), submitRoot(signTree(network, 6, txHashesOf(6, 8), assignee), windowOf6 + 1)]);
    expect(replayed.context).toEqual(live.context);
    expect(live.context.reorged).toEqual({ "6": { slot: 38 } });
    expect(Object.keys(live.context.finalized)).toEqual(["5"]);
    // Slashed in epoch 1; the next input is in epoch 4 (no blocks in between here): the L1 crosses
    // epochs 2, 3 and 4 one at a time, and ejects it at the first boundary after the slash.
    expect(live.context.ejected).toEqual({ [p2]: 2 });
  });
});
