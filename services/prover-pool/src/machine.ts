import { enqueueActions, setup } from "xstate";
import { recordOf, setEntry, someEntry, type CancelParams, type HostActorFailed, type HostInput, type HostPublishFailed, type HostRepublish, type HostStarted, type OutputDraft, type PublishParams, REPUBLISH_AFTER_MS, republishLater, type RepublishParams, type RunParams, type ScheduleParams } from "@zk-testnet/actors";
import { labelledHash, proverKeyFromSeed, proverSeed, toHex } from "@zk-testnet/crypto";
import { DEFAULT_COST_MODEL, makeRng, nodeDeadlineMs, provingDuration, type CostModel } from "@zk-testnet/mechanisms";
import { slotAt, type NetworkConfig } from "@zk-testnet/network";
import {
  blockCorrelationId,
  canonicalProofText,
  nodeKey,
  type BlockNumber,
  type EventOf,
  type Hash,
  type Level,
  type NodeIndex,
  type ProofSignature,
  type ProofStatement,
  type ProtocolEvent,
  type ProverId,
  type PublicKey,
  type Slot,
  type TakeoverStep,
} from "@zk-testnet/protocol";

// The prover pool: many prover actors in one service. Each prover registers on L1 once, then
// proves the nodes the aggregator hands it (assignments and takeovers; in an open round every
// honest prover races), taking the cost model's time, posts a receipt and submits the signed
// proof, as its fault profile says. Signing is the `prove` / `proveTwice` actor (service.ts):
// keys never enter the context.

/** The faults a prover can be given, by the network config or by FaultInjected on testnet.faults. */
export const FAULT_KINDS = ["crash", "hang", "slow", "invalid", "withhold", "equivocate", "late-receipt", "partition"] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/**
 * Faults of the network between a prover and the brokers. The network carries them out when it
 * can (Toxiproxy, a Docker network: the FaultInjected says `via`), and the pool then leaves its
 * prover as it is; without one (the simulation, embedded mode) the pool plays a `partition`
 * itself. The others need a real network.
 */
const NETWORK_FAULTS: ReadonlySet<string> = new Set(["partition", "latency", "timeout", "reset", "bandwidth"]);

/**
 * How a prover behaves; `planProof` is where each profile decides when, whether and what its
 * prover publishes for a node:
 * - `honest`: ready after the cost model's duration; posts a receipt, then submits.
 * - `crash`: answers nothing (no proof, no receipt); work in flight is lost for good.
 * - `hang`: accepts work and never finishes it; healed, the frozen work resumes.
 * - `slow`: as honest, with the proving time multiplied by `params.factor` (default 4).
 * - `invalid`: submits a signed proof of a wrong public input, no receipt.
 * - `withhold`: finishes and posts its receipt (none with `params.receipt = "false"`), never submits.
 * - `equivocate`: posts a receipt, submits its valid proof and a second, conflicting signed proof.
 * - `late-receipt`: posts its receipt after the deadline (`params.delayMs` after it, default one slot), then submits.
 * - `partition`: cut off from the brokers where no network does it: hears and publishes nothing,
 *   as `hang` (its work waits; healed, it resumes).
 */
export type FaultProfile = "honest" | FaultKind;

export const DEFAULT_SLOW_FACTOR = 4;

/** Where a prover stands with the L1 registry, as this service knows it. */
export type Registration = "unregistered" | "requested" | "registered";

export interface ProverState {
  readonly id: ProverId;
  readonly publicKey: PublicKey;
  readonly stake: bigint;
  readonly fee: bigint;
  readonly speed: number;
  readonly profile: FaultProfile;
  /** The parameters of its fault, as the FaultInjected gave them ({} when honest). */
  readonly faultParams: Readonly<Record<string, string>>;
  /** "requested" lasts only until ProverRegistered comes back; a replay cannot see it (the request is not folded back). */
  readonly registration: Registration;
}

/** How a prover got a node: its assignment, or the takeover step that handed it over. */
export type Via = "assigned" | TakeoverStep;

/** What a prover publishes when its proof is ready. */
export type SubmitPlan = "valid" | "invalid" | "equivocation" | "none";

/** What a prover's profile decides for one node. */
export interface WorkPlan {
  /** The profile the work was planned under. */
  readonly profile: FaultProfile;
  /** When the proof is ready and its outputs are published; null: never (crashed, hung, or nothing to publish). */
  readonly due: number | null;
  /** Post a receipt (PostReceipt) for its valid proof when ready. */
  readonly receipt: boolean;
  readonly submit: SubmitPlan;
}

/** Where a piece of work starts: the node's statement for the prover, when its clock started, its deadline, how it came. */
export interface WorkStart {
  readonly statement: ProofStatement;
  readonly time: number;
  readonly deadline: number;
  readonly via: Via;
}

