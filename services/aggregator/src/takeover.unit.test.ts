import { createHash } from "node:crypto";
import { ed25519 } from "@noble/curves/ed25519.js";
import { Either } from "effect";
import { describe, expect, it } from "vitest";
import { initialTransition, transition, type SnapshotFrom } from "xstate";
import { stateHashOf, type CancelParams, type OutputDraft, type ScheduleParams } from "@zk-testnet/actors";
import { proverSeed } from "@zk-testnet/crypto";
import { assignTreeVrf, type Assignment } from "@zk-testnet/mechanisms";
import type { NetworkConfig } from "@zk-testnet/network";
import {
  canonicalProofBytes,
  proofHash,
  topicOf,
  type BlockNumber,
  type Epoch,
  type PayloadOf,
  type ProofSignature,
  type ProofStatement,
  type ProtocolEvent,
  type ProverId,
  type Slot,
  type TxCount,
} from "@zk-testnet/protocol";
import { aggregatorMachine, eligibleSet, runningDeadlines, unpublishedOutputs, type AggregatorEvent, type DeadlineFired } from "./machine.ts";
import { AGGREGATOR_INPUTS, aggregatorInput } from "./service.ts";
import { beaconRound, draftsOf, envelope, epochStarted, nth, proofFor, proposed, publishedBy, registered, SEED, testNetwork, txHash } from "./testing.ts";

// The failure path, through the machine's pure `transition`: given a state, when a deadline
// fires (the `deadline` event the host delivers from a timer) or an event comes in, then what
// it publishes and which timers it arms or cancels.

type Snapshot = SnapshotFrom<typeof aggregatorMachine>;
type Assigned = PayloadOf<"NodeAssigned">;
type Action = { readonly type: string; readonly params?: unknown };

const network = testNetwork();
const { slotMs } = network.params;
const D_LEAF = network.params.leafDeadlineSlots * slotMs;
const D_MERGE = network.params.mergeDeadlineSlots * slotMs;

const start = (net: NetworkConfig = network): Snapshot => initialTransition(aggregatorMachine, aggregatorInput(net))[0];

const step = (snapshot: Snapshot, event: AggregatorEvent) => {
  const [next, actions] = transition(aggregatorMachine, snapshot, event);
  return { snapshot: next, actions: actions as readonly Action[], published: publishedBy(actions as never) };
};

const input = (event: ProtocolEvent): AggregatorEvent => ({ type: "input", event });

const given = (events: readonly ProtocolEvent[], from: Snapshot = start()): Snapshot => events.reduce((snapshot, event) => step(snapshot, input(event)).snapshot, from);

const fire = (block: number, level: number, index: number, attempt: number, at: number): DeadlineFired => ({ type: "deadline", block, level, index, attempt, at });

const scheduled = (actions: readonly Action[]) => actions.filter((a) => a.type === "schedule").map((a) => a.params as ScheduleParams<DeadlineFired>);
const cancelled = (actions: readonly Action[]) => actions.filter((a) => a.type === "cancel").map((a) => (a.params as CancelParams).id);

/** Every prover registered, then the L1 starts epoch 0: its eligible set is all of them. */
const registry = (net: NetworkConfig = network) => [...net.provers.map((p) => registered(p.id, p.stake)), epochStarted(0, 0)];

const assignmentOf = (block: number, txCount: number, round: ReturnType<typeof beaconRound>, net: NetworkConfig = network): Assignment =>
  Either.getOrThrow(
    assignTreeVrf({
      randomness: round.payload.randomness,
      eligible: net.provers.map((p) => ({ prover: p.id, stake: p.stake })),
      block: block as BlockNumber,
      txCount: txCount as TxCount,
      weighting: net.params.weighting,
    }),
  );

const assignedIn = (drafts: readonly OutputDraft[]): readonly Assigned[] => draftsOf(drafts, "NodeAssigned").map((d) => d.payload);

/** Block `block` (proposed at 900, round at 1_000): its leaves handed out at 1_000, due at 1_000 + D_leaf. */
const openBlock = (block: number, txCount: number, net: NetworkConfig = network) => {
  const round = beaconRound(block + 1, 1_000);
  const opened = step(given([...registry(net), proposed(block, txCount, 900)], start(net)), input(round));
  const assignment = assignmentOf(block, txCount, round, net);
  const proverAt = (level: number, index: number): ProverId => nth(nth(assignment.levels, level), index) as ProverId;
  return { ...opened, leaves: assignedIn(opened.published), assignment, proverAt };
};

const LEAF_DUE = 1_000 + D_LEAF;
const slotOf = (time: number): number => Math.floor(time / slotMs);

/** The first block (from 2) with a leaf that `fits` its assignment, and that leaf. */
const findLeaf = (txCount: number, fits: (proverAt: (level: number, index: number) => ProverId, index: number) => boolean) => {
  for (let block = 2; block < 40; block++) {
    const opened = openBlock(block, txCount);
    const index = opened.leaves.findIndex((leaf) => fits(opened.proverAt, leaf.index));
    if (index >= 0) return { ...opened, block, index, leaf: nth(opened.leaves, index) };
  }
  throw new Error("no block with such a leaf");
};

