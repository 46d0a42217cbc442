import { Either } from "effect";
import { describe, expect, it } from "vitest";
import { initialTransition, transition, type SnapshotFrom } from "xstate";
import { canonicalJson, parseCanonicalJson, stateHashOf, type OutputDraft } from "@zk-testnet/actors";
import { beaconSigner, SIM_BEACON_SCHEME_ID } from "@zk-testnet/crypto";
import { assignTreeVrf, type Assignment } from "@zk-testnet/mechanisms";
import type { NetworkConfig } from "@zk-testnet/network";
import {
  EMPTY_LEAF_PUBLIC_INPUT,
  mergePublicInput,
  topicOf,
  type BlockNumber,
  type Hash,
  type PayloadOf,
  type ProtocolEvent,
  type ProverId,
  type RejectionReason,
  type TxCount,
} from "@zk-testnet/protocol";
import { aggregatorMachine, eligibleSet, unpublishedOutputs } from "./machine.ts";
import { AGGREGATOR_INPUTS, aggregatorInput } from "./service.ts";
import { beaconRound, draftsOf, envelope, epochStarted, nth, proofFor, proposed, publishedBy, registered, stakeChanged, testNetwork, txHash, type ProofOptions } from "./testing.ts";

type Snapshot = SnapshotFrom<typeof aggregatorMachine>;
type Assigned = PayloadOf<"NodeAssigned">;

const network = testNetwork();
const slotMs = network.params.slotMs;

const start = (net: NetworkConfig = network): Snapshot => initialTransition(aggregatorMachine, aggregatorInput(net))[0];

/** Folds events one after the other, as the host does. */
const given = (events: readonly ProtocolEvent[], from: Snapshot = start()): Snapshot =>
  events.reduce((snapshot, event) => transition(aggregatorMachine, snapshot, { type: "input", event })[0], from);

/** One event: the state after it and what it published. */
const when = (snapshot: Snapshot, event: ProtocolEvent) => {
  const [next, actions] = transition(aggregatorMachine, snapshot, { type: "input", event });
  return { snapshot: next, published: publishedBy(actions as never) };
};

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

/** The context without the outbox: what decisions depend on. */
const decisionsOf = (snapshot: Snapshot) => {
  const { outbox: _outbox, ...rest } = snapshot.context;
  return rest;
};

const assignedIn = (drafts: readonly OutputDraft[]): readonly Assigned[] => draftsOf(drafts, "NodeAssigned").map((d) => d.payload);

/** A block with its round, its leaves handed out: the state and the leaves' NodeAssigned. */
const openBlock = (block: number, txCount: number, net: NetworkConfig = network) => {
  const round = beaconRound(block + 1, 1_000);
  const { snapshot, published } = when(given([...registry(net), proposed(block, txCount, 900)], start(net)), round);
  return { snapshot, leaves: assignedIn(published), round, assignment: assignmentOf(block, txCount, round, net) };
};

/** Every handed-out node proven honestly, merges as they come: the final state and everything published. */
const proveAll = (snapshot: Snapshot, assigned: readonly Assigned[], options: ProofOptions = { time: 2_000 }) => {
  const queue = [...assigned];
  const published: OutputDraft[] = [];
  let current = snapshot;
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    const step = when(current, proofFor(next, options));
    current = step.snapshot;
    published.push(...step.published);
    queue.push(...assignedIn(step.published));
  }
  return { snapshot: current, published };
};

const acceptedHash = (drafts: readonly OutputDraft[], level: number, index: number): Hash => {
  const found = draftsOf(drafts, "ProofAccepted").find((d) => d.payload.level === level && d.payload.index === index);
  if (found === undefined) throw new Error(`no ProofAccepted for ${level}/${index}`);
  return found.payload.proofHash;
};