/** A node handed to one of our provers whose outputs are not published yet. */
export interface ProofWork extends ProofStatement, WorkPlan {
  /** The assignment's (or takeover's) time: when proving starts. */
  readonly assignedAt: number;
  readonly deadline: number;
  readonly via: Via;
}

/** A takeover handed to one of our provers whose node statement is not known yet (its NodeAssigned follows). */
export interface AwaitedTakeover {
  readonly via: Via;
  readonly time: number;
  readonly deadline: number;
}

/** What a node's proof must state, as its NodeAssigned gave it. */
export interface NodeStatement {
  readonly publicInput: Hash;
  readonly childProofHashes: readonly Hash[];
}

/** An open round (TakeoverOpened without `to`): every honest, registered prover of the pool races. */
export interface OpenRound {
  readonly time: number;
  readonly deadline: number;
}

export interface ProverPoolContext {
  readonly network: NetworkConfig;
  readonly costModel: CostModel;
  /** By prover id; updated with `setEntry` (structure shared: a registration does not copy the pool). */
  readonly provers: Readonly<Record<string, ProverState>>;
  /** By work key (`block/level/index@prover`). */
  readonly pending: Readonly<Record<string, ProofWork>>;
  /** The proof hash of every submitted proof of a block not settled yet (the first, for an equivocation), by work key. */
  readonly submitted: Readonly<Record<string, Hash>>;
  /** The proof hash of every receipt posted for a block not settled yet, by work key. */
  readonly receipts: Readonly<Record<string, Hash>>;
  /** Takeovers to our provers waiting for the node's statement, by work key. */
  readonly awaiting: Readonly<Record<string, AwaitedTakeover>>;
  /** The statements of the nodes of unsettled blocks, by node key, for takeovers and open rounds (kept once a prover of ours is registered). */
  readonly nodes: Readonly<Record<string, NodeStatement>>;
  /** The open rounds of unsettled blocks, by node key. */
  readonly openRounds: Readonly<Record<string, OpenRound>>;
  /** The accepted proof of each node of unsettled blocks (ProofAccepted), by node key: whether ours made it into the tree. */
  readonly accepted: Readonly<Record<string, Hash>>;
}

export interface ProverPoolInput {
  readonly network: NetworkConfig;
  readonly costModel?: CostModel;
}

/** A signed proof: the statement, its signature and its hash. */
export interface SignedProof {
  readonly proof: ProofStatement;
  readonly signature: ProofSignature;
  readonly proofHash: Hash;
}

/** What the `prove` actor returns: the signed proof of one node (and, from `proveTwice`, a second, conflicting one). */
export interface ProofReady extends SignedProof {
  readonly type: "proofReady";
  readonly second?: SignedProof;
}

/** The input of the `proveTwice` actor: two statements of one node, signed together. */
export interface ProveTwiceInput {
  readonly first: ProofStatement;
  readonly second: ProofStatement;
}

/** The input of the `warn` actor: one line for the service's log. */
export interface WarnInput {
  readonly message: string;
}

export type ProverPoolEvent = HostInput<ProtocolEvent> | HostStarted | HostActorFailed | HostPublishFailed | HostRepublish | ProofReady;

/** The types of protocol events the pool folds; the host drops the others before they reach it. */
export const foldedTypes: ReadonlySet<ProtocolEvent["type"]> = new Set([
  "ProverRegistered",
  "StakeChanged",
  "NodeAssigned",
  "TakeoverOpened",
  "ProofSubmitted",
  "PostReceipt",
  "ProofAccepted",
  "BlockFinalized",
  "BlockReorgedOut",
  "FaultInjected",
  "FaultHealed",
]);

type PoolAction =
  | { readonly type: "publish"; readonly params: PublishParams }
  | { readonly type: "run"; readonly params: RunParams }
  | { readonly type: "cancel"; readonly params: CancelParams };

/** A decision: the next context and the host actions that carry it out. */
export interface PoolStep {
  readonly context: ProverPoolContext;
  readonly actions: readonly PoolAction[];
}

const unchanged = (context: ProverPoolContext): PoolStep => ({ context, actions: [] });

/** The key of one prover's work on one node, e.g. "7/0/3@prover-2". */
export const workKey = (proof: Pick<ProofStatement, "block" | "level" | "index" | "prover">): string => `${nodeKey(proof)}@${proof.prover}`;

/** The id of the `run` action that proves a piece of work. */
export const proveId = (key: string): string => `prove:${key}`;

/** The id of the `run` action that logs a warning about a consumed event. */
export const warnId = (eventId: string): string => `warn:${eventId}`;

const slotOf = (network: NetworkConfig, time: number): Slot => Math.max(0, slotAt(network, time)) as Slot;

const isFaultKind = (fault: string): fault is FaultKind => (FAULT_KINDS as readonly string[]).includes(fault);

