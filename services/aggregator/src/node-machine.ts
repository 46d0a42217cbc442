import { assign, setup } from "xstate";
import type { Hash, ProofRecord, ProverId } from "@zk-testnet/protocol";

// The life of one node of a block's proof tree. The aggregator folds every node through the
// reducer `stepNode`; `nodeMachine` is the same life written as an XState machine, the model
// that the model-based test walks (every state by its shortest path) to check the reducer.
//
//   assigned --node.assign--> proving --node.accept--> accepted <-------------------+
//                               |                         ^                          |
//                    node.deadlinePassed                  | node.accept              |
//                               v                         |                          |
//   missed --node.takeover--> takeover (sibling, then parent) --node.accept----------+
//     |   <--node.deadlinePassed--'                                                  |
//     '--node.open--> open --node.accept (any eligible prover)-----------------------'
//                      ^  |
//                      '--' node.open (a later round: the open round timed out)
//
// A proof is judged by its own time (its event's), not by when it is folded: it counts for
// the prover that held the node at that time (within that holder's window: before the
// deadline it had), or, once the node is open, for anyone. So a proof that was on its way
// when its holder's deadline fired still wins if nothing was accepted before it, and a fold
// of the log in time order (a replay) judges every proof as the live run did.
//
// The first valid proof wins: once accepted, the proof and its prover never change. The
// deadline facts the aggregator published while the proof was on its way (the miss, the
// takeover) are still recorded on the accepted node, so that both orders of the same events
// (proof folded first in a replay, facts first live) give the same node.

export type NodeStatus = "assigned" | "proving" | "accepted" | "missed" | "takeover" | "open";

/** A takeover step that hands the node to one prover; "open" hands it to all (`node.open`). */
export type HandoverStep = "sibling" | "parent";

/** One hand-out of the node to one prover: it may prove the node until `deadline`. */
export interface HoldingWindow {
  readonly prover: ProverId;
  /** When its clock started (ms): the minimum proving time counts from here. */
  readonly since: number;
  readonly deadline: number;
}

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
  /** When the current holder's (or open round's) clock started (ms); null before the node is handed out. */
  readonly since: number | null;
  /** The current (or, once missed, the last) deadline in ms: its timer is `deadline:<block>/<level>/<index>/<attempt>`. */
  readonly deadline: number | null;
  /** The takeover step the node is at, null before any. */
  readonly step: HandoverStep | "open" | null;
  /** 0 for the first hand-out, then one more for every takeover or open round: names the running deadline. */
  readonly attempt: number;
  /** Every hand-out to one prover, in order (assignee, then takers). */
  readonly windows: readonly HoldingWindow[];
  /** When the node was first opened to every eligible prover; null while it has not been. */
  readonly openedAt: number | null;
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
  /** When the proof was submitted (its event's time), ms. */
  readonly at: number;
}
export interface NodeDeadlinePassed {
  readonly type: "node.deadlinePassed";
  /** The deadline that passed. */
  readonly at: number;
  /** The holder that missed it, as NodeDeadlineMissed names it; absent: the current holder. */
  readonly prover?: ProverId;
}
export interface NodeTakeover {
  readonly type: "node.takeover";
  readonly step: HandoverStep;
  readonly prover: ProverId;
  readonly since: number;
  readonly deadline: number;
}
/** The first hand-out's deadline as the aggregator's own NodeAssigned recorded it (publication time + D). */
export interface NodeRetime {
  readonly type: "node.retime";
  readonly prover: ProverId;
  readonly deadline: number;
}
export interface NodeOpen {
  readonly type: "node.open";
  readonly since: number;
  readonly deadline: number;
}

export type NodeEvent = NodeAssign | NodeAccept | NodeDeadlinePassed | NodeTakeover | NodeOpen | NodeRetime;

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
  attempt: 0,
  windows: [],
  openedAt: null,
  missedBy: [],
  proofHash: null,
  record: null,
  acceptedAt: null,
});

// Guards, shared by the reducer and the model.

/** The hand-out under which `prover` may have a proof made at `at` accepted: one it held and whose deadline was still ahead. */
export const windowOf = (node: NodeState, prover: ProverId, at: number): HoldingWindow | undefined =>
  node.windows.find((w) => w.prover === prover && at < w.deadline);

/** Whether the node was open to every eligible prover at `at`. */
export const isOpenAt = (node: NodeState, at: number): boolean => node.status === "open" && node.openedAt !== null && at >= node.openedAt;