const rejectionOf = (drafts: readonly OutputDraft[]) => draftsOf(drafts, "ProofRejected").map((d) => d.payload.reason);
const acceptedBy = (drafts: readonly OutputDraft[]) => draftsOf(drafts, "ProofAccepted").map((d) => d.payload.prover);

/** The context without the outbox: what decisions depend on. */
const decisionsOf = (snapshot: Snapshot) => {
  const { outbox: _outbox, ...rest } = snapshot.context;
  return rest;
};

// Ed25519 signatures are deterministic, but a verifier cannot tell how the nonce was chosen: a
// prover that signs with another nonce has a second valid signature of the same statement, so a
// second, different valid proof of the node (equivocation).
const L = ed25519.Point.Fn.ORDER;
const littleEndian = (bytes: Uint8Array): bigint => bytes.reduceRight((n, byte) => (n << 8n) | BigInt(byte), 0n);
const bytes32 = (n: bigint): Uint8Array => Uint8Array.from({ length: 32 }, (_, i) => Number((n >> BigInt(8 * i)) & 0xffn));
const otherSignature = (prover: string, statement: ProofStatement): ProofSignature => {
  const { scalar, pointBytes } = ed25519.utils.getExtendedPublicKey(proverSeed(SEED, prover));
  const message = canonicalProofBytes(statement);
  const r = littleEndian(createHash("sha512").update("another nonce").update(message).digest()) % L;
  const R = ed25519.Point.BASE.multiply(r).toBytes();
  const k = littleEndian(createHash("sha512").update(R).update(pointBytes).update(message).digest()) % L;
  return Buffer.concat([R, bytes32((r + k * scalar) % L)]).toString("hex") as ProofSignature;
};

/** The same proof signed again with another nonce: valid, and a different proof hash. */
const twinOf = (event: ReturnType<typeof proofFor>, time: number) => {
  const { signature: _s, proofHash: _h, ...statement } = event.payload;
  const signature = otherSignature(statement.prover, statement);
  return envelope("ProofSubmitted", { ...statement, signature, proofHash: proofHash(statement, signature) }, { time, slot: slotOf(time), source: "prover-pool" });
};

describe("deadlines on the Clock", () => {
  it("every NodeAssigned arms its deadline; an accepted proof cancels it; a merge handed out arms its own", () => {
    const { actions, leaves, snapshot } = openBlock(2, 8);
    expect(scheduled(actions)).toEqual(
      leaves.map((leaf) => ({ id: `deadline:2/0/${leaf.index}/0`, at: LEAF_DUE, event: fire(2, 0, leaf.index, 0, LEAF_DUE) })),
    );
    const first = step(snapshot, input(proofFor(nth(leaves, 0), { time: 2_000 })));
    expect(cancelled(first.actions)).toEqual(["deadline:2/0/0/0"]);
    expect(scheduled(first.actions)).toEqual([]);
    const second = step(first.snapshot, input(proofFor(nth(leaves, 1), { time: 2_500 })));
    expect(cancelled(second.actions)).toEqual(["deadline:2/0/1/0"]);
    expect(scheduled(second.actions)).toEqual([{ id: "deadline:2/1/0/0", at: 2_500 + D_MERGE, event: fire(2, 1, 0, 0, 2_500 + D_MERGE) }]);
    expect(runningDeadlines(second.snapshot.context).map((d) => `${d.level}/${d.index}@${d.deadline}`)).toEqual([
      ...leaves.slice(2).map((l) => `0/${l.index}@${LEAF_DUE}`),
      `1/0@${2_500 + D_MERGE}`,
    ]);
  });

  it("a rejected proof cancels nothing: the node stays with its holder until its deadline", () => {
    const { snapshot, leaves } = openBlock(2, 8);
    const wrong = step(snapshot, input(proofFor(nth(leaves, 0), { time: 2_000, publicInput: txHash(2, 5) })));
    expect(rejectionOf(wrong.published)).toEqual(["wrong-public-input"]);
    expect(wrong.actions.filter((a) => a.type !== "publish")).toEqual([]);
    expect(decisionsOf(wrong.snapshot)).toEqual(decisionsOf(snapshot));
    // Its holder may still prove it in time.
    expect(acceptedBy(step(wrong.snapshot, input(proofFor(nth(leaves, 0), { time: 3_000 }))).published)).toEqual([nth(leaves, 0).prover]);
  });

  it("a timer that fires for a node accepted, taken over or opened since (an older attempt) does nothing", () => {
    const { snapshot, leaves } = openBlock(2, 8);
    const unchanged = (from: Snapshot, event: DeadlineFired) => {
      const after = step(from, event);
      expect(after.actions).toEqual([]);
      expect(after.snapshot.context).toBe(from.context);
    };
    const accepted = step(snapshot, input(proofFor(nth(leaves, 0), { time: 2_000 }))).snapshot;
    unchanged(accepted, fire(2, 0, 0, 0, LEAF_DUE));
    const taken = step(snapshot, fire(2, 0, 1, 0, LEAF_DUE)).snapshot;
    unchanged(taken, fire(2, 0, 1, 0, LEAF_DUE));
    unchanged(taken, fire(9, 0, 1, 0, LEAF_DUE));
  });
});