const positive = (text: string | undefined): boolean => text === undefined || (Number.isFinite(Number(text)) && Number(text) > 0);

/** A fault as a prover profile, or why the pool cannot apply it. */
export const parseFault = (
  fault: string,
  params: Readonly<Record<string, string>> = {},
): { readonly profile: FaultKind; readonly params: Readonly<Record<string, string>> } | { readonly problem: string } => {
  if (!isFaultKind(fault)) return { problem: `unknown fault "${fault}" (the pool knows ${FAULT_KINDS.join(", ")})` };
  if (fault === "slow" && !positive(params["factor"])) return { problem: `slow needs a factor > 0, got "${params["factor"]}"` };
  if (fault === "late-receipt" && !positive(params["delayMs"])) return { problem: `late-receipt needs delayMs > 0, got "${params["delayMs"]}"` };
  if (fault === "withhold" && params["receipt"] !== undefined && params["receipt"] !== "true" && params["receipt"] !== "false") {
    return { problem: `withhold's receipt is "true" or "false", got "${params["receipt"]}"` };
  }
  return { profile: fault, params: { ...params } };
};

/** Why each initial fault of the network config does not apply to the pool (a target that is not one of its provers, an unknown fault). */
export const initialFaultProblems = (network: NetworkConfig): readonly string[] =>
  (network.faults ?? []).flatMap((spec) => {
    if (!network.provers.some((p) => p.id === spec.target)) return [`initial fault ${spec.fault} on ${spec.target}: not a prover of this pool`];
    const parsed = parseFault(spec.fault, spec.params);
    return "problem" in parsed ? [`initial fault on ${spec.target}: ${parsed.problem}`] : [];
  });

/** Each prover's profile at the start: honest, or the last applicable initial fault of the network config naming it. */
const initialProfiles = (network: NetworkConfig): ReadonlyMap<string, Pick<ProverState, "profile" | "faultParams">> => {
  const profiles = new Map<string, Pick<ProverState, "profile" | "faultParams">>();
  for (const spec of network.faults ?? []) {
    const parsed = parseFault(spec.fault, spec.params);
    if (!("problem" in parsed)) profiles.set(spec.target, { profile: parsed.profile, faultParams: parsed.params });
  }
  return profiles;
};

// The provers at the start, by network: the live service and every replay of it start from the
// same immutable record, deriving each prover's key (~0.1 ms) once.
const initialProversOf = new WeakMap<NetworkConfig, Readonly<Record<string, ProverState>>>();

const initialProvers = (network: NetworkConfig): Readonly<Record<string, ProverState>> => {
  const known = initialProversOf.get(network);
  if (known !== undefined) return known;
  const profiles = initialProfiles(network);
  const provers = recordOf(
    network.provers.map((p): [string, ProverState] => [
      p.id,
      {
        id: p.id,
        publicKey: proverKeyFromSeed(proverSeed(network.seed, p.id)).publicKey,
        stake: p.stake,
        fee: p.fee,
        speed: p.speed,
        profile: "honest",
        faultParams: {},
        ...profiles.get(p.id),
        registration: "unregistered",
      },
    ]),
  );
  initialProversOf.set(network, provers);
  return provers;
};

export const initialContext = (input: ProverPoolInput): ProverPoolContext => ({
  network: input.network,
  costModel: input.costModel ?? DEFAULT_COST_MODEL,
  provers: initialProvers(input.network),
  pending: {},
  submitted: {},
  receipts: {},
  awaiting: {},
  nodes: {},
  openRounds: {},
  accepted: {},
});

/**
 * The proving time of one node by one prover: the cost model's draw from the stream
 * `prover-pool/<prover>/<b>/<l>/<i>` for an assignment, `…/<i>/<step>` for a takeover (a fresh
 * draw per attempt), so a replay or a restart draws the same number.
 */
export const provingTimeOf = (
  context: ProverPoolContext,
  prover: ProverState,
  node: Pick<ProofStatement, "block" | "level" | "index">,
  via: Via = "assigned",
): number =>
  provingDuration({
    level: node.level,
    speed: prover.speed,
    deadlineMs: nodeDeadlineMs(context.network.params, node.level),
    slotMs: context.network.params.slotMs,
    params: context.costModel,
    rng: makeRng(context.network.seed).fork(`prover-pool/${prover.id}/${node.block}/${node.level}/${node.index}${via === "assigned" ? "" : `/${via}`}`),
  });