describe("aggregator: assignment", () => {
  it("block, then its round: every leaf goes to its tree-VRF prover, due D_leaf after the later of the two", () => {
    const { leaves, assignment } = openBlock(0, 8);
    expect(leaves).toEqual(
      Array.from({ length: 8 }, (_, i) => ({
        block: 0,
        level: 0,
        index: i,
        prover: assignment.levels[0]?.[i],
        deadline: 1_000 + 3 * slotMs,
        publicInput: txHash(0, i),
        childProofHashes: [],
      })),
    );
  });

  it("round, then its block: the same assignment", () => {
    const round = beaconRound(1, 1_000);
    const { published } = when(given([...registry(), round]), proposed(0, 8, 900));
    expect(assignedIn(published)).toEqual(openBlock(0, 8).leaves);
  });

  it("a block waits for its epoch: the L1's EpochStarted that comes after block and round opens it, with the registry as of then", () => {
    const [first, ...others] = network.provers.map((p) => registered(p.id, p.stake)) as [ProtocolEvent, ...ProtocolEvent[]];
    const waiting = given([first, proposed(0, 8, 900), beaconRound(1, 1_000)]);
    expect(waiting.context.blocks["0"]?.phase).toBe("pending");
    // Registrations alone open nothing: the L1 has not fixed the epoch's set yet.
    const registeredAll = given(others, waiting);
    expect(registeredAll.context.blocks["0"]?.phase).toBe("pending");
    const opened = when(registeredAll, epochStarted(0, 1_200));
    expect(assignedIn(opened.published)).toEqual(assignedIn(when(given([...registry(), proposed(0, 8, 900)]), beaconRound(1, 1_000)).published).map((a) => ({ ...a, deadline: 1_200 + 3 * slotMs })));
    // Opened at the latest of block, round and epoch start: the deadlines do not depend on arrival order.
    expect(assignedIn(opened.published).map((a) => a.deadline)).toEqual(Array(8).fill(1_200 + 3 * slotMs));
    // Later registrations leave an opened tree as it is.
    expect(given([registered("prover-late", network.params.minimumStake * 9n, { time: 1_300, slot: 0 })], opened.snapshot).context.blocks).toEqual(opened.snapshot.context.blocks);
  });

  it("a beacon round that does not verify is ignored, and the block waits for a valid one", () => {
    const forged = beaconRound(1, 1_000, "another-seed");
    const good = beaconRound(1, 1_100);
    const tampered = envelope("BeaconRound", { ...good.payload, randomness: txHash(9, 9) }, { time: 1_050, slot: 0 });
    const before = given([...registry(), proposed(0, 8, 900)]);
    expect(when(before, forged).published).toEqual([]);
    expect(when(before, tampered).published).toEqual([]);
    expect(given([forged, tampered], before).context).toEqual(before.context);
    expect(assignedIn(when(given([forged, tampered], before), good).published)).toHaveLength(8);
  });

  it("a network whose beacon signs in the simulated scheme: its rounds open blocks, a drand round of the same seed is ignored", () => {
    const simNet = testNetwork({ beacon: { scheme: SIM_BEACON_SCHEME_ID } });
    const signed = beaconSigner(SIM_BEACON_SCHEME_ID, simNet.seed).sign(1);
    const simRound = envelope("BeaconRound", { round: signed.round, randomness: signed.randomness, signature: signed.signature }, { time: 1_100, slot: 0, source: "vrf-beacon" });
    const before = given([...registry(simNet), proposed(0, 8, 900)], start(simNet));
    expect(when(before, beaconRound(1, 1_000)).published).toEqual([]);
    expect(assignedIn(when(given([beaconRound(1, 1_000)], before), simRound).published)).toHaveLength(8);
    // Without a scheme named the aggregator's input is as before: drand's key, no scheme field.
    expect(aggregatorInput(network)).not.toHaveProperty("beaconScheme");
  });

  it("the eligible set is the registry at the L1's EpochStarted: below the minimum stake and later registrations are out", () => {
    const min = network.params.minimumStake;
    const epoch1 = network.params.epochSlots;
    const snapshot = given([registered("rich", min * 3n), registered("poor", min - 1n), epochStarted(0, 0), proposed(epoch1, 4, 900)]);
    expect(eligibleSet(snapshot.context, epoch1)).toBeUndefined();
    // Registered after epoch 0 started but before epoch 1: eligible in epoch 1, not in epoch 0.
    const started = given([registered("late", min * 5n, { time: 500, slot: 0 }), epochStarted(1, 1_000, epoch1)], snapshot);
    expect(eligibleSet(started.context, 0)).toEqual([{ prover: "rich", stake: min * 3n }]);
    expect(eligibleSet(started.context, epoch1)).toEqual([
      { prover: "late", stake: min * 5n },
      { prover: "rich", stake: min * 3n },
    ]);
    // A stake raised after the epoch started counts from the next epoch on.
    const raised = given([stakeChanged("poor", min, 1n, { time: 1_200, slot: epoch1 })], started);
    expect(eligibleSet(raised.context, epoch1)?.map((p) => p.prover)).toEqual(["late", "rich"]);
    const next = given([epochStarted(2, 2_000, 2 * epoch1)], raised);
    expect(eligibleSet(next.context, 2 * epoch1)?.map((p) => p.prover)).toEqual(["late", "poor", "rich"]);
    const { published } = when(next, beaconRound(epoch1 + 1, 1_000));
    expect(assignedIn(published)).toHaveLength(4);
    expect(assignedIn(published).every((a) => a.prover === "late" || a.prover === "rich")).toBe(true);
  });
});

