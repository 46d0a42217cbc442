import { enqueueActions, setup } from "xstate";
import type { CancelParams, HostActorFailed, HostInput, HostStarted, OutputDraft, PublishParams, RunParams } from "@zk-testnet/actors";
import { proverKeyFromSeed, proverSeed } from "@zk-testnet/crypto";
import { DEFAULT_COST_MODEL, makeRng, nodeDeadlineMs, provingDuration, type CostModel } from "@zk-testnet/mechanisms";
import { slotAt, type NetworkConfig } from "@zk-testnet/network";
import {
  blockCorrelationId,
  nodeKey,
  type BlockNumber,
  type EventOf,
  type Hash,
  type ProofSignature,
  type ProofStatement,
  type ProtocolEvent,
  type ProverId,
  type PublicKey,
  type Slot,
} from "@zk-testnet/protocol";

// The prover pool: many prover actors in one service. Each prover registers on L1 once, then
// proves every node the aggregator assigns to it, taking the cost model's time, and submits
// the signed proof. Signing is the `prove` actor (service.ts): keys never enter the context.

/**
 * How a prover behaves. Only "honest" is implemented: it proves every node it is assigned,
 * in the cost model's time. The fault profiles of a later issue (crash, hang, slow, invalid,
 * withhold, equivocate, late-receipt) become members of this union, and `planProof` is
 * where each one decides when, whether and what its prover submits.
 */
export type FaultProfile = "honest";

/** Where a prover stands with the L1 registry, as this service knows it. */
export type Registration = "unregistered" | "requested" | "registered";

export interface ProverState {
  readonly id: ProverId;
  readonly publicKey: PublicKey;
  readonly stake: bigint;
  readonly fee: bigint;
  readonly speed: number;
  readonly profile: FaultProfile;
  /** "requested" lasts only until ProverRegistered comes back; a replay cannot see it (the request is on a topic this service does not read). */
  readonly registration: Registration;
}

/** A node assigned to one of our provers whose proof is not submitted yet. */
export interface ProofWork extends ProofStatement {
  /** The assignment's time: when proving starts. */
  readonly assignedAt: number;
  readonly deadline: number;
  /** When the proof is ready and submitted. */
  readonly due: number;
}

export interface ProverPoolContext {
  readonly network: NetworkConfig;
  readonly costModel: CostModel;
  readonly provers: Readonly<Record<string, ProverState>>;
  /** By work key (`block/level/index@prover`). */
  readonly pending: Readonly<Record<string, ProofWork>>;
  /** The proof hash of every submitted proof of a block not settled yet, by work key. */
  readonly submitted: Readonly<Record<string, Hash>>;
}

export interface ProverPoolInput {
  readonly network: NetworkConfig;
  readonly costModel?: CostModel;
}

/** What the `prove` actor returns: the signed proof of one node. */
export interface ProofReady {
  readonly type: "proofReady";
  readonly proof: ProofStatement;
  readonly signature: ProofSignature;
  readonly proofHash: Hash;
}

export type ProverPoolEvent = HostInput<ProtocolEvent> | HostStarted | HostActorFailed | ProofReady;

