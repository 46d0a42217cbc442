import { enqueueActions, setup } from "xstate";
import { type CancelParams, type HostActorFailed, type HostInput, type HostPublishFailed, type HostRepublish, type HostStarted, type PublishParams, REPUBLISH_AFTER_MS, republishLater, type RepublishParams, type ScheduleParams } from "@zk-testnet/actors";
import type { ProtocolEvent } from "@zk-testnet/protocol";
import { foldDeadline, foldInput, initialContext, unpublishedOutputs, type AggregatorContext, type AggregatorInput, type Decision } from "./aggregation.ts";
import { deadlineTimerId, treeDeadlines, type DeadlineFired, type RunningDeadline } from "./takeover.ts";

export {
  eligibleSet,
  foldDeadline,
  foldedTypes,
  foldInput,
  initialContext,
  ownOutputTypes,
  unpublishedOutputs,
  type AggregatorContext,
  type AggregatorInput,
  type Decision,
  type PendingRound,
} from "./aggregation.ts";
export { outputKey, type Outbox, type OutboxEntry } from "./outbox.ts";
export {
  clockStartOf,
  mayProve,
  newNode,
  nodeMachine,
  stepNode,
  windowOf,
  type HandoverStep,
  type HoldingWindow,
  type NodeEvent,
  type NodeState,
  type NodeStatus,
} from "./node-machine.ts";
export { applyFact, deadlineTimerId, decideDeadline, nextStep, treeDeadlines, type DeadlineFired, type NextStep, type RunningDeadline } from "./takeover.ts";
export { positionKey, treePublicInputs, type BlockTree, type PendingBlock, type ProvingBlock, type ReorgedBlock, type SubmittedBlock } from "./tree-state.ts";
export { judgeProof, mayProveNode, type Judgement, type RegisteredProver } from "./verify.ts";

export type AggregatorEvent = HostInput<ProtocolEvent> | HostStarted | HostActorFailed | HostPublishFailed | HostRepublish | DeadlineFired;

/** Every node being proven, taken over or open, and its deadline, in block then tree order: what has a timer. */
export const runningDeadlines = (context: AggregatorContext): readonly RunningDeadline[] =>
  Object.entries(context.blocks).flatMap(([block, tree]) => treeDeadlines(Number(block), tree));

const timerIdOf = (d: RunningDeadline): string => deadlineTimerId(d.block, d.level, d.index, d.attempt);

/** The timer of a running deadline, due at `at` (its deadline, or later after a restart). */
const armed = (d: RunningDeadline, at: number): ScheduleParams<DeadlineFired> => ({
  id: timerIdOf(d),
  at,
  event: { type: "deadline", block: d.block, level: d.level, index: d.index, attempt: d.attempt, at },
});

/** What a step does to the timers: deadlines that started are armed, those that stopped (accepted, missed, reorged out) cancelled. */
export interface TimerChanges {
  readonly schedule: readonly ScheduleParams<DeadlineFired>[];
  readonly cancel: readonly CancelParams[];
}

/** Compares the running deadlines of every block whose tree changed. */
export const timerChanges = (before: AggregatorContext, after: AggregatorContext): TimerChanges => {
  const schedule: ScheduleParams<DeadlineFired>[] = [];
  const cancel: CancelParams[] = [];
  if (before.blocks === after.blocks) return { schedule, cancel };
  // A key loop, not Object.entries: every step of a long run passes over every block it kept.
  for (const block in after.blocks) {
    const tree = after.blocks[block];
    const old = before.blocks[block];
    if (tree === undefined || old === tree) continue;
    const was = new Map(treeDeadlines(Number(block), old).map((d) => [timerIdOf(d), d]));
    const is = new Map(treeDeadlines(Number(block), tree).map((d) => [timerIdOf(d), d]));
    for (const [id, d] of is) if (!was.has(id)) schedule.push(armed(d, d.deadline));
    for (const id of was.keys()) if (!is.has(id)) cancel.push({ id });
  }
  return { schedule, cancel };
};