describe("aggregator: proofs", () => {
  it("a proof of a block already submitted: duplicate only when its prover signed it, bad-signature when forged in its name (regression: a forgery was slashed as equivocation)", () => {
    const { snapshot, leaves } = openBlock(0, 8);
    const done = proveAll(snapshot, leaves);
    expect(done.snapshot.context.blocks["0"]?.phase).toBe("submitted");
    const leaf = nth(leaves, 0);
    const forger = network.provers.map((p) => p.id).find((p) => p !== leaf.prover) as string;
    const reasons = (drafts: readonly OutputDraft[]) => draftsOf(drafts, "ProofRejected").map((d) => d.payload.reason);
    expect(reasons(when(done.snapshot, proofFor(leaf, { time: 9_000, signer: forger })).published)).toEqual(["bad-signature"]);
    expect(reasons(when(done.snapshot, proofFor(leaf, { time: 9_000, publicInput: txHash(7, 7) })).published)).toEqual(["duplicate"]);
  });

  it("a node is handed out when the aggregator learns of it: live its Clock dates the deadline, a replay takes the deadline back from its NodeAssigned", () => {
    const inputs = [...registry(), proposed(0, 8, 900)];
    const round = beaconRound(1, 1_000);
    // Live, but 9 s late (the aggregator was down): handed out at 10 000, not at the round's 1 000.
    const [late, lateActions] = transition(aggregatorMachine, given(inputs), { type: "input", event: round, now: 10_000 });
    const handedOut = assignedIn(publishedBy(lateActions as never));
    expect(handedOut.map((a) => a.deadline)).toEqual(Array(8).fill(10_000 + 3 * slotMs));
    // A replay has no Clock: it decides from the inputs' times, then its own NodeAssigned read back sets the deadline.
    expect(assignedIn(when(given(inputs), round).published).map((a) => a.deadline)).toEqual(Array(8).fill(1_000 + 3 * slotMs));
    const readBack = handedOut.map((payload) => envelope("NodeAssigned", payload, { time: 10_000, slot: 9, source: "aggregator" }));
    const afterReplay = given(readBack, given([round], given(inputs)));
    const afterLive = given(readBack, late);
    expect(decisionsOf(afterReplay)).toEqual(decisionsOf(afterLive));
    expect(decisionsOf(afterReplay)).not.toEqual(decisionsOf(given([round], given(inputs))));
  });

  it("a late hand-out keeps its prover's clock at the cause: a proof made before the aggregator learned of the block is accepted, and the deadline runs from the Clock", () => {
    const inputs = [...registry(), proposed(0, 8, 900)];
    const round = beaconRound(1, 1_000);
    // Live, 600 ms late (a busy aggregator): the deadline runs from 1 600.
    const [late, lateActions] = transition(aggregatorMachine, given(inputs), { type: "input", event: round, now: 1_600 });
    const leaves = assignedIn(publishedBy(lateActions as never));
    expect(leaves.map((a) => a.deadline)).toEqual(Array(8).fill(1_600 + 3 * slotMs));
    // A prover that read the round and proved at once (tree-VRF assignments are public) beat the hand-out: its proof counts.
    const early = when(late, proofFor(nth(leaves, 0), { time: 1_300 }));
    expect(early.published.map((d) => d.type)).toContain("ProofAccepted");
    expect(draftsOf(early.published, "ProofRejected")).toEqual([]);
    // On time, by the Clock: a merge handed out when its last child is read late still gets D_merge from then.
    const all = proveAll(late, leaves, { time: 1_400 });
    const merges = assignedIn(all.published).filter((a) => a.level === 1);
    expect(merges.length).toBeGreaterThan(0);
  });

  it("griefing (a fault on the aggregator): valid proofs of the victim are dropped without a verdict until healed; others' are judged", () => {
    const { snapshot, leaves } = openBlock(0, 8);
    const victimLeaf = nth(leaves, 0);
    const victim = victimLeaf.prover;
    const other = leaves.find((l) => l.prover !== victim);
    const grief = envelope("FaultInjected", { fault: "grief", target: "aggregator", params: { prover: victim } }, { time: 1_500, slot: 0, source: "orchestrator" });
    const griefing = when(snapshot, grief);
    expect(griefing.published).toEqual([]);
    const dropped = when(griefing.snapshot, proofFor(victimLeaf, { time: 2_000 }));
    expect(dropped.published).toEqual([]);
    expect(dropped.snapshot.context.blocks).toEqual(griefing.snapshot.context.blocks);
    // An invalid proof is still rejected: griefing drops only what it should have accepted.
    expect(when(griefing.snapshot, proofFor(victimLeaf, { time: 2_000, publicInput: txHash(9, 9) })).published.map((d) => d.type)).toEqual(["ProofRejected"]);
    if (other !== undefined) expect(when(griefing.snapshot, proofFor(other, { time: 2_000 })).published.map((d) => d.type)).toContain("ProofAccepted");
    // A prover-less grief drops everyone's; a heal ends it.
    const everyone = when(snapshot, envelope("FaultInjected", { fault: "grief", target: "aggregator", params: {} }, { time: 1_500, slot: 0, source: "orchestrator" }));
    if (other !== undefined) expect(when(everyone.snapshot, proofFor(other, { time: 2_000 })).published).toEqual([]);
    const healed = when(griefing.snapshot, envelope("FaultHealed", { fault: "grief", target: "aggregator" }, { time: 1_800, slot: 0, source: "orchestrator" }));
    expect(when(healed.snapshot, proofFor(victimLeaf, { time: 2_000 })).published.map((d) => d.type)).toEqual(["ProofAccepted"]);
    // A fault on someone else is not the aggregator's.
    const elsewhere = when(snapshot, envelope("FaultInjected", { fault: "grief", target: "prover-1", params: {} }, { time: 1_500, slot: 0, source: "orchestrator" }));
    expect(elsewhere.snapshot.context).toEqual(snapshot.context);
  });

  it("accepts valid leaf proofs and hands out a merge node once both its children are accepted", () => {
    const { snapshot, leaves, assignment } = openBlock(0, 8);
    const first = when(snapshot, proofFor(nth(leaves, 0), { time: 2_000 }));
    expect(first.published.map((d) => d.type)).toEqual(["ProofAccepted"]);
    const second = when(first.snapshot, proofFor(nth(leaves, 1), { time: 2_500 }));
    expect(second.published.map((d) => d.type)).toEqual(["ProofAccepted", "NodeAssigned"]);
    expect(draftsOf(second.published, "ProofAccepted")[0]?.payload).toMatchObject({ block: 0, level: 0, index: 1, prover: nth(leaves, 1).prover });
    expect(assignedIn(second.published)).toEqual([
      {
        block: 0,
        level: 1,
        index: 0,
        prover: assignment.levels[1]?.[0],
        deadline: 2_500 + 2 * slotMs,
        publicInput: mergePublicInput(txHash(0, 0), txHash(0, 1)),
        childProofHashes: [acceptedHash(first.published, 0, 0), acceptedHash(second.published, 0, 1)],
      },
    ]);
  });

  const other = (prover: string): ProverId => nth(network.provers.filter((p) => p.id !== prover), 0).id;

  // Each case: a state, then a proof that must be rejected with `reason`.
  const rejections: readonly { readonly name: string; readonly reason: RejectionReason; readonly proof: () => { snapshot: Snapshot; event: ProtocolEvent } }[] = [
    {
      name: "a prover that is not registered",
      reason: "unknown-prover",
      proof: () => {
        const { snapshot, leaves } = openBlock(0, 8);
        return { snapshot, event: proofFor(nth(leaves, 0), { time: 2_000 }, "prover-99") };
      },
    },
    {
      name: "a registered prover that is not the node's",
      reason: "not-assigned",
      proof: () => {
        const { snapshot, leaves } = openBlock(0, 8);
        return { snapshot, event: proofFor(nth(leaves, 0), { time: 2_000 }, other(nth(leaves, 0).prover)) };
      },
    },
    {
      name: "a merge node whose children are not accepted yet",
      reason: "not-assigned",
      proof: () => {
        const { snapshot, assignment } = openBlock(0, 8);
        const merge = { block: 0, level: 1, index: 0, prover: nth(nth(assignment.levels, 1), 0), deadline: 0, publicInput: mergePublicInput(txHash(0, 0), txHash(0, 1)), childProofHashes: [] } as unknown as Assigned;
        return { snapshot, event: proofFor(merge, { time: 2_000 }) };
      },
    },
    {
      name: "a block the aggregator has not seen",
      reason: "not-assigned",
      proof: () => {
        const { snapshot, leaves } = openBlock(0, 8);
        return { snapshot, event: proofFor({ ...nth(leaves, 0), block: 7 as BlockNumber }, { time: 2_000 }) };
      },
    },
    {
      name: "a signature by another prover's key",
      reason: "bad-signature",
      proof: () => {
        const { snapshot, leaves } = openBlock(0, 8);
        return { snapshot, event: proofFor(nth(leaves, 0), { time: 2_000, signer: other(nth(leaves, 0).prover) }) };
      },
    },
    {
      name: "a proof hash that is not the proof's",
      reason: "bad-signature",
      proof: () => {
        const { snapshot, leaves } = openBlock(0, 8);
        return { snapshot, event: proofFor(nth(leaves, 0), { time: 2_000, proofHash: txHash(1, 1) }) };
      },
    },
    {
      name: "a signed proof of another transaction",
      reason: "wrong-public-input",
      proof: () => {
        const { snapshot, leaves } = openBlock(0, 8);
        return { snapshot, event: proofFor(nth(leaves, 0), { time: 2_000, publicInput: txHash(0, 1) }) };
      },
    },
    {
      name: "a leaf proof that claims children",
      reason: "wrong-children",
      proof: () => {
        const { snapshot, leaves } = openBlock(0, 8);
        return { snapshot, event: proofFor(nth(leaves, 0), { time: 2_000, childProofHashes: [txHash(5, 5)] }) };
      },
    },
    {
      name: "a merge proof with its children swapped",
      reason: "wrong-children",
      proof: () => {
        const { snapshot, leaves } = openBlock(0, 8);
        const a = when(snapshot, proofFor(nth(leaves, 0), { time: 2_000 }));
        const b = when(a.snapshot, proofFor(nth(leaves, 1), { time: 2_000 }));
        const merge = nth(assignedIn(b.published), 0);
        return { snapshot: b.snapshot, event: proofFor(merge, { time: 2_100, childProofHashes: [...merge.childProofHashes].reverse() }) };
      },
    },
    {
      name: "a second proof of an accepted node",
      reason: "duplicate",
      proof: () => {
        const { snapshot, leaves } = openBlock(0, 8);
        const accepted = when(snapshot, proofFor(nth(leaves, 0), { time: 2_000 })).snapshot;
        return { snapshot: accepted, event: proofFor(nth(leaves, 0), { time: 2_100 }) };
      },
    },
    {
      name: "a proof sooner than the minimum proving time",
      reason: "too-early",
      proof: () => {
        const slow = testNetwork({ params: { minProvingTimeMs: 1_000 } });
        const { snapshot, leaves } = openBlock(0, 8, slow);
        return { snapshot, event: proofFor(nth(leaves, 0), { time: 1_999 }) };
      },
    },
  ];

  it.each(rejections)("rejects $name: $reason", ({ reason, proof }) => {
    const { snapshot, event } = proof();
    const { snapshot: after, published } = when(snapshot, event);
    const submitted = event.payload as PayloadOf<"ProofSubmitted">;
    expect(published).toEqual([
      {
        type: "ProofRejected",
        correlationId: `block-${submitted.block}`,
        slot: event.slot,
        payload: { block: submitted.block, level: submitted.level, index: submitted.index, prover: submitted.prover, proofHash: submitted.proofHash, reason },
      },
    ]);
    // Nothing changes but the outbox, which counts the rejection until it is read back.
    expect(decisionsOf(after)).toEqual(decisionsOf(snapshot));
    expect(unpublishedOutputs(after.context)).toEqual([...unpublishedOutputs(snapshot.context), ...published]);
  });

  it("accepts a proof once the minimum proving time has passed", () => {
    const slow = testNetwork({ params: { minProvingTimeMs: 1_000 } });
    const { snapshot, leaves } = openBlock(0, 8, slow);
    expect(when(snapshot, proofFor(nth(leaves, 0), { time: 2_000 })).published.map((d) => d.type)).toEqual(["ProofAccepted"]);
  });

  it("an accepted root completes the tree: RootProofSubmitted and SubmitRoot with every proof, leaves first", () => {
    const { snapshot, leaves } = openBlock(0, 8);
    const { snapshot: done, published } = proveAll(snapshot, leaves);
    expect(draftsOf(published, "ProofAccepted")).toHaveLength(15);
    expect(draftsOf(published, "ProofRejected")).toHaveLength(0);
    const root = nth(draftsOf(published, "RootProofSubmitted"), 0);
    const submit = nth(draftsOf(published, "SubmitRoot"), 0);
    const rootHash = acceptedHash(published, 3, 0);
    expect(published.slice(-2).map((d) => d.type)).toEqual(["RootProofSubmitted", "SubmitRoot"]);
    const order = submit.payload.proofs.map((p) => `${p.level}/${p.index}`);
    expect(order).toEqual([...Array.from({ length: 8 }, (_, i) => `0/${i}`), "1/0", "1/1", "1/2", "1/3", "2/0", "2/1", "3/0"]);
    const contributors = [...new Set(submit.payload.proofs.map((p) => p.prover))];
    expect(root.payload).toEqual({ block: 0, proofHash: rootHash, contributors });
    expect(submit.payload).toMatchObject({ block: 0, proofHash: rootHash, contributors });
    expect(submit.payload.proofs[14]).toMatchObject({ level: 3, index: 0, childProofHashes: [acceptedHash(published, 2, 0), acceptedHash(published, 2, 1)] });
    expect(done.context.blocks["0"]).toEqual({ phase: "submitted", rootProofHash: rootHash });
    // Anything after that is a duplicate.
    expect(when(done, proofFor(nth(leaves, 3), { time: 9_000 })).published.map((d) => (d.payload as { reason?: string }).reason)).toEqual(["duplicate"]);
  });

  it("pads a 5-transaction block: empty leaves need no proof, and a merge over one carries one child", () => {
    const { snapshot, leaves } = openBlock(3, 5);
    expect(leaves.map((l) => l.index)).toEqual([0, 1, 2, 3, 4]);
    const { published } = proveAll(snapshot, leaves);
    const assigned = assignedIn(published);
    const at = (level: number, index: number) => nth(assigned.filter((a) => a.level === level && a.index === index), 0);
    expect(assigned.map((a) => `${a.level}/${a.index}`).sort()).toEqual(["1/0", "1/1", "1/2", "2/0", "2/1", "3/0"]);
    const over4 = mergePublicInput(txHash(3, 4), EMPTY_LEAF_PUBLIC_INPUT);
    expect(at(1, 2)).toMatchObject({ publicInput: over4, childProofHashes: [acceptedHash(published, 0, 4)] });
    expect(at(2, 1)).toMatchObject({
      publicInput: mergePublicInput(over4, mergePublicInput(EMPTY_LEAF_PUBLIC_INPUT, EMPTY_LEAF_PUBLIC_INPUT)),
      childProofHashes: [acceptedHash(published, 1, 2)],
    });
    const submit = nth(draftsOf(published, "SubmitRoot"), 0);
    expect(submit.payload.proofs).toHaveLength(11);
    expect(submit.payload.proofHash).toBe(acceptedHash(published, 3, 0));
  });

  it("a one-transaction block: its only leaf is its root", () => {
    const { snapshot, leaves } = openBlock(2, 1);
    expect(leaves).toHaveLength(1);
    const { published } = proveAll(snapshot, leaves);
    expect(published.map((d) => d.type)).toEqual(["ProofAccepted", "RootProofSubmitted", "SubmitRoot"]);
  });
});

