import { assign, setup } from "xstate";
import type { Hash, ProofRecord, ProverId } from "@zk-testnet/protocol";

// The life of one node of a block's proof tree. The aggregator folds every node through the
// reducer `stepNode`; `nodeMachine` is the same life written as an XState machine, the model
// that the model-based test walks (every state by its shortest path) to check the reducer.
//
//   assigned --node.assign--> proving --node.accept--> accepted
//                               |                         ^
//                    node.deadlinePassed                  |
//                               v                         |
//   missed --node.takeover--> takeover (sibling, then parent) --node.accept--+
//     |   <--node.deadlinePassed--'                                          |
//     '--node.open--> open --node.accept (any eligible prover)---------------'
//
// Once accepted a node never changes: the first valid proof wins.
//
// The failure half (missed, takeover, open) is here so that deadlines plug in without a
// rewrite; the aggregator does not send node.deadlinePassed yet.

export type NodeStatus = "assigned" | "proving" | "accepted" | "missed" | "takeover" | "open";

/** A takeover step that hands the node to one prover; "open" hands it to all (`node.open`). */
export type HandoverStep = "sibling" | "parent";

export interface NodeState {
  readonly status: NodeStatus;
  /** The tree-VRF's pick for the node. */
  readonly assignee: ProverId;
  /** Who may prove the node now (assignee, then taker); the accepted proof's prover once accepted; null otherwise. */
  readonly holder: ProverId | null;
  /** The public input its proof must carry. */
  readonly publicInput: Hash;
  /** The child proof hashes its proof must carry, known once it is handed out (none for a leaf). */
  readonly childProofHashes: readonly Hash[];
  /** When the current holder's deadline clock started (ms); null before the node is handed out. */
  readonly since: number | null;
  /** The current (or, once missed, the last) deadline in ms: the hook for the failure path's timers. */
  readonly deadline: number | null;
  /** The takeover step the node is at, null before any. */
  readonly step: HandoverStep | "open" | null;
  /** Holders that let their deadline pass, in order. */
  readonly missedBy: readonly ProverId[];
  /** The accepted proof's hash. */
  readonly proofHash: Hash | null;
  /** The accepted proof, as SubmitRoot carries it. */
  readonly record: ProofRecord | null;
  /** When the accepted proof was submitted (its event's time), ms: its parent's deadline clock starts from its children's. */
  readonly acceptedAt: number | null;
}

export interface NodeAssign {
  readonly type: "node.assign";
  readonly prover: ProverId;
  readonly since: number;
  readonly deadline: number;
  readonly childProofHashes: readonly Hash[];
}
export interface NodeAccept {
  readonly type: "node.accept";
  readonly prover: ProverId;
  readonly proofHash: Hash;
  readonly record: ProofRecord;
  readonly at: number;
}
export interface NodeDeadlinePassed {
  readonly type: "node.deadlinePassed";
  readonly at: number;
}
export interface NodeTakeover {
  readonly type: "node.takeover";
  readonly step: HandoverStep;
  readonly prover: ProverId;
  readonly since: number;
  readonly deadline: number;
}
export interface NodeOpen {
  readonly type: "node.open";
  readonly since: number;
  readonly deadline: number;
}

export type NodeEvent = NodeAssign | NodeAccept | NodeDeadlinePassed | NodeTakeover | NodeOpen;

/** A node as the tree-VRF leaves it: its prover picked, not handed out yet. */
export const newNode = (assignee: ProverId, publicInput: Hash): NodeState => ({
  status: "assigned",
  assignee,
  holder: null,
  publicInput,
  childProofHashes: [],
  since: null,
  deadline: null,
  step: null,
  missedBy: [],
  proofHash: null,
  record: null,
  acceptedAt: null,
});

// Guards, shared by the reducer and the model.

/** Whether `prover` may have a proof of the node accepted now: its holder, or anyone once it is open. */
export const mayProve = (node: NodeState, prover: ProverId): boolean =>
  node.status === "open" || ((node.status === "proving" || node.status === "takeover") && node.holder === prover);

export const isDue = (node: NodeState, at: number): boolean => node.deadline !== null && at >= node.deadline;

const stepRank = (step: NodeState["step"]): number => (step === null ? 0 : step === "sibling" ? 1 : step === "parent" ? 2 : 3);