/**
 * The aggregator: for each block, once its beacon round and an eligible set are in, it
 * assigns the tree with tree-VRF and hands out the leaves; it verifies every submitted proof,
 * hands out a merge node once its children are accepted, and sends the complete tree to L1.
 * Every hand-out has a deadline on the Clock; one that passes without an accepted proof opens
 * the next step of the takeover chain (takeover.ts). All decisions are `foldInput`'s and
 * `foldDeadline`'s; the machine only turns them into host actions. On start it publishes what
 * was decided but never published (see outbox.ts), and re-arms every running deadline.
 */
export const aggregatorMachine = setup({
  types: {
    context: {} as AggregatorContext,
    events: {} as AggregatorEvent,
    input: {} as AggregatorInput,
  },
  actions: {
    publish: (_, _params: PublishParams) => {
      // Carried out by the host (libs/actors), never here.
    },
    republish: (_, _params: RepublishParams) => undefined,
    schedule: (_, _params: ScheduleParams<DeadlineFired | HostRepublish>) => {
      // Carried out by the host.
    },
    cancel: (_, _params: CancelParams) => {
      // Carried out by the host.
    },
  },
}).createMachine({
  id: "aggregator",
  context: ({ input }) => initialContext(input),
  initial: "aggregating",
  states: {
    aggregating: {
      on: {
        input: {
          actions: enqueueActions(({ context, event, enqueue }) => {
            // Live, a hand-out's deadline runs from the Clock when that is later than its cause.
            const decision = foldInput(context, event.event, event.now ?? 0);
            if (decision.context !== context) enqueue.assign(() => decision.context);
            for (const action of hostActions(context, decision)) enqueue(action);
          }),
        },
        deadline: {
          actions: enqueueActions(({ context, event, enqueue }) => {
            const decision = foldDeadline(context, event);
            if (decision.context !== context) enqueue.assign(() => decision.context);
            for (const action of hostActions(context, decision)) enqueue(action);
          }),
        },
        // What the log holds was done and is not published again; what was decided while
        // the aggregator was not there to publish it (a replay publishes nothing) goes out now.
        // A replay runs no timer: every running deadline is armed again, at once if it passed
        // while the aggregator was down (the next holder's clock then starts now).
    // An append whose retries were spent: the same events again a little later, never dropped.
    "host.publishFailed": { actions: { type: "schedule", params: ({ event }) => republishLater(event, REPUBLISH_AFTER_MS) } },
    "host.republish": { actions: { type: "republish", params: ({ event }) => ({ events: event.events, attempt: event.attempt }) } },
        "host.started": {
          actions: enqueueActions(({ context, event, enqueue }) => {
            const drafts = unpublishedOutputs(context);
            if (drafts.length > 0) enqueue({ type: "publish", params: { events: drafts } });
            for (const d of runningDeadlines(context)) enqueue({ type: "schedule", params: armed(d, Math.max(d.deadline, event.now)) });
          }),
        },
      },
    },
  },
});

/** A host action of the machine, with its params. */
export type AggregatorAction =
  | { readonly type: "publish"; readonly params: PublishParams }
  | { readonly type: "schedule"; readonly params: ScheduleParams<DeadlineFired> }
  | { readonly type: "cancel"; readonly params: CancelParams };

/** The host actions of a decision: its outputs, then its timers. */
const hostActions = (context: AggregatorContext, decision: Decision): readonly AggregatorAction[] => {
  const timers = timerChanges(context, decision.context);
  return [
    ...(decision.drafts.length > 0 ? [{ type: "publish", params: { events: decision.drafts } } as const] : []),
    ...timers.cancel.map((params) => ({ type: "cancel", params }) as const),
    ...timers.schedule.map((params) => ({ type: "schedule", params }) as const),
  ];
};

export type AggregatorMachine = typeof aggregatorMachine;