describe("takeover chain: sibling -> parent -> open", () => {
  // A leaf whose sibling has another prover: the sibling step applies.
  const scenario = () => findLeaf(8, (proverAt, i) => proverAt(0, i) !== proverAt(0, i ^ 1));

  it("a leaf missed: NodeDeadlineMissed, TakeoverOpened to the sibling's prover, NodeAssigned to it due D_leaf later, and its timer", () => {
    const { snapshot, block, index, leaf, proverAt } = scenario();
    const [holder, sibling] = [proverAt(0, index), proverAt(0, index ^ 1)];
    const missed = step(snapshot, fire(block, 0, index, 0, LEAF_DUE));
    const correlationId = `block-${block}`;
    const slot = slotOf(LEAF_DUE);
    const node = { block, level: 0, index };
    expect(missed.published).toEqual([
      { type: "NodeDeadlineMissed", correlationId, slot, payload: { ...node, prover: holder, deadline: LEAF_DUE } },
      { type: "TakeoverOpened", correlationId, slot, payload: { ...node, from: holder, to: sibling, step: "sibling", deadline: LEAF_DUE + D_LEAF } },
      {
        type: "NodeAssigned",
        correlationId,
        slot,
        payload: { ...node, prover: sibling, deadline: LEAF_DUE + D_LEAF, publicInput: leaf.publicInput, childProofHashes: [] },
      },
    ]);
    expect(cancelled(missed.actions)).toEqual([`deadline:${block}/0/${index}/0`]);
    expect(scheduled(missed.actions)).toEqual([{ id: `deadline:${block}/0/${index}/1`, at: LEAF_DUE + D_LEAF, event: fire(block, 0, index, 1, LEAF_DUE + D_LEAF) }]);

    // The taker's proof is accepted (and cancels its deadline); the one that missed is out of time.
    const handed = nth(assignedIn(missed.published), 0);
    const late = step(missed.snapshot, input(proofFor(leaf, { time: LEAF_DUE + 500 })));
    expect(rejectionOf(late.published)).toEqual(["not-assigned"]);
    const taken = step(missed.snapshot, input(proofFor(handed, { time: LEAF_DUE + 1_000 })));
    expect(acceptedBy(taken.published)).toEqual([sibling]);
    expect(cancelled(taken.actions)).toEqual([`deadline:${block}/0/${index}/1`]);
  });

  // Tree-VRF gives a merge node one of its children's provers: the parent step is skipped
  // whether the parent's prover is the one that just failed (the sibling's) or one that failed
  // this node before (its own holder).
  it.each([
    { parent: "sibling", parentOf: (holder: ProverId, sibling: ProverId) => [holder, sibling, sibling] },
    { parent: "holder", parentOf: (holder: ProverId, sibling: ProverId) => [holder, sibling, holder] },
  ])("the sibling's prover misses too, the parent's prover is the $parent's: the parent step is skipped and the node opens", ({ parentOf }) => {
    const { snapshot, block, index, leaf, proverAt } = findLeaf(8, (at, i) => {
      const [holder, sibling, parent] = parentOf(at(0, i), at(0, i ^ 1));
      return holder !== sibling && at(1, i >> 1) === parent;
    });
    const [holder, sibling] = [proverAt(0, index), proverAt(0, index ^ 1)];
    const first = step(snapshot, fire(block, 0, index, 0, LEAF_DUE));
    const second = step(first.snapshot, fire(block, 0, index, 1, LEAF_DUE + D_LEAF));
    const node = { block, level: 0, index };
    const slot = slotOf(LEAF_DUE + D_LEAF);
    expect(second.published).toEqual([
      { type: "NodeDeadlineMissed", correlationId: `block-${block}`, slot, payload: { ...node, prover: sibling, deadline: LEAF_DUE + D_LEAF } },
      { type: "TakeoverOpened", correlationId: `block-${block}`, slot, payload: { ...node, from: sibling, step: "open", deadline: LEAF_DUE + 2 * D_LEAF } },
    ]);
    expect(scheduled(second.actions).map((s) => [s.id, s.at])).toEqual([[`deadline:${block}/0/${index}/2`, LEAF_DUE + 2 * D_LEAF]]);

    // Open: the first valid proof of any eligible prover wins, the next is a duplicate; the
    // two that missed are eligible too. A registered prover outside the block's eligible set
    // (registered after its epoch began) may not.
    const [a, b] = network.provers.map((p) => p.id).filter((p) => p !== holder && p !== sibling) as [ProverId, ProverId];
    const opened = given([registered("prover-late", network.params.minimumStake, { time: 2_000, slot: 1 })], second.snapshot);
    const at = LEAF_DUE + D_LEAF + 1_000;
    expect(rejectionOf(step(opened, input(proofFor(leaf, { time: at }, "prover-late"))).published)).toEqual(["not-assigned"]);
    // Made before the round opened: not yet anyone's but its holders'.
    expect(rejectionOf(step(opened, input(proofFor(leaf, { time: LEAF_DUE + D_LEAF - 1 }, a))).published)).toEqual(["not-assigned"]);
    const won = step(opened, input(proofFor(leaf, { time: at }, a)));
    expect(acceptedBy(won.published)).toEqual([a]);
    expect(cancelled(won.actions)).toEqual([`deadline:${block}/0/${index}/2`]);
    expect(rejectionOf(step(won.snapshot, input(proofFor(leaf, { time: at + 1 }, b))).published)).toEqual(["duplicate"]);
    expect(acceptedBy(step(opened, input(proofFor(leaf, { time: at }, holder))).published)).toEqual([holder]);
  });

  it("the parent step, when the parent's prover has not missed the node (an assignment that gives the parent a third prover)", () => {
    const { snapshot, block, index, leaf, proverAt } = scenario();
    const [holder, sibling] = [proverAt(0, index), proverAt(0, index ^ 1)];
    const third = nth(
      network.provers.map((p) => p.id).filter((p) => p !== holder && p !== sibling),
      0,
    );
    // As another assignment mechanism could pick it: the parent's prover is neither child's.
    const tree = snapshot.context.blocks[String(block)];
    if (tree?.phase !== "proving") throw new Error("not proving");
    const parentKey = `1/${index >> 1}`;
    const parent = tree.nodes[parentKey];
    if (parent === undefined) throw new Error("no parent");
    const doctored = aggregatorMachine.resolveState({
      value: snapshot.value,
      context: { ...snapshot.context, blocks: { ...snapshot.context.blocks, [String(block)]: { ...tree, nodes: { ...tree.nodes, [parentKey]: { ...parent, assignee: third } } } } },
    });
    const first = step(doctored, fire(block, 0, index, 0, LEAF_DUE));
    const second = step(first.snapshot, fire(block, 0, index, 1, LEAF_DUE + D_LEAF));
    const due = LEAF_DUE + 2 * D_LEAF;
    expect(second.published.map((d) => [d.type, d.payload])).toEqual([
      ["NodeDeadlineMissed", { block, level: 0, index, prover: sibling, deadline: LEAF_DUE + D_LEAF }],
      ["TakeoverOpened", { block, level: 0, index, from: sibling, to: third, step: "parent", deadline: due }],
      ["NodeAssigned", { block, level: 0, index, prover: third, deadline: due, publicInput: leaf.publicInput, childProofHashes: [] }],
    ]);
    const last = step(second.snapshot, fire(block, 0, index, 2, due));
    expect(last.published.map((d) => [d.type, d.payload])).toEqual([
      ["NodeDeadlineMissed", { block, level: 0, index, prover: third, deadline: due }],
      ["TakeoverOpened", { block, level: 0, index, from: third, step: "open", deadline: due + D_LEAF }],
    ]);
  });

  it("a sibling whose prover is the one that just failed is skipped, and so is the parent (the same prover): straight to an open round", () => {
    const { snapshot, block, index, proverAt } = findLeaf(8, (at, i) => at(0, i) === at(0, i ^ 1));
    const holder = proverAt(0, index);
    expect(proverAt(1, index >> 1)).toBe(holder);
    const missed = step(snapshot, fire(block, 0, index, 0, LEAF_DUE));
    expect(missed.published.map((d) => [d.type, d.payload])).toEqual([
      ["NodeDeadlineMissed", { block, level: 0, index, prover: holder, deadline: LEAF_DUE }],
      ["TakeoverOpened", { block, level: 0, index, from: holder, step: "open", deadline: LEAF_DUE + D_LEAF }],
    ]);
  });

  it("a padding sibling has no prover, a root no sibling and no parent: both skip to an open round", () => {
    // Leaf 4 of 5 transactions: leaf 5 is padding, and the merge above has leaf 4's prover.
    const padded = openBlock(2, 5);
    const missed = step(padded.snapshot, fire(2, 0, 4, 0, LEAF_DUE));
    expect(missed.published.map((d) => [d.type, d.payload])).toEqual([
      ["NodeDeadlineMissed", { block: 2, level: 0, index: 4, prover: padded.proverAt(0, 4), deadline: LEAF_DUE }],
      ["TakeoverOpened", { block: 2, level: 0, index: 4, from: padded.proverAt(0, 4), step: "open", deadline: LEAF_DUE + D_LEAF }],
    ]);
    // A one-transaction block: its leaf is its root.
    const single = openBlock(3, 1);
    expect(step(single.snapshot, fire(3, 0, 0, 0, LEAF_DUE)).published.map((d) => [d.type, (d.payload as { step?: string }).step])).toEqual([
      ["NodeDeadlineMissed", undefined],
      ["TakeoverOpened", "open"],
    ]);
  });

  it("an open round that times out opens again (no NodeDeadlineMissed: nobody held it), until a proof wins; its start still counts", () => {
    const { snapshot, block, index, leaf, proverAt } = scenario();
    const sibling = proverAt(0, index ^ 1);
    const opened = [fire(block, 0, index, 0, LEAF_DUE), fire(block, 0, index, 1, LEAF_DUE + D_LEAF)].reduce((s, e) => step(s, e).snapshot, snapshot);
    const roundStart = LEAF_DUE + 2 * D_LEAF;
    const again = step(opened, fire(block, 0, index, 2, roundStart));
    expect(again.published).toEqual([
      {
        type: "TakeoverOpened",
        correlationId: `block-${block}`,
        slot: slotOf(roundStart),
        payload: { block, level: 0, index, from: sibling, step: "open", deadline: roundStart + D_LEAF },
      },
    ]);
    expect(scheduled(again.actions).map((s) => s.id)).toEqual([`deadline:${block}/0/${index}/3`]);
    // A proof made in the first round and folded after the second opened is still in time.
    const anyone = nth(network.provers, 0).id;
    expect(acceptedBy(step(again.snapshot, input(proofFor(leaf, { time: roundStart - 10 }, anyone))).published)).toEqual([anyone]);
  });

  it("a merge node missed follows the same chain with its own sibling, D_merge, and the same public input and children", () => {
    const { snapshot, block, proverAt, leaves } = findLeaf(8, (at, i) => i === 0 && at(1, 0) !== at(1, 1));
    const j = 0;
    const proven = leaves
      .filter((l) => l.index >> 1 === j)
      .reduce(
      (acc, leaf) => {
        const s = step(acc.snapshot, input(proofFor(leaf, { time: 2_000 })));
        return { snapshot: s.snapshot, published: [...acc.published, ...s.published] };
      },
      { snapshot, published: [] as OutputDraft[] },
    );
    const merge = nth(assignedIn(proven.published), 0);
    expect(merge).toMatchObject({ level: 1, index: j, deadline: 2_000 + D_MERGE });
    const missed = step(proven.snapshot, fire(block, 1, j, 0, 2_000 + D_MERGE));
    const due = 2_000 + 2 * D_MERGE;
    expect(missed.published.map((d) => [d.type, d.payload])).toEqual([
      ["NodeDeadlineMissed", { block, level: 1, index: j, prover: proverAt(1, j), deadline: 2_000 + D_MERGE }],
      ["TakeoverOpened", { block, level: 1, index: j, from: proverAt(1, j), to: proverAt(1, j ^ 1), step: "sibling", deadline: due }],
      ["NodeAssigned", { ...merge, prover: proverAt(1, j ^ 1), deadline: due }],
    ]);
  });
});