/**
 * Whether `prover` may have a proof made at `at` accepted, as far as the node knows: it held
 * the node then (see windowOf), or the node was open then (whether the prover is eligible is
 * the aggregator's to check). Never once the node has an accepted proof.
 */
export const mayProve = (node: NodeState, prover: ProverId, at: number): boolean =>
  node.status !== "accepted" && node.status !== "assigned" && (windowOf(node, prover, at) !== undefined || isOpenAt(node, at));

/** When the clock of a proof made at `at` by `prover` started: its hand-out's, else the open round's. */
export const clockStartOf = (node: NodeState, prover: ProverId, at: number): number | null => windowOf(node, prover, at)?.since ?? node.openedAt;

export const isDue = (node: NodeState, at: number): boolean => node.deadline !== null && at >= node.deadline;

/** The current holder let its deadline pass (a named prover must be that holder). */
export const hasMissed = (node: NodeState, event: NodeDeadlinePassed): boolean =>
  isDue(node, event.at) && (event.prover === undefined || event.prover === node.holder);

/** An accepted node records a miss published while its proof was on its way, once per prover. */
const recordsMiss = (node: NodeState, event: NodeDeadlinePassed): boolean =>
  event.prover !== undefined && isDue(node, event.at) && !node.missedBy.includes(event.prover);

const stepRank = (step: NodeState["step"]): number => (step === null ? 0 : step === "sibling" ? 1 : step === "parent" ? 2 : 3);

/** The chain only moves forward (sibling, then parent), and never to a prover that already missed the node. */
export const mayTakeOver = (node: NodeState, event: NodeTakeover): boolean => stepRank(event.step) > stepRank(node.step) && !node.missedBy.includes(event.prover);

/** An open round (or the next one, when it timed out) comes with a later deadline. */
export const mayOpen = (node: NodeState, event: NodeOpen): boolean => node.deadline === null || event.deadline > node.deadline;

// What each transition does to the node.

const handOut = (node: NodeState, event: NodeAssign): NodeState => ({
  ...node,
  status: "proving",
  holder: event.prover,
  since: event.since,
  deadline: event.deadline,
  childProofHashes: event.childProofHashes,
  windows: [{ prover: event.prover, since: event.since, deadline: event.deadline }],
});

/** Only the first hand-out, still held by the one it was handed to, and only to a different deadline. */
const mayRetime = (node: NodeState, event: NodeRetime): boolean =>
  node.attempt === 0 && node.holder === event.prover && node.windows.length === 1 && node.deadline !== null && node.deadline !== event.deadline;

/** Moves the first hand-out's deadline to the recorded one (its clock still starts at its cause, live and in a replay). */
const retime = (node: NodeState, event: NodeRetime): NodeState => ({
  ...node,
  deadline: event.deadline,
  windows: node.windows.map((w) => ({ ...w, deadline: event.deadline })),
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
  attempt: node.attempt + 1,
  windows: [...node.windows, { prover: event.prover, since: event.since, deadline: event.deadline }],
});

const open = (node: NodeState, event: NodeOpen): NodeState => ({
  ...node,
  status: "open",
  holder: null,
  step: "open",
  since: event.since,
  deadline: event.deadline,
  attempt: node.attempt + 1,
  openedAt: node.openedAt ?? event.since,
});

// On an accepted node, the same bookkeeping without touching the proof, its prover or the status.
const kept = (node: NodeState, next: NodeState): NodeState => ({ ...next, status: node.status, holder: node.holder });
const recordMiss = (node: NodeState, event: NodeDeadlinePassed): NodeState => ({ ...node, missedBy: [...node.missedBy, event.prover as ProverId] });
const recordTakeover = (node: NodeState, event: NodeTakeover): NodeState => kept(node, takeOver(node, event));
const recordOpen = (node: NodeState, event: NodeOpen): NodeState => kept(node, open(node, event));