/** When, whether and what a prover publishes for a node, by its fault profile. */
export const planProof = (context: ProverPoolContext, prover: ProverState, start: WorkStart): WorkPlan => {
  const profile = prover.profile;
  // Never sooner than the minimum proving time M: an honest proof is never refused as too early.
  const readyAfter = (factor = 1): number =>
    start.time + Math.max(context.network.params.minProvingTimeMs, Math.round(provingTimeOf(context, prover, start.statement, start.via) * factor));
  switch (profile) {
    case "honest":
      return { profile, due: readyAfter(), receipt: true, submit: "valid" };
    case "crash":
    case "hang":
    case "partition":
      return { profile, due: null, receipt: false, submit: "none" };
    case "slow":
      return { profile, due: readyAfter(Number(prover.faultParams["factor"] ?? DEFAULT_SLOW_FACTOR)), receipt: true, submit: "valid" };
    case "invalid":
      return { profile, due: readyAfter(), receipt: false, submit: "invalid" };
    case "withhold": {
      // Without a receipt there is nothing to publish: the work is never armed.
      const receipt = prover.faultParams["receipt"] !== "false";
      return { profile, due: receipt ? readyAfter() : null, receipt, submit: "none" };
    }
    case "equivocate":
      return { profile, due: readyAfter(), receipt: true, submit: "equivocation" };
    case "late-receipt": {
      const delay = Number(prover.faultParams["delayMs"] ?? context.network.params.slotMs);
      return { profile, due: Math.max(readyAfter(), start.deadline + delay), receipt: true, submit: "valid" };
    }
    default:
      return absurd(profile);
  }
};

/** The valid statement of a piece of work. */
export const statementOf = (work: ProofStatement): ProofStatement => ({
  block: work.block,
  level: work.level,
  index: work.index,
  prover: work.prover,
  publicInput: work.publicInput,
  childProofHashes: work.childProofHashes,
});

/** The public input an invalid prover signs instead of the node's: a labelled hash of it, never a node's input. */
export const wrongPublicInput = (publicInput: Hash): Hash => toHex(labelledHash("zk-testnet/prover-pool/wrong-public-input/v1", publicInput)) as Hash;

/** An equivocator's second proof of a node: the children in the other order for a merge of two, else a wrong public input. */
export const conflictingStatement = (statement: ProofStatement): ProofStatement => {
  const [left, right] = statement.childProofHashes;
  return left !== undefined && right !== undefined && left !== right
    ? { ...statement, childProofHashes: [right, left] }
    : { ...statement, publicInput: wrongPublicInput(statement.publicInput) };
};

/** What a piece of work signs: its valid statement, a wrong one (invalid), or the valid one and a conflicting one (equivocation). */
export const signedStatements = (work: ProofWork): readonly ProofStatement[] => {
  const valid = statementOf(work);
  switch (work.submit) {
    case "invalid":
      return [{ ...valid, publicInput: wrongPublicInput(valid.publicInput) }];
    case "equivocation":
      return [valid, conflictingStatement(valid)];
    case "valid":
    case "none":
      return [valid];
    default:
      return absurd(work.submit);
  }
};

/** Work that has something to publish, at `due`. */
type ArmedWork = ProofWork & { readonly due: number };
const isArmed = (work: ProofWork): work is ArmedWork => work.due !== null;

const proveAction = (key: string, work: ArmedWork): PoolAction => {
  const [first, second] = signedStatements(work) as [ProofStatement, ProofStatement | undefined];
  return {
    type: "run",
    params:
      second === undefined
        ? { id: proveId(key), actor: "prove", input: first, at: work.due }
        : { id: proveId(key), actor: "proveTwice", input: { first, second } satisfies ProveTwiceInput, at: work.due },
  };
};

const cancelAction = (key: string): PoolAction => ({ type: "cancel", params: { id: proveId(key) } });

/** Logs a line, live only (the host runs no action while replaying); the actor's answer is ignored. */
const warn = (eventId: string, message: string): PoolAction => ({ type: "run", params: { id: warnId(eventId), actor: "warn", input: { message } satisfies WarnInput } });

/** Whether a prover already has (or had) this work: pending, submitted or receipted. */
const hasWork = (context: ProverPoolContext, key: string): boolean => key in context.pending || key in context.submitted || key in context.receipts;

// This runs for every NodeAssigned, over the pool: it stops at the first registered prover.
const anyRegistered = (context: ProverPoolContext): boolean => someEntry(context.provers, (prover) => prover.registration === "registered");

/** Whether a prover races in open rounds: honest (so live) and registered. */
const races = (prover: ProverState): boolean => prover.profile === "honest" && prover.registration === "registered";

/** A prover takes a node: its profile plans the work, armed when it has something to publish. */
const startWork = (context: ProverPoolContext, prover: ProverState, start: WorkStart): PoolStep => {
  const key = workKey(start.statement);
  const work: ProofWork = {
    ...statementOf(start.statement),
    assignedAt: start.time,
    deadline: start.deadline,
    via: start.via,
    ...planProof(context, prover, start),
  };
  return { context: { ...context, pending: { ...context.pending, [key]: work } }, actions: isArmed(work) ? [proveAction(key, work)] : [] };
};