describe("aggregator: replay", () => {
  const asEvent = (draft: OutputDraft) => envelope(draft.type, draft.payload as never, { time: 0, slot: draft.slot, source: "aggregator" });

  /**
   * Two blocks proven live, every event at one time (so a replay orders them by topic alone),
   * each output read back right after its step, as the host delivers it.
   */
  const liveRun = () => {
    const inputs: ProtocolEvent[] = [...registry(), proposed(0, 8, 0), beaconRound(1, 0), beaconRound(2, 0), proposed(1, 5, 0)];
    let snapshot = start();
    const log: ProtocolEvent[] = [];
    const pending: Assigned[] = [];
    const fold = (event: ProtocolEvent) => {
      const step = when(snapshot, event);
      snapshot = step.snapshot;
      log.push(event);
      const outputs = step.published.map(asEvent);
      for (const output of outputs) {
        log.push(output);
        snapshot = when(snapshot, output).snapshot;
      }
      pending.push(...assignedIn(step.published));
    };
    inputs.forEach(fold);
    for (let next = pending.shift(); next !== undefined; next = pending.shift()) fold(proofFor(next, { time: 0 }));
    return { snapshot, log, own: log.filter((e) => e.source === "aggregator") };
  };

  const replayed = (log: readonly ProtocolEvent[]) =>
    given([...log].sort((a, b) => AGGREGATOR_INPUTS.indexOf(topicOf[a.type] as never) - AGGREGATOR_INPUTS.indexOf(topicOf[b.type] as never)));

  it("its own outputs, read back, leave nothing to publish", () => {
    const { snapshot, own } = liveRun();
    expect(draftsOf(own as never, "SubmitRoot")).toHaveLength(2);
    expect(snapshot.context.outbox).toEqual({});
    expect(Object.values(snapshot.context.blocks).map((b) => b.phase)).toEqual(["submitted", "submitted"]);
  });

  it("a replay in topic order (its outputs before the proofs they answer) rebuilds the same state, and host.started publishes nothing", () => {
    const { snapshot, log } = liveRun();
    const again = replayed(log);
    expect(stateHashOf(again)).toBe(stateHashOf(snapshot));
    const [after, actions] = transition(aggregatorMachine, again, { type: "host.started", now: 99_000 });
    expect(actions).toEqual([]);
    expect(stateHashOf(after)).toBe(stateHashOf(snapshot));
  });

  it("what was decided while the aggregator could not publish goes out on host.started, once", () => {
    const { snapshot, log, own } = liveRun();
    // As if it had been down for the whole run: the inputs only.
    const down = replayed(log.filter((e) => e.source !== "aggregator"));
    const [, actions] = transition(aggregatorMachine, down, { type: "host.started", now: 99_000 });
    const republished = publishedBy(actions as never);
    expect(republished.map((d) => d.payload)).toEqual(own.map((e) => e.payload));
    // Read back, they settle the outbox: the state is the live run's.
    expect(stateHashOf(given(republished.map(asEvent), down))).toBe(stateHashOf(snapshot));
  });

  it("a context in the middle of a run survives canonical JSON (snapshots)", () => {
    const { snapshot, leaves } = openBlock(0, 8);
    const midway = when(when(snapshot, proofFor(nth(leaves, 0), { time: 2_000 })).snapshot, proposed(1, 3, 2_100)).snapshot;
    expect(Object.keys(midway.context.outbox).length).toBeGreaterThan(0);
    expect(parseCanonicalJson(canonicalJson(midway.context))).toEqual(midway.context);
  });

  it("a step cut short: only the outputs missing from the log go out", () => {
    const { log } = liveRun();
    const lastRoot = log.findLastIndex((e) => e.type === "SubmitRoot");
    const cut = replayed([...log.slice(0, lastRoot), ...log.slice(lastRoot + 1)]);
    const [, actions] = transition(aggregatorMachine, cut, { type: "host.started", now: 99_000 });
    expect(publishedBy(actions as never)).toEqual([draftsOf(unpublishedOutputs(cut.context), "SubmitRoot")[0]]);
    expect(draftsOf(publishedBy(actions as never), "SubmitRoot")[0]?.payload).toEqual(log[lastRoot]?.payload);
  });
});