describe("proof checks on the failure path", () => {
  const slow = testNetwork({ params: { minProvingTimeMs: 1_000 } });

  it("too-early: sooner than M after the taker's clock started (the missed deadline), or the open round's start", () => {
    const opened = openBlock(2, 8, slow);
    const index = opened.leaves.findIndex((l) => opened.proverAt(0, l.index) !== opened.proverAt(0, l.index ^ 1));
    const missed = step(opened.snapshot, fire(2, 0, index, 0, LEAF_DUE));
    const handed = nth(assignedIn(missed.published), 0);
    expect(rejectionOf(step(missed.snapshot, input(proofFor(handed, { time: LEAF_DUE + 999 }))).published)).toEqual(["too-early"]);
    expect(acceptedBy(step(missed.snapshot, input(proofFor(handed, { time: LEAF_DUE + 1_000 }))).published)).toEqual([handed.prover]);
    const open = step(missed.snapshot, fire(2, 0, index, 1, LEAF_DUE + D_LEAF)).snapshot;
    const leaf = nth(opened.leaves, index);
    const anyone = nth(slow.provers, 0).id;
    expect(rejectionOf(step(open, input(proofFor(leaf, { time: LEAF_DUE + D_LEAF + 999 }, anyone))).published)).toEqual(["too-early"]);
    expect(acceptedBy(step(open, input(proofFor(leaf, { time: LEAF_DUE + D_LEAF + 1_000 }, anyone))).published)).toEqual([anyone]);
  });

  it("equivocation: a second, different valid proof of the same prover for the same node is rejected duplicate; a signed wrong twin is rejected for what is wrong", () => {
    const { snapshot, leaves } = openBlock(2, 8);
    const leaf = nth(leaves, 0);
    const first = proofFor(leaf, { time: 2_000 });
    const twin = twinOf(first, 2_100);
    // Both verify: the twin is a valid proof of the same statement with another signature.
    expect(twin.payload.proofHash).not.toBe(first.payload.proofHash);
    const accepted = step(snapshot, input(first));
    const equivocated = step(accepted.snapshot, input(twin));
    expect(equivocated.published).toEqual([
      {
        type: "ProofRejected",
        correlationId: "block-2",
        slot: twin.slot,
        payload: { block: 2, level: 0, index: 0, prover: leaf.prover, proofHash: twin.payload.proofHash, reason: "duplicate" },
      },
    ]);
    expect(decisionsOf(equivocated.snapshot)).toEqual(decisionsOf(accepted.snapshot));
    // The prover pool's equivocator signs a twin with another public input (other children for a merge).
    expect(rejectionOf(step(accepted.snapshot, input(proofFor(leaf, { time: 2_200, publicInput: txHash(2, 7) }))).published)).toEqual(["wrong-public-input"]);
  });

  it("the former holder: a proof made after its deadline is not-assigned even before the timer fired; one made before it and folded after the takeover wins", () => {
    const { snapshot, block, index, leaf, proverAt } = findLeaf(8, (at, i) => at(0, i) !== at(0, i ^ 1));
    // Judged by the proof's own time: at its deadline the node is no longer its to prove.
    expect(rejectionOf(step(snapshot, input(proofFor(leaf, { time: LEAF_DUE }))).published)).toEqual(["not-assigned"]);
    const missed = step(snapshot, fire(block, 0, index, 0, LEAF_DUE));
    const inFlight = proofFor(leaf, { time: LEAF_DUE - 1 });
    const won = step(missed.snapshot, input(inFlight));
    expect(acceptedBy(won.published)).toEqual([proverAt(0, index)]);
    expect(cancelled(won.actions)).toEqual([`deadline:${block}/0/${index}/1`]);
    // The taker comes second.
    const handed = nth(assignedIn(missed.published), 0);
    expect(rejectionOf(step(won.snapshot, input(proofFor(handed, { time: LEAF_DUE + 1_000 }))).published)).toEqual(["duplicate"]);
  });
});