const startOf = (work: ProofWork): WorkStart => ({ statement: statementOf(work), time: work.assignedAt, deadline: work.deadline, via: work.via });

const withoutBlock = <V>(record: Readonly<Record<string, V>>, block: BlockNumber): Record<string, V> =>
  Object.fromEntries(Object.entries(record).filter(([key]) => !key.startsWith(`${block}/`)));

/** A block is settled (finalized or reorged out): its work is over, so forget it and stop what is still armed. */
const settle = (context: ProverPoolContext, block: BlockNumber): PoolStep => {
  const armed = Object.entries(context.pending).filter(([key, work]) => key.startsWith(`${block}/`) && work.due !== null);
  const records = [context.pending, context.submitted, context.receipts, context.awaiting, context.nodes, context.openRounds, context.accepted];
  if (!records.some((record) => Object.keys(record).some((key) => key.startsWith(`${block}/`)))) return unchanged(context);
  return {
    context: {
      ...context,
      pending: withoutBlock(context.pending, block),
      submitted: withoutBlock(context.submitted, block),
      receipts: withoutBlock(context.receipts, block),
      awaiting: withoutBlock(context.awaiting, block),
      nodes: withoutBlock(context.nodes, block),
      openRounds: withoutBlock(context.openRounds, block),
      accepted: withoutBlock(context.accepted, block),
    },
    actions: armed.map(([key]) => cancelAction(key)),
  };
};

/**
 * A finalized block: every receipt of ours whose proof was not the node's accepted one (left
 * out: another prover's won, or a griefing aggregator dropped ours) is claimed as an uncle
 * (ClaimUncle; the L1 pays it only for a receipt posted before the deadline), then the block is settled.
 */
const claimUncles = (context: ProverPoolContext, event: EventOf<"BlockFinalized">): PoolStep => {
  const { block } = event.payload;
  const claims = Object.entries(context.receipts)
    .filter(([key, proofHash]) => {
      const accepted = context.accepted[key.slice(0, key.indexOf("@"))];
      return key.startsWith(`${block}/`) && accepted !== undefined && accepted !== proofHash;
    })
    .map(([key, proofHash]): OutputDraft<"ClaimUncle"> => {
      const [node = "", prover = ""] = key.split("@");
      const [, level, index] = node.split("/").map(Number);
      return { type: "ClaimUncle", correlationId: blockCorrelationId(block), slot: event.slot, payload: { block, level: level as Level, index: index as NodeIndex, prover: prover as ProverId, proofHash } };
    });
  const settled = settle(context, block);
  return claims.length === 0 ? settled : { context: settled.context, actions: [...settled.actions, { type: "publish", params: { events: claims as readonly OutputDraft[] } }] };
};

/** A NodeAssigned: remember the node's statement; if the prover is ours, it takes the node (with the takeover it may be the second half of). */
const onAssigned = (context: ProverPoolContext, event: EventOf<"NodeAssigned">): PoolStep => {
  const { block, level, index, publicInput, childProofHashes, deadline } = event.payload;
  const node = nodeKey(event.payload);
  const prover = context.provers[event.payload.prover];
  const remember = (prover !== undefined || anyRegistered(context)) && !(node in context.nodes);
  const known = remember ? { ...context, nodes: { ...context.nodes, [node]: { publicInput, childProofHashes } } } : context;
  const key = workKey(event.payload);
  if (prover === undefined || hasWork(known, key)) return unchanged(known);
  const { [key]: takeover, ...awaiting } = known.awaiting;
  return startWork({ ...known, awaiting }, prover, {
    statement: { block, level, index, prover: prover.id, publicInput, childProofHashes },
    time: takeover?.time ?? event.time,
    deadline: takeover?.deadline ?? deadline,
    via: takeover?.via ?? "assigned",
  });
};

/** Every racer of the pool joins an open round it has no work in yet. */
const joinRound = (context: ProverPoolContext, node: string, round: OpenRound, racers: readonly ProverState[]): PoolStep => {
  const statement = context.nodes[node];
  if (statement === undefined) return unchanged(context);
  const [block, level, index] = node.split("/").map(Number) as [number, number, number];
  let next = context;
  const actions: PoolAction[] = [];
  for (const prover of racers) {
    const key = `${node}@${prover.id}`;
    if (hasWork(next, key) || key in next.awaiting) continue;
    const step = startWork(next, prover, {
      statement: { block: block as BlockNumber, level: level as ProofStatement["level"], index: index as ProofStatement["index"], prover: prover.id, ...statement },
      time: round.time,
      deadline: round.deadline,
      via: "open",
    });
    next = step.context;
    actions.push(...step.actions);
  }
  return { context: next, actions };
};

