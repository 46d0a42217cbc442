import { enqueueActions, setup } from "xstate";
import type { HostActorFailed, HostInput, HostStarted, PublishParams } from "@zk-testnet/actors";
import type { ProtocolEvent } from "@zk-testnet/protocol";
import { foldInput, initialContext, unpublishedOutputs, type AggregatorContext, type AggregatorInput } from "./aggregation.ts";
import type { NodeState } from "./node-machine.ts";

export {
  eligibleSet,
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
export { newNode, nodeMachine, stepNode, type HandoverStep, type NodeEvent, type NodeState, type NodeStatus } from "./node-machine.ts";
export { positionKey, treePublicInputs, type BlockTree, type PendingBlock, type ProvingBlock, type SubmittedBlock } from "./tree-state.ts";
export { judgeProof, type Judgement, type RegisteredProver } from "./verify.ts";

export type AggregatorEvent = HostInput<ProtocolEvent> | HostStarted | HostActorFailed;

/** A node with a running deadline, as `host.started` will re-arm it once deadlines are enforced. */
export interface RunningDeadline {
  readonly block: number;
  readonly level: number;
  readonly index: number;
  readonly prover: string;
  readonly deadline: number;
}

/** Every node being proven (or taken over) and its deadline, in block then tree order. */
export const runningDeadlines = (context: AggregatorContext): readonly RunningDeadline[] =>
  Object.entries(context.blocks).flatMap(([block, tree]) =>
    tree.phase !== "proving"
      ? []
      : Object.entries(tree.nodes).flatMap(([key, node]: [string, NodeState]) => {
          if ((node.status !== "proving" && node.status !== "takeover") || node.holder === null || node.deadline === null) return [];
          const [level, index] = key.split("/").map(Number) as [number, number];
          return [{ block: Number(block), level, index, prover: node.holder, deadline: node.deadline }];
        }),
  );

/**
 * The aggregator: for each block, once its beacon round and an eligible set are in, it
 * assigns the tree with tree-VRF and hands out the leaves; it verifies every submitted proof,
 * hands out a merge node once its children are accepted, and sends the complete tree to L1.
 * All decisions are `foldInput`'s; the machine only turns them into host actions. On start it
 * publishes what was decided but never published (see outbox.ts), and nothing else.
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
            const decision = foldInput(context, event.event);
            if (decision.context !== context) enqueue.assign(() => decision.context);
            if (decision.drafts.length > 0) enqueue({ type: "publish", params: { events: decision.drafts } });
          }),
        },
        // What the log holds was done and is not published again; what was decided while
        // the aggregator was not there to publish it (a replay publishes nothing) goes out now.
        // Deadlines hook in here too: every node of `runningDeadlines(context)` will get its
        // `deadline:<block>/<level>/<index>` timer, scheduled at its recorded deadline.
        "host.started": {
          actions: enqueueActions(({ context, enqueue }) => {
            const drafts = unpublishedOutputs(context);
            if (drafts.length > 0) enqueue({ type: "publish", params: { events: drafts } });
          }),
        },
      },
    },
  },
});

export type AggregatorMachine = typeof aggregatorMachine;