/** The types of protocol events the pool folds; the host drops the others before they reach it. */
export const foldedTypes: ReadonlySet<ProtocolEvent["type"]> = new Set([
  "ProverRegistered",
  "StakeChanged",
  "NodeAssigned",
  "ProofSubmitted",
  "BlockFinalized",
  "BlockReorgedOut",
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

const slotOf = (network: NetworkConfig, time: number): Slot => Math.max(0, slotAt(network, time)) as Slot;

export const initialContext = (input: ProverPoolInput): ProverPoolContext => ({
  network: input.network,
  costModel: input.costModel ?? DEFAULT_COST_MODEL,
  provers: Object.fromEntries(
    input.network.provers.map((p): [string, ProverState] => [
      p.id,
      {
        id: p.id,
        publicKey: proverKeyFromSeed(proverSeed(input.network.seed, p.id)).publicKey,
        stake: p.stake,
        fee: p.fee,
        speed: p.speed,
        profile: "honest",
        registration: "unregistered",
      },
    ]),
  ),
  pending: {},
  submitted: {},
});

/**
 * The proving time of one node by one prover: the cost model's draw from the stream
 * `prover-pool/<prover>/<b>/<l>/<i>`, so a replay or a restart draws the same number.
 */
export const provingTimeOf = (context: ProverPoolContext, prover: ProverState, node: Pick<ProofStatement, "block" | "level" | "index">): number =>
  provingDuration({
    level: node.level,
    speed: prover.speed,
    deadlineMs: nodeDeadlineMs(context.network.params, node.level),
    slotMs: context.network.params.slotMs,
    params: context.costModel,
    rng: makeRng(context.network.seed).fork(`prover-pool/${prover.id}/${node.block}/${node.level}/${node.index}`),
  });

/** When a prover submits its proof of an assigned node, by its fault profile. */
export const planProof = (context: ProverPoolContext, prover: ProverState, assignment: EventOf<"NodeAssigned">): { readonly due: number } => {
  switch (prover.profile) {
    case "honest":
      // Never sooner than the minimum proving time M: an honest proof is never refused as too early.
      return { due: assignment.time + Math.max(context.network.params.minProvingTimeMs, provingTimeOf(context, prover, assignment.payload)) };
    default:
      return absurd(prover.profile);
  }
};

const proveAction = (key: string, work: ProofWork): PoolAction => ({
  type: "run",
  params: {
    id: proveId(key),
    actor: "prove",
    input: {
      block: work.block,
      level: work.level,
      index: work.index,
      prover: work.prover,
      publicInput: work.publicInput,
      childProofHashes: work.childProofHashes,
    } satisfies ProofStatement,
    at: work.due,
  },
});

const withoutBlock = <V>(record: Readonly<Record<string, V>>, block: BlockNumber): Record<string, V> =>
  Object.fromEntries(Object.entries(record).filter(([key]) => !key.startsWith(`${block}/`)));

/** A block is settled (finalized or reorged out): its work is over, so forget it and stop what is still armed. */
const settle = (context: ProverPoolContext, block: BlockNumber): PoolStep => {
  const armed = Object.keys(context.pending).filter((key) => key.startsWith(`${block}/`));
  const known = armed.length > 0 || Object.keys(context.submitted).some((key) => key.startsWith(`${block}/`));
  if (!known) return unchanged(context);
  return {
    context: { ...context, pending: withoutBlock(context.pending, block), submitted: withoutBlock(context.submitted, block) },
    actions: armed.map((key): PoolAction => ({ type: "cancel", params: { id: proveId(key) } })),
  };
};

const onAssigned = (context: ProverPoolContext, event: EventOf<"NodeAssigned">): PoolStep => {
  const prover = context.provers[event.payload.prover];
  const key = workKey(event.payload);
  if (prover === undefined || key in context.pending || key in context.submitted) return unchanged(context);
  const { block, level, index, publicInput, childProofHashes, deadline } = event.payload;
  const work: ProofWork = {
    block,
    level,
    index,
    prover: prover.id,
    publicInput,
    childProofHashes,
    assignedAt: event.time,
    deadline,
    due: planProof(context, prover, event).due,
  };
  return { context: { ...context, pending: { ...context.pending, [key]: work } }, actions: [proveAction(key, work)] };
};

/** Its own ProofSubmitted coming back (or one from an earlier run of this service): the node is done. */
const onSubmitted = (context: ProverPoolContext, event: EventOf<"ProofSubmitted">): PoolStep => {
  const key = workKey(event.payload);
  if (context.provers[event.payload.prover] === undefined || context.submitted[key] === event.payload.proofHash) return unchanged(context);
  const { [key]: done, ...pending } = context.pending;
  return {
    context: { ...context, pending, submitted: { ...context.submitted, [key]: event.payload.proofHash } },
    actions: done === undefined ? [] : [{ type: "cancel", params: { id: proveId(key) } }],
  };
};

const withProver = (context: ProverPoolContext, id: ProverId, change: Partial<ProverState>): ProverPoolContext => {
  const prover = context.provers[id];
  return prover === undefined ? context : { ...context, provers: { ...context.provers, [id]: { ...prover, ...change } } };
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
    case "ProofSubmitted":
      return onSubmitted(context, event);
    case "BlockFinalized":
    case "BlockReorgedOut":
      return settle(context, event.payload.block);
    case "BlockProposed":
    case "BeaconRound":
    case "NodeDeadlineMissed":
    case "TakeoverOpened":
    case "ProofReceiptPosted":
    case "ProofAccepted":
    case "ProofRejected":
    case "RootProofSubmitted":
    case "RewardPaid":
    case "ProverSlashed":
    case "UncleRewardPaid":
    case "ProverEjected":
    case "FaultInjected":
    case "FaultHealed":
    case "RegisterProver":
    case "DepositStake":
    case "Unbond":
    case "SubmitRoot":
    case "PostReceipt":
    case "ClaimUncle":
      return unchanged(context);
    default:
      return absurd(event);
  }
};

/**
 * After replay (or at a first start): ask the L1 to register every prover it has not
 * registered (the L1 ignores a registration it already has), and re-arm every pending proof.
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
  for (const p of unregistered) provers = { ...provers, [p.id]: { ...p, registration: "requested" } };
  return {
    context: { ...context, provers },
    actions: [
      ...(requests.length > 0 ? [{ type: "publish", params: { events: requests } } satisfies PoolAction] : []),
      ...Object.entries(context.pending).map(([key, work]) => proveAction(key, work)),
    ],
  };
};

/** The `prove` actor signed a proof: submit it, once. */
export const onProofReady = (context: ProverPoolContext, ready: ProofReady): PoolStep => {
  const key = workKey(ready.proof);
  const work = context.pending[key];
  if (work === undefined) return unchanged(context);
  const { [key]: _done, ...pending } = context.pending;
  const submission = {
    type: "ProofSubmitted",
    correlationId: blockCorrelationId(work.block),
    slot: slotOf(context.network, work.due),
    payload: {
      block: work.block,
      level: work.level,
      index: work.index,
      prover: work.prover,
      publicInput: work.publicInput,
      childProofHashes: work.childProofHashes,
      signature: ready.signature,
      proofHash: ready.proofHash,
    },
  } satisfies OutputDraft<"ProofSubmitted">;
  return {
    context: { ...context, pending, submitted: { ...context.submitted, [key]: ready.proofHash } },
    actions: [{ type: "publish", params: { events: [submission] } }],
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
    // failure would make the live state differ from a replay of the log.
    "host.actorFailed": {},
  },
});