/** The node after `event`; the same node when the event does not apply in its state. */
export const stepNode = (node: NodeState, event: NodeEvent): NodeState => {
  switch (node.status) {
    case "assigned":
      return event.type === "node.assign" ? handOut(node, event) : node;
    case "proving":
      if (event.type === "node.retime") return mayRetime(node, event) ? retime(node, event) : node;
      if (event.type === "node.accept") return mayProve(node, event.prover, event.at) ? accept(node, event) : node;
      if (event.type === "node.deadlinePassed") return hasMissed(node, event) ? miss(node) : node;
      return node;
    case "takeover":
      if (event.type === "node.accept") return mayProve(node, event.prover, event.at) ? accept(node, event) : node;
      if (event.type === "node.deadlinePassed") return hasMissed(node, event) ? miss(node) : node;
      return node;
    case "missed":
      if (event.type === "node.accept") return mayProve(node, event.prover, event.at) ? accept(node, event) : node;
      if (event.type === "node.takeover") return mayTakeOver(node, event) ? takeOver(node, event) : node;
      if (event.type === "node.open") return mayOpen(node, event) ? open(node, event) : node;
      return node;
    case "open":
      if (event.type === "node.accept") return mayProve(node, event.prover, event.at) ? accept(node, event) : node;
      if (event.type === "node.open") return mayOpen(node, event) ? open(node, event) : node;
      return node;
    case "accepted":
      if (event.type === "node.deadlinePassed") return recordsMiss(node, event) ? recordMiss(node, event) : node;
      if (event.type === "node.takeover") return mayTakeOver(node, event) ? recordTakeover(node, event) : node;
      if (event.type === "node.open") return mayOpen(node, event) ? recordOpen(node, event) : node;
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
    mayProve: ({ context, event }) => event.type === "node.accept" && mayProve(context, event.prover, event.at),
    hasMissed: ({ context, event }) => event.type === "node.deadlinePassed" && hasMissed(context, event),
    recordsMiss: ({ context, event }) => event.type === "node.deadlinePassed" && recordsMiss(context, event),
    mayTakeOver: ({ context, event }) => event.type === "node.takeover" && mayTakeOver(context, event),
    mayOpen: ({ context, event }) => event.type === "node.open" && mayOpen(context, event),
    mayRetime: ({ context, event }) => event.type === "node.retime" && mayRetime(context, event),
  },
  actions: {
    handOut: assign(({ context, event }) => (event.type === "node.assign" ? handOut(context, event) : context)),
    accept: assign(({ context, event }) => (event.type === "node.accept" ? accept(context, event) : context)),
    miss: assign(({ context }) => miss(context)),
    takeOver: assign(({ context, event }) => (event.type === "node.takeover" ? takeOver(context, event) : context)),
    open: assign(({ context, event }) => (event.type === "node.open" ? open(context, event) : context)),
    retime: assign(({ context, event }) => (event.type === "node.retime" ? retime(context, event) : context)),
    recordMiss: assign(({ context, event }) => (event.type === "node.deadlinePassed" ? recordMiss(context, event) : context)),
    recordTakeover: assign(({ context, event }) => (event.type === "node.takeover" ? recordTakeover(context, event) : context)),
    recordOpen: assign(({ context, event }) => (event.type === "node.open" ? recordOpen(context, event) : context)),
  },
}).createMachine({
  id: "node",
  context: ({ input }) => input,
  initial: "assigned",
  states: {
    assigned: { on: { "node.assign": { target: "proving", actions: "handOut" } } },
    proving: {
      on: {
        "node.retime": { guard: "mayRetime", actions: "retime" },
        "node.accept": { guard: "mayProve", target: "accepted", actions: "accept" },
        "node.deadlinePassed": { guard: "hasMissed", target: "missed", actions: "miss" },
      },
    },
    missed: {
      on: {
        "node.accept": { guard: "mayProve", target: "accepted", actions: "accept" },
        "node.takeover": { guard: "mayTakeOver", target: "takeover", actions: "takeOver" },
        "node.open": { guard: "mayOpen", target: "open", actions: "open" },
      },
    },
    takeover: {
      on: {
        "node.accept": { guard: "mayProve", target: "accepted", actions: "accept" },
        "node.deadlinePassed": { guard: "hasMissed", target: "missed", actions: "miss" },
      },
    },
    open: {
      on: {
        "node.accept": { guard: "mayProve", target: "accepted", actions: "accept" },
        "node.open": { guard: "mayOpen", target: "open", actions: "open", reenter: true },
      },
    },
    accepted: {
      on: {
        "node.deadlinePassed": { guard: "recordsMiss", actions: "recordMiss" },
        "node.takeover": { guard: "mayTakeOver", actions: "recordTakeover" },
        "node.open": { guard: "mayOpen", actions: "recordOpen" },
      },
    },
  },
});