/** A TakeoverOpened: one of our provers takes the node over, or (no `to`) every honest prover of the pool races. */
const onTakeover = (context: ProverPoolContext, event: EventOf<"TakeoverOpened">): PoolStep => {
  const { block, level, index, to, step, deadline } = event.payload;
  const node = nodeKey(event.payload);
  if (to === undefined) {
    const round: OpenRound = { time: event.time, deadline };
    const opened = { ...context, openRounds: { ...context.openRounds, [node]: round } };
    const racers = Object.values(opened.provers).filter(races);
    if (!(node in opened.nodes)) {
      return { context: opened, actions: racers.length > 0 ? [warn(event.id, `open round for node ${node}: its statement is unknown, no prover of the pool races`)] : [] };
    }
    return joinRound(opened, node, round, racers);
  }
  const prover = context.provers[to];
  const key = `${node}@${to}`;
  if (prover === undefined || hasWork(context, key) || key in context.awaiting) return unchanged(context);
  const statement = context.nodes[node];
  // The NodeAssigned to the taker follows with the statement: wait for it.
  if (statement === undefined) return unchanged({ ...context, awaiting: { ...context.awaiting, [key]: { via: step, time: event.time, deadline } } });
  return startWork(context, prover, { statement: { block, level, index, prover: to, ...statement }, time: event.time, deadline, via: step });
};

/**
 * A piece of work after its prover's profile changed at `time`. Work of that very instant (or
 * later, when an event of another topic came first) is planned again as if the change came
 * first, so the result does not depend on the order of events of equal time. Older work: a
 * crash loses it, a hang freezes it, leaving a hang resumes it; other faults and heals leave
 * it as planned. Undefined: the prover no longer races in an open round it joined at `time`.
 */
const replanned = (context: ProverPoolContext, prover: ProverState, work: ProofWork, time: number): ProofWork | undefined => {
  const profile = prover.profile;
  const plan = (): ProofWork => ({ ...work, ...planProof(context, prover, startOf(work)) });
  if (work.assignedAt >= time) return work.via === "open" && !races(prover) ? undefined : plan();
  if (profile === "crash") return plan();
  if (frozen(profile)) return work.profile === "crash" ? work : plan();
  if (frozen(work.profile)) {
    const resumed = plan();
    return { ...resumed, due: resumed.due === null ? null : Math.max(time, resumed.due) };
  }
  return work;
};

/** Profiles under which work waits, and resumes when they are healed. */
const frozen = (profile: FaultProfile): boolean => profile === "hang" || profile === "partition";

const samePlan = (a: ProofWork, b: ProofWork): boolean => a.profile === b.profile && a.due === b.due && a.receipt === b.receipt && a.submit === b.submit;

/** A prover's profile changes at `time`: its pending work follows (see `replanned`), and a prover that races now joins open rounds of that instant. */
const switchProfile = (context: ProverPoolContext, before: ProverState, change: Pick<ProverState, "profile" | "faultParams">, time: number): PoolStep => {
  const prover: ProverState = { ...before, ...change };
  const pending: Record<string, ProofWork> = { ...context.pending };
  const actions: PoolAction[] = [];
  let next: ProverPoolContext = { ...context, provers: setEntry(context.provers, prover.id, prover) };
  for (const [key, work] of Object.entries(context.pending)) {
    if (work.prover !== prover.id) continue;
    const after = replanned(next, prover, work, time);
    if (after === undefined) {
      delete pending[key];
      if (work.due !== null) actions.push(cancelAction(key));
    } else if (!samePlan(work, after)) {
      pending[key] = after;
      if (isArmed(after)) actions.push(proveAction(key, after));
      else if (work.due !== null) actions.push(cancelAction(key));
    }
  }
  next = { ...next, pending };
  if (!races(prover)) return { context: next, actions };
  for (const [node, round] of Object.entries(next.openRounds)) {
    if (round.time < time) continue;
    const joined = joinRound(next, node, round, [prover]);
    next = joined.context;
    actions.push(...joined.actions);
  }
  return { context: next, actions };
};

const onFaultInjected = (context: ProverPoolContext, event: EventOf<"FaultInjected">): PoolStep => {
  const { fault, target, params } = event.payload;
  // A network fault the network carries out: the prover behaves as before (and may not hear of it until it is over).
  if (NETWORK_FAULTS.has(fault) && (params["via"] !== undefined || fault !== "partition")) return unchanged(context);
  const prover = context.provers[target];
  if (prover === undefined) return { context, actions: [warn(event.id, `fault ${fault} on ${target} ignored: not a prover of this pool`)] };
  const parsed = parseFault(fault, params);
  if ("problem" in parsed) return { context, actions: [warn(event.id, `fault on ${target} ignored: ${parsed.problem}`)] };
  return switchProfile(context, prover, { profile: parsed.profile, faultParams: parsed.params }, event.time);
};

