import { describe, expect, it } from "vitest";
import { transition } from "xstate";
import { createTestModel } from "xstate/graph";
import type { Level, NodeIndex, ProofRecord, ProofSignature, ProverId } from "@zk-testnet/protocol";
import { newNode, nodeMachine, stepNode, type NodeEvent, type NodeState, type NodeStatus } from "./node-machine.ts";
import { nth, txHash } from "./testing.ts";

// Model-based test: xstate/graph walks `nodeMachine` (the model) to every reachable state by
// its shortest path; each path is replayed through `stepNode` (what the aggregator runs), which
// must land in the same state, agree with the model on every event from there, and keep the
// node's invariants at every step. The alphabet holds the live forms of the failure path
// (a deadline that passed) and the forms the log records (NodeDeadlineMissed names its prover),
// proofs made inside and outside their prover's window, and a second open round.

const [P1, P2, P3] = ["prover-1", "prover-2", "prover-3"] as ProverId[] as [ProverId, ProverId, ProverId];
const [H1, H2, H3] = [txHash(90, 1), txHash(90, 2), txHash(90, 3)];
const PUBLIC_INPUT = txHash(90, 0);

const recordOf = (prover: ProverId): ProofRecord => ({
  level: 0 as Level,
  index: 0 as NodeIndex,
  prover,
  publicInput: PUBLIC_INPUT,
  childProofHashes: [],
  signature: "ab".repeat(64) as ProofSignature,
});

/** A finite alphabet that drives the node through every state, and tries what must fail. */
const events: readonly NodeEvent[] = [
  { type: "node.assign", prover: P1, since: 0, deadline: 100, childProofHashes: [] },
  { type: "node.assign", prover: P2, since: 0, deadline: 100, childProofHashes: [] },
  { type: "node.accept", prover: P1, proofHash: H1, record: recordOf(P1), at: 60 },
  { type: "node.accept", prover: P2, proofHash: H2, record: recordOf(P2), at: 150 },
  { type: "node.accept", prover: P3, proofHash: H3, record: recordOf(P3), at: 350 },
  // Made after its maker's deadline: accepted only once the node is open.
  { type: "node.accept", prover: P1, proofHash: H1, record: recordOf(P1), at: 450 },
  { type: "node.deadlinePassed", at: 50 },
  { type: "node.deadlinePassed", at: 400 },
  // As NodeDeadlineMissed records them.
  { type: "node.deadlinePassed", at: 100, prover: P1 },
  { type: "node.deadlinePassed", at: 200, prover: P2 },
  { type: "node.takeover", step: "sibling", prover: P2, since: 100, deadline: 200 },
  { type: "node.takeover", step: "sibling", prover: P1, since: 100, deadline: 200 },
  { type: "node.takeover", step: "parent", prover: P3, since: 200, deadline: 300 },
  { type: "node.open", since: 300, deadline: 400 },
  // The open round timed out: the next one.
  { type: "node.open", since: 400, deadline: 500 },
];

const start = newNode(P1, PUBLIC_INPUT);

const model = createTestModel(nodeMachine, { events: [...events], input: start });
// Every reachable state keeps its own shortest path, even one that is the start of a longer one.
const paths = model.getShortestPaths({ allowDuplicatePaths: true });

/** What must hold of every step `before --event--> after` of a node's life. */
const checkStep = (before: NodeState, event: NodeEvent, after: NodeState): void => {
  if (before.status !== "accepted" && after.status === "accepted") {
    // Accepted only through a proof made by the prover that held the node at the time, before
    // the deadline it had (the current holder, or one whose proof was on its way when its
    // deadline passed), or by anyone once the node was open.
    expect(event.type).toBe("node.accept");
    if (event.type === "node.accept") {
      const heldThen = before.windows.some((w) => w.prover === event.prover && event.at < w.deadline);
      const openThen = before.status === "open" && before.openedAt !== null && event.at >= before.openedAt;
      expect(heldThen || openThen).toBe(true);
      if (before.status !== "open") expect(heldThen).toBe(true);
      expect(after.proofHash).toBe(event.proofHash);
    }
  }
  if (before.status === "accepted") {
    // Never a second accepted proof: once accepted, the proof and its prover stay.
    expect(after.status).toBe("accepted");
    expect(after.proofHash).toBe(before.proofHash);
    expect(after.holder).toBe(before.holder);
    expect(after.record).toBe(before.record);
    expect(after.acceptedAt).toBe(before.acceptedAt);
  }
  // The chain only moves forward, and never hands the node to a prover that missed it.
  expect(after.attempt).toBeGreaterThanOrEqual(before.attempt);
  expect(after.missedBy.slice(0, before.missedBy.length)).toEqual(before.missedBy);
  if (after.status === "takeover") expect(after.missedBy).not.toContain(after.holder);
  checkState(after);
};