describe("eligibility and reorgs", () => {
  it("a prover ejected in epoch e is left out of the eligible sets of blocks of epoch e on, not of earlier ones", () => {
    const { epochSlots } = network.params;
    const ejected = nth(network.provers, 3).id;
    const ejection = envelope("ProverEjected", { prover: ejected, epoch: 1 as Epoch, stake: 1n }, { time: epochSlots * slotMs, slot: epochSlots, source: "l1-settlement" });
    const snapshot = given([...registry(), ejection, epochStarted(1, epochSlots * slotMs, epochSlots), epochStarted(3, epochSlots * slotMs, 3 * epochSlots)]);
    expect(eligibleSet(snapshot.context, epochSlots - 1)?.map((p) => p.prover)).toContain(ejected);
    expect(eligibleSet(snapshot.context, epochSlots)?.map((p) => p.prover)).not.toContain(ejected);
    expect(eligibleSet(snapshot.context, 3 * epochSlots)?.map((p) => p.prover)).not.toContain(ejected);
    // A later ejection of the same prover changes nothing.
    const again = envelope("ProverEjected", { prover: ejected, epoch: 3 as Epoch, stake: 1n }, { time: 0, slot: 3 * epochSlots, source: "l1-settlement" });
    expect(step(snapshot, input(again)).snapshot.context).toEqual(snapshot.context);
    // A block of epoch 1 never goes to it.
    const block = epochSlots + 1;
    const opened = step(given([proposed(block, 8, 900)], snapshot), input(beaconRound(block + 1, 1_000)));
    expect(assignedIn(opened.published).map((a) => a.prover)).not.toContain(ejected);
    expect(assignedIn(opened.published)).toHaveLength(8);
  });

  it("a block reorged out: its deadlines are cancelled, no takeover follows, and its proofs are not-assigned", () => {
    const { snapshot, leaves } = openBlock(2, 8);
    const accepted = step(snapshot, input(proofFor(nth(leaves, 0), { time: 2_000 }))).snapshot;
    const reorg = envelope("BlockReorgedOut", { block: 2 as BlockNumber, slot: 40 as Slot, reason: "proving-window-expired" }, { time: 80_000, slot: 40, source: "l1-settlement" });
    const gone = step(accepted, input(reorg));
    expect(gone.published).toEqual([]);
    expect(cancelled(gone.actions)).toEqual(leaves.slice(1).map((l) => `deadline:2/0/${l.index}/0`));
    expect(gone.snapshot.context.blocks["2"]).toEqual({ phase: "reorged" });
    expect(step(gone.snapshot, fire(2, 0, 1, 0, LEAF_DUE)).actions).toEqual([]);
    expect(rejectionOf(step(gone.snapshot, input(proofFor(nth(leaves, 1), { time: 3_000 }))).published)).toEqual(["not-assigned"]);
    // Read again, and a block reorged out before it was seen is never opened.
    expect(step(gone.snapshot, input(reorg)).snapshot.context).toEqual(gone.snapshot.context);
    const early = envelope("BlockReorgedOut", { block: 5 as BlockNumber, slot: 40 as Slot, reason: "proving-window-expired" }, { time: 80_000, slot: 40, source: "l1-settlement" });
    const later = given([early, proposed(5, 4, 900)], gone.snapshot);
    expect(step(later, input(beaconRound(6, 1_000))).published).toEqual([]);
  });
});