/** The chain only moves forward (sibling, then parent), and never back to the prover that just failed. */
export const mayTakeOver = (node: NodeState, event: NodeTakeover): boolean =>
  stepRank(event.step) > stepRank(node.step) && event.prover !== node.missedBy[node.missedBy.length - 1];

// What each transition does to the node.

const handOut = (node: NodeState, event: NodeAssign): NodeState => ({
  ...node,
  status: "proving",
  holder: event.prover,
  since: event.since,
  deadline: event.deadline,
  childProofHashes: event.childProofHashes,
});

const accept = (node: NodeState, event: NodeAccept): NodeState => ({
  ...node,
  status: "accepted",
  holder: event.prover,
  proofHash: event.proofHash,
  record: event.record,
  acceptedAt: event.at,
});

const miss = (node: NodeState): NodeState => ({
  ...node,
  status: "missed",
  holder: null,
  missedBy: node.holder === null ? node.missedBy : [...node.missedBy, node.holder],
});

const takeOver = (node: NodeState, event: NodeTakeover): NodeState => ({
  ...node,
  status: "takeover",
  holder: event.prover,
  step: event.step,
  since: event.since,
  deadline: event.deadline,
});

const open = (node: NodeState, event: NodeOpen): NodeState => ({
  ...node,
  status: "open",
  holder: null,
  step: "open",
  since: event.since,
  deadline: event.deadline,
});

/** The node after `event`; the same node when the event does not apply in its state. */
export const stepNode = (node: NodeState, event: NodeEvent): NodeState => {
  switch (node.status) {
    case "assigned":
      return event.type === "node.assign" ? handOut(node, event) : node;
    case "proving":
      if (event.type === "node.accept") return mayProve(node, event.prover) ? accept(node, event) : node;
      if (event.type === "node.deadlinePassed") return isDue(node, event.at) ? miss(node) : node;
      return node;
    case "missed":
      if (event.type === "node.takeover") return mayTakeOver(node, event) ? takeOver(node, event) : node;
      if (event.type === "node.open") return open(node, event);
      return node;
    case "takeover":
      if (event.type === "node.accept") return mayProve(node, event.prover) ? accept(node, event) : node;
      if (event.type === "node.deadlinePassed") return isDue(node, event.at) ? miss(node) : node;
      return node;
    case "open":
      return event.type === "node.accept" ? accept(node, event) : node;
    case "accepted":
      return node;
    default:
      return absurd(node.status);
  }
};

const absurd = (value: never): never => {
  throw new Error(`unexpected node status ${String(value)}`);
};

/** The node's life as an XState machine: the model `stepNode` is tested against. */
export const nodeMachine = setup({
  types: { context: {} as NodeState, events: {} as NodeEvent, input: {} as NodeState },
  guards: {
    mayProve: ({ context, event }) => event.type === "node.accept" && mayProve(context, event.prover),
    isDue: ({ context, event }) => event.type === "node.deadlinePassed" && isDue(context, event.at),
    mayTakeOver: ({ context, event }) => event.type === "node.takeover" && mayTakeOver(context, event),
  },
  actions: {
    handOut: assign(({ context, event }) => (event.type === "node.assign" ? handOut(context, event) : context)),
    accept: assign(({ context, event }) => (event.type === "node.accept" ? accept(context, event) : context)),
    miss: assign(({ context }) => miss(context)),
    takeOver: assign(({ context, event }) => (event.type === "node.takeover" ? takeOver(context, event) : context)),
    open: assign(({ context, event }) => (event.type === "node.open" ? open(context, event) : context)),
  },
}).createMachine({
  id: "node",
  context: ({ input }) => input,
  initial: "assigned",
  states: {
    assigned: { on: { "node.assign": { target: "proving", actions: "handOut" } } },
    proving: {
      on: {
        "node.accept": { guard: "mayProve", target: "accepted", actions: "accept" },
        "node.deadlinePassed": { guard: "isDue", target: "missed", actions: "miss" },
      },
    },
    missed: {
      on: {
        "node.takeover": { guard: "mayTakeOver", target: "takeover", actions: "takeOver" },
        "node.open": { target: "open", actions: "open" },
      },
    },
    takeover: {
      on: {
        "node.accept": { guard: "mayProve", target: "accepted", actions: "accept" },
        "node.deadlinePassed": { guard: "isDue", target: "missed", actions: "miss" },
      },
    },
    open: { on: { "node.accept": { target: "accepted", actions: "accept" } } },
    accepted: { type: "final" },
  },
});