const checkState = (node: NodeState): void => {
  switch (node.status) {
    case "assigned":
      expect([node.holder, node.deadline, node.since]).toEqual([null, null, null]);
      break;
    case "proving":
    case "takeover":
      expect(node.holder).not.toBeNull();
      expect(node.deadline).not.toBeNull();
      expect(node.since).not.toBeNull();
      break;
    case "missed":
      expect(node.holder).toBeNull();
      expect(node.missedBy.length).toBeGreaterThan(0);
      break;
    case "open":
      expect(node.holder).toBeNull();
      expect(node.step).toBe("open");
      expect(node.openedAt).not.toBeNull();
      break;
    case "accepted":
      expect(node.proofHash).not.toBeNull();
      expect(node.holder).not.toBeNull();
      expect(node.record?.prover).toBe(node.holder);
      expect(node.acceptedAt).not.toBeNull();
      break;
    default:
      throw new Error(`unexpected status ${String(node.status satisfies never)}`);
  }
  if (node.status !== "accepted") expect([node.proofHash, node.record, node.acceptedAt]).toEqual([null, null, null]);
};

describe("node machine (model-based)", () => {
  it("reaches every state of a node's life", () => {
    const reached = new Set(paths.map((p) => p.state.value as NodeStatus));
    expect([...reached].sort()).toEqual(["accepted", "assigned", "missed", "open", "proving", "takeover"]);
  });

  it.each(paths.map((path) => [path.description, path] as const))("%s", (_description, path) => {
    let node = start;
    for (const step of path.steps) {
      if (step.event.type.startsWith("xstate.")) {
        expect(node).toEqual(step.state.context);
        continue;
      }
      const before = node;
      node = stepNode(node, step.event);
      expect(node.status).toBe(step.state.value);
      expect(node).toEqual(step.state.context);
      checkStep(before, step.event, node);
      // From here the reducer and the model agree on every event, taken or not.
      for (const event of events) expect(stepNode(node, event)).toEqual(transition(nodeMachine, step.state, event)[0].context);
    }
  });

  it("a takeover never goes back to the prover that just missed, nor back down the chain", () => {
    const proving = stepNode(start, nth(events, 0));
    const missed = stepNode(proving, { type: "node.deadlinePassed", at: 100 });
    expect(stepNode(missed, { type: "node.takeover", step: "sibling", prover: P1, since: 100, deadline: 200 })).toBe(missed);
    const parent = stepNode(missed, { type: "node.takeover", step: "parent", prover: P3, since: 100, deadline: 200 });
    const again = stepNode(parent, { type: "node.deadlinePassed", at: 200 });
    expect(again.missedBy).toEqual([P1, P3]);
    expect(stepNode(again, { type: "node.takeover", step: "sibling", prover: P2, since: 200, deadline: 300 })).toBe(again);
    expect(stepNode(again, { type: "node.open", since: 200, deadline: 300 }).status).toBe("open");
  });

  it("a proof on its way when its holder's deadline passed: folded after the miss and the takeover, or before them (as the log orders it), the same node", () => {
    const proving = stepNode(start, nth(events, 0));
    const inFlight: NodeEvent = { type: "node.accept", prover: P1, proofHash: H1, record: recordOf(P1), at: 99 };
    const missed: NodeEvent = { type: "node.deadlinePassed", at: 100, prover: P1 };
    const takeover: NodeEvent = { type: "node.takeover", step: "sibling", prover: P2, since: 100, deadline: 200 };
    const live = [missed, takeover, inFlight].reduce(stepNode, proving);
    const logOrder = [inFlight, missed, takeover].reduce(stepNode, proving);
    expect(live.status).toBe("accepted");
    expect(live.holder).toBe(P1);
    expect(logOrder).toEqual(live);
    // The records fold once: read back again, they change nothing.
    expect([missed, takeover].reduce(stepNode, live)).toBe(live);
    // Made at its deadline, it is too late, before or after the timer.
    const late: NodeEvent = { ...inFlight, at: 100 };
    expect(stepNode(proving, late)).toBe(proving);
    expect(stepNode([missed, takeover].reduce(stepNode, proving), late).status).toBe("takeover");
  });

  it("an open round that timed out opens again with a later deadline; the first round's start stays the open rounds' start", () => {
    const missed = [nth(events, 0), { type: "node.deadlinePassed", at: 100 } as NodeEvent].reduce(stepNode, start);
    const opened = stepNode(missed, { type: "node.open", since: 100, deadline: 200 });
    expect([opened.status, opened.attempt, opened.openedAt]).toEqual(["open", 1, 100]);
    const again = stepNode(opened, { type: "node.open", since: 200, deadline: 300 });
    expect([again.status, again.attempt, again.since, again.deadline, again.openedAt]).toEqual(["open", 2, 200, 300, 100]);
    expect(stepNode(again, { type: "node.open", since: 200, deadline: 300 })).toBe(again);
    // Anyone's proof made since the first round opened.
    expect(stepNode(again, { type: "node.accept", prover: P3, proofHash: H3, record: recordOf(P3), at: 150 }).status).toBe("accepted");
    expect(stepNode(again, { type: "node.accept", prover: P3, proofHash: H3, record: recordOf(P3), at: 99 })).toBe(again);
  });
});