const onFaultHealed = (context: ProverPoolContext, event: EventOf<"FaultHealed">): PoolStep => {
  const { fault, target } = event.payload;
  const prover = context.provers[target];
  if (NETWORK_FAULTS.has(fault) && prover?.profile !== fault) return unchanged(context);
  if (prover === undefined) return { context, actions: [warn(event.id, `heal of ${fault} on ${target} ignored: not a prover of this pool`)] };
  if (prover.profile !== fault) return { context, actions: [warn(event.id, `heal of ${fault} on ${target} ignored: its profile is ${prover.profile}`)] };
  return switchProfile(context, prover, { profile: "honest", faultParams: {} }, event.time);
};

/** Its own ProofSubmitted coming back (or one from an earlier run of this service): the node is done. The first proof of a node is the one kept. */
const onSubmitted = (context: ProverPoolContext, event: EventOf<"ProofSubmitted">): PoolStep => {
  const key = workKey(event.payload);
  if (context.provers[event.payload.prover] === undefined || key in context.submitted) return unchanged(context);
  const { [key]: done, ...pending } = context.pending;
  return {
    context: { ...context, pending, submitted: { ...context.submitted, [key]: event.payload.proofHash } },
    actions: done === undefined ? [] : [cancelAction(key)],
  };
};

/**
 * Its own PostReceipt coming back (or from an earlier run): the proof was ready. Only for work
 * it knows (a receipt of a settled block is not remembered again).
 */
const onReceipt = (context: ProverPoolContext, event: EventOf<"PostReceipt">): PoolStep => {
  const key = workKey(event.payload);
  if (context.provers[event.payload.prover] === undefined || context.receipts[key] === event.payload.proofHash) return unchanged(context);
  if (!(key in context.pending) && !(key in context.submitted)) return unchanged(context);
  const { [key]: done, ...pending } = context.pending;
  return {
    context: { ...context, pending, receipts: { ...context.receipts, [key]: event.payload.proofHash } },
    actions: done === undefined || done.due === null ? [] : [cancelAction(key)],
  };
};

const withProver = (context: ProverPoolContext, id: ProverId, change: Partial<ProverState>): ProverPoolContext => {
  const prover = context.provers[id];
  if (prover === undefined) return context;
  // A change to what it already holds (the StakeChanged of a registration) leaves the context as it is.
  if (Object.entries(change).every(([field, value]) => prover[field as keyof ProverState] === value)) return context;
  return { ...context, provers: setEntry(context.provers, id, { ...prover, ...change }) };
};

/** Folds one consumed protocol event. */
export const onInput = (context: ProverPoolContext, event: ProtocolEvent): PoolStep => {
  switch (event.type) {
    case "ProverRegistered":
      return unchanged(withProver(context, event.payload.prover, { registration: "registered", stake: event.payload.stake }));
    case "StakeChanged":
      return unchanged(withProver(context, event.payload.prover, { stake: event.payload.stake }));
    case "NodeAssigned":
      return onAssigned(context, event);
    case "TakeoverOpened":
      return onTakeover(context, event);
    case "ProofSubmitted":
      return onSubmitted(context, event);
    case "PostReceipt":
      return onReceipt(context, event);
    case "ProofAccepted":
      return context.accepted[nodeKey(event.payload)] === undefined ? unchanged({ ...context, accepted: { ...context.accepted, [nodeKey(event.payload)]: event.payload.proofHash } }) : unchanged(context);
    case "BlockFinalized":
      return claimUncles(context, event);
    case "BlockReorgedOut":
      return settle(context, event.payload.block);
    case "FaultInjected":
      return onFaultInjected(context, event);
    case "FaultHealed":
      return onFaultHealed(context, event);
    case "BlockProposed":
    case "BeaconRound":
    case "NodeDeadlineMissed":
    case "ProofReceiptPosted":
    case "ProofRejected":
    case "RootProofSubmitted":
    case "RewardPaid":
    case "ProverSlashed":
    case "UncleRewardPaid":
    case "ProverEjected":
    case "EpochStarted":
    case "RegisterProver":
    case "DepositStake":
    case "Unbond":
    case "SubmitRoot":
    case "ClaimUncle":
      return unchanged(context);
    default:
      return absurd(event);
  }
};

/**
 * After replay (or at a first start): ask the L1 to register every prover it has not
 * registered (the L1 ignores a registration it already has), and re-arm every pending proof
 * that has something to publish (hung, crashed and receipt-less withheld work is not armed).
 */