describe("replay and restarts", () => {
  const asEvent = (draft: OutputDraft, time: number) => envelope(draft.type, draft.payload as never, { time, slot: draft.slot, source: "aggregator" });

  /**
   * A live run of block 2 with every timer fired on time: the leaf scenario's holder and its
   * sibling's prover never prove that leaf, an eligible prover wins its open round, the other
   * nodes are proven by their provers. Each output is read back right after its step, as the host does.
   */
  const liveRun = () => {
    const { snapshot: opened, block, index, leaf, proverAt, published } = findLeaf(8, (at, i) => at(0, i) !== at(0, i ^ 1));
    const winner = nth(network.provers.map((p) => p.id).filter((p) => p !== proverAt(0, index) && p !== proverAt(0, index ^ 1)), 0);
    const inputs: ProtocolEvent[] = [...registry(), proposed(block, 8, 900), beaconRound(block + 1, 1_000)];
    const log: ProtocolEvent[] = [...inputs];
    let snapshot = opened;
    const pending: Assigned[] = [];
    const readBack = (drafts: readonly OutputDraft[], time: number) => {
      for (const draft of drafts) {
        const event = asEvent(draft, time);
        log.push(event);
        snapshot = step(snapshot, input(event)).snapshot;
      }
      pending.push(...assignedIn(drafts).filter((a) => !(a.level === 0 && a.index === index)));
    };
    readBack(published, 1_000);
    const run = (event: AggregatorEvent, time: number) => {
      if (event.type === "input") log.push(event.event);
      const s = step(snapshot, event);
      snapshot = s.snapshot;
      readBack(s.published, time);
      return s;
    };
    for (let next = pending.shift(); next !== undefined; next = pending.shift()) run(input(proofFor(next, { time: Math.max(2_000, next.deadline - D_MERGE) })), Math.max(2_000, next.deadline - D_MERGE));
    run(fire(block, 0, index, 0, LEAF_DUE), LEAF_DUE);
    run(fire(block, 0, index, 1, LEAF_DUE + D_LEAF), LEAF_DUE + D_LEAF);
    const done = LEAF_DUE + D_LEAF + 500;
    run(input(proofFor(leaf, { time: done }, winner)), done);
    for (let next = pending.shift(); next !== undefined; next = pending.shift()) run(input(proofFor(next, { time: done })), done);
    return { snapshot, log, block };
  };

  const replayed = (log: readonly ProtocolEvent[]) =>
    given(
      [...log].sort(
        (a, b) => a.time - b.time || AGGREGATOR_INPUTS.indexOf(topicOf[a.type] as never) - AGGREGATOR_INPUTS.indexOf(topicOf[b.type] as never),
      ),
    );

  it("a live run through a takeover and an open round: the tree is submitted, and a replay of the log (no timer fires) rebuilds the same state", () => {
    const { snapshot, log, block } = liveRun();
    expect(snapshot.context.blocks[String(block)]?.phase).toBe("submitted");
    expect(snapshot.context.outbox).toEqual({});
    expect(log.filter((e) => e.source === "aggregator").map((e) => e.type)).toContain("TakeoverOpened");
    const again = replayed(log);
    expect(stateHashOf(again)).toBe(stateHashOf(snapshot));
    const [, actions] = transition(aggregatorMachine, again, { type: "host.started", now: 99_000 });
    expect(actions).toEqual([]);
  });

  it("host.started re-arms every running deadline from the state, taken over and open ones included; one that passed while down fires at once", () => {
    const { snapshot: opened, block, index, published } = findLeaf(8, (at, i) => at(0, i) !== at(0, i ^ 1));
    const handedOut = published.map((d) => asEvent(d, 1_000));
    const snapshot = given(handedOut, opened);
    const other = index ^ 1;
    // Live: the leaf is taken over by its sibling's prover, misses again and opens; its sibling
    // leaf, missed by its own prover, is taken over by the first leaf's.
    const timeline: readonly [DeadlineFired, number][] = [
      [fire(block, 0, index, 0, LEAF_DUE), LEAF_DUE],
      [fire(block, 0, other, 0, LEAF_DUE), LEAF_DUE],
      [fire(block, 0, index, 1, LEAF_DUE + D_LEAF), LEAF_DUE + D_LEAF],
    ];
    const live = timeline.reduce<{ snapshot: Snapshot; log: ProtocolEvent[] }>(
      (acc, [event, time]) => {
        const s = step(acc.snapshot, event);
        const outputs = s.published.map((d) => asEvent(d, time));
        return { snapshot: outputs.reduce((x, e) => step(x, input(e)).snapshot, s.snapshot), log: [...acc.log, ...outputs] };
      },
      { snapshot, log: [] },
    );
    expect(live.log.map((e) => `${e.type}:${(e.payload as { index: number }).index}`)).toEqual([
      `NodeDeadlineMissed:${index}`,
      `TakeoverOpened:${index}`,
      `NodeAssigned:${index}`,
      `NodeDeadlineMissed:${other}`,
      `TakeoverOpened:${other}`,
      `NodeAssigned:${other}`,
      `NodeDeadlineMissed:${index}`,
      `TakeoverOpened:${index}`,
    ]);
    const inputs: ProtocolEvent[] = [...registry(), proposed(block, 8, 900), beaconRound(block + 1, 1_000)];
    const restarted = replayed([...inputs, ...handedOut, ...live.log]);
    expect(stateHashOf(restarted)).toBe(stateHashOf(live.snapshot));
    expect(runningDeadlines(restarted.context)).toEqual(runningDeadlines(live.snapshot.context));

    const now = LEAF_DUE + D_LEAF + 500;
    const started = step(restarted, { type: "host.started", now });
    expect(started.published).toEqual([]);
    const timers = scheduled(started.actions);
    expect(timers).toHaveLength(8);
    // The open round's deadline is ahead; the taker's of the sibling leaf passed while down: due now.
    const byId = (a: { readonly id: string }, b: { readonly id: string }) => a.id.localeCompare(b.id);
    const pair = timers.filter((t) => t.id.startsWith(`deadline:${block}/0/${index}/`) || t.id.startsWith(`deadline:${block}/0/${other}/`));
    expect([...pair].sort(byId)).toEqual(
      [
        { id: `deadline:${block}/0/${index}/2`, at: LEAF_DUE + 2 * D_LEAF, event: fire(block, 0, index, 2, LEAF_DUE + 2 * D_LEAF) },
        { id: `deadline:${block}/0/${other}/1`, at: now, event: fire(block, 0, other, 1, now) },
      ].sort(byId),
    );
    // Fired at once, the next holder's clock starts now: both provers of the pair missed, so the sibling leaf opens.
    const overdue = nth(
      timers.filter((t) => t.id === `deadline:${block}/0/${other}/1`),
      0,
    );
    expect(step(started.snapshot, overdue.event).published.map((d) => [d.type, (d.payload as { step?: string; deadline: number }).deadline])).toEqual([
      ["NodeDeadlineMissed", LEAF_DUE + D_LEAF],
      ["TakeoverOpened", now + D_LEAF],
    ]);
  });

  it("a decision that never reached the log (stopped before publishing) is made again on start, with the same outputs", () => {
    const { snapshot, block, index } = findLeaf(8, (at, i) => at(0, i) !== at(0, i ^ 1));
    const lost = step(snapshot, fire(block, 0, index, 0, LEAF_DUE)).published;
    const inputs: ProtocolEvent[] = [...registry(), proposed(block, 8, 900), beaconRound(block + 1, 1_000)];
    const restarted = replayed(inputs);
    const started = step(restarted, { type: "host.started", now: 2_000 });
    const timer = nth(
      scheduled(started.actions).filter((s) => s.id === `deadline:${block}/0/${index}/0`),
      0,
    );
    expect(step(started.snapshot, timer.event).published).toEqual(lost);
  });

  it("a proof on its way when the deadline fired: the live order (takeover, then the proof) and the log's (the proof, then the takeover) give the same state, with nothing left to publish", () => {
    const { snapshot: opened, block, index, leaf, published } = findLeaf(8, (at, i) => at(0, i) !== at(0, i ^ 1));
    const handedOut = published.map((d) => asEvent(d, 1_000));
    const snapshot = given(handedOut, opened);
    const proof = proofFor(leaf, { time: LEAF_DUE - 5 });
    // Live: the deadline fires first, the proof is folded after, and every output is read back.
    const fired = step(snapshot, fire(block, 0, index, 0, LEAF_DUE));
    const facts = fired.published.map((d) => asEvent(d, LEAF_DUE));
    const afterFacts = facts.reduce((s, e) => step(s, input(e)).snapshot, fired.snapshot);
    const accepted = step(afterFacts, input(proof));
    const live = accepted.published.map((d) => asEvent(d, LEAF_DUE + 1)).reduce((s, e) => step(s, input(e)).snapshot, accepted.snapshot);
    expect(live.context.outbox).toEqual({});
    // The log in time order: the proof comes before the takeover it raced.
    const inputs: ProtocolEvent[] = [...registry(), proposed(block, 8, 900), beaconRound(block + 1, 1_000)];
    const replay = replayed([...inputs, ...handedOut, ...facts, proof, ...accepted.published.map((d) => asEvent(d, LEAF_DUE + 1))]);
    expect(stateHashOf(replay)).toBe(stateHashOf(live));
    expect(unpublishedOutputs(replay.context)).toEqual([]);
  });
});