export const onStarted = (context: ProverPoolContext, now: number): PoolStep => {
  const unregistered = Object.values(context.provers).filter((p) => p.registration === "unregistered");
  const requests = unregistered.map(
    (p) =>
      ({
        type: "RegisterProver",
        correlationId: "registry",
        slot: slotOf(context.network, now),
        payload: { prover: p.id, publicKey: p.publicKey, stake: p.stake },
      }) satisfies OutputDraft<"RegisterProver">,
  );
  let provers = context.provers;
  for (const p of unregistered) provers = setEntry(provers, p.id, { ...p, registration: "requested" });
  return {
    context: { ...context, provers },
    actions: [
      ...(requests.length > 0 ? [{ type: "publish", params: { events: requests } } satisfies PoolAction] : []),
      ...Object.entries(context.pending).flatMap(([key, work]) => (isArmed(work) ? [proveAction(key, work)] : [])),
    ],
  };
};

const sameStatements = (signed: readonly SignedProof[], expected: readonly ProofStatement[]): boolean =>
  signed.length === expected.length && signed.every((s, i) => canonicalProofText(s.proof) === canonicalProofText(expected[i] as ProofStatement));

/**
 * The `prove` actor signed the work's proof(s): publish what the plan says, in this order and
 * in one step: the receipt (PostReceipt), then the proof (ProofSubmitted), then an
 * equivocator's second proof. A result that no longer matches the plan (it changed while
 * signing) is dropped: the re-armed run brings the right one.
 */
export const onProofReady = (context: ProverPoolContext, ready: ProofReady): PoolStep => {
  const key = workKey(ready.proof);
  const work = context.pending[key];
  if (work === undefined || work.due === null) return unchanged(context);
  const signed = ready.second === undefined ? [ready] : [ready, ready.second];
  if (!sameStatements(signed, signedStatements(work))) return unchanged(context);
  const correlationId = blockCorrelationId(work.block);
  const slot = slotOf(context.network, work.due);
  const node = { block: work.block, level: work.level, index: work.index, prover: work.prover };
  const submission = (proof: SignedProof): OutputDraft<"ProofSubmitted"> => ({
    type: "ProofSubmitted",
    correlationId,
    slot,
    payload: { ...statementOf(proof.proof), signature: proof.signature, proofHash: proof.proofHash },
  });
  const receipt: OutputDraft<"PostReceipt"> = { type: "PostReceipt", correlationId, slot, payload: { ...node, proofHash: ready.proofHash } };
  const events = [...(work.receipt ? [receipt] : []), ...(work.submit === "none" ? [] : signed.map(submission))] as readonly OutputDraft[];
  const { [key]: _done, ...pending } = context.pending;
  return {
    context: {
      ...context,
      pending,
      submitted: work.submit === "none" ? context.submitted : { ...context.submitted, [key]: ready.proofHash },
      receipts: work.receipt ? { ...context.receipts, [key]: ready.proofHash } : context.receipts,
    },
    actions: events.length > 0 ? [{ type: "publish", params: { events } }] : [],
  };
};

const absurd = (value: never): never => {
  throw new Error(`unexpected ${JSON.stringify(value)}`);
};

export const machine = setup({
  types: { context: {} as ProverPoolContext, events: {} as ProverPoolEvent, input: {} as ProverPoolInput },
  actions: {
    publish: (_, _params: PublishParams) => {
      // carried out by the host (libs/actors), never while replaying
    },
    republish: (_, _params: RepublishParams) => undefined,
    schedule: (_, _params: ScheduleParams<HostRepublish>) => undefined,
    run: (_, _params: RunParams) => {
      // carried out by the host (libs/actors), never while replaying
    },
    cancel: (_, _params: CancelParams) => {
      // carried out by the host (libs/actors), never while replaying
    },
  },
}).createMachine({
  id: "prover-pool",
  context: ({ input }) => initialContext(input),
  on: {
    input: {
      actions: enqueueActions(({ context, event, enqueue }) => {
        const step = onInput(context, event.event);
        enqueue.assign(() => step.context);
        for (const action of step.actions) enqueue(action);
      }),
    },
    // An append whose retries were spent: the same events again a little later, never dropped.
    "host.publishFailed": { actions: { type: "schedule", params: ({ event }) => republishLater(event, REPUBLISH_AFTER_MS) } },
    "host.republish": { actions: { type: "republish", params: ({ event }) => ({ events: event.events, attempt: event.attempt }) } },
    "host.started": {
      actions: enqueueActions(({ context, event, enqueue }) => {
        const step = onStarted(context, event.now);
        enqueue.assign(() => step.context);
        for (const action of step.actions) enqueue(action);
      }),
    },
    proofReady: {
      actions: enqueueActions(({ context, event, enqueue }) => {
        const step = onProofReady(context, event);
        enqueue.assign(() => step.context);
        for (const action of step.actions) enqueue(action);
      }),
    },
    // A failed signing leaves the work pending: the next start re-arms it. Recording the
    // failure would make the live state differ from a replay of the log. The `warn` actor's
    // answer is not an event of the machine: it is ignored.
    "host.actorFailed": {},
  },
});
