import { enqueueActions, setup } from "xstate";
import { type HostActorFailed, type HostInput, type HostPublishFailed, type HostRepublish, type HostStarted, type OutputDraft, type PublishParams, REPUBLISH_AFTER_MS, republishLater, type RepublishParams, type RunParams, type ScheduleParams } from "@zk-testnet/actors";
import type { BeaconSignature, Hash, ProtocolEvent, Round } from "@zk-testnet/protocol";

/** What the beacon needs of the network; the machine's input. */
export interface BeaconInput {
  /** Clock time of the start of slot 0, in ms: round 1 is published then. */
  readonly genesisMs: number;
  readonly slotMs: number;
  /** How many rounds to publish in all (1 to rounds, one per block slot); 0 for no limit. */
  readonly rounds: number;
}

/** A published round: what `/public/{round}` serves besides the round number. */
export interface PublishedRound {
  readonly signature: BeaconSignature;
  readonly randomness: Hash;
}

export interface BeaconContext {
  readonly config: BeaconInput;
  /** The last round published, 0 before the first (drand counts rounds from 1). */
  readonly latest: number;
  /** Every published round, by its number in decimal. */
  readonly rounds: Readonly<Record<string, PublishedRound>>;
}

/** The timer event of a round: sign it. */
export interface RoundTick {
  readonly type: "tick";
  readonly round: number;
}

/** What the `signRound` actor delivers: the round, signed. */
export interface RoundSigned {
  readonly type: "signed";
  readonly round: number;
  readonly signature: BeaconSignature;
  readonly randomness: Hash;
}

/** The input of the `signRound` actor. */
export interface SignRoundInput {
  readonly round: number;
}

export type BeaconEvent = HostInput<ProtocolEvent> | HostStarted | HostActorFailed | HostPublishFailed | HostRepublish | RoundTick | RoundSigned;

/** The name of the actor that signs a round (bound to the beacon key in service.ts). */
export const SIGN_ROUND = "signRound";

/** Round r belongs to slot r - 1: round 1 at genesis, one round per slot (drand's round clock). */
export const roundTimeOf = (config: BeaconInput, round: number): number => config.genesisMs + (round - 1) * config.slotMs;

export const allPublished = (config: BeaconInput, latest: number): boolean => config.rounds > 0 && latest >= config.rounds;

/** Timer and actor ids name the round only: output event ids derive from them. */
export const tickId = (round: number): string => `tick:${round}`;
export const signId = (round: number): string => `sign:${round}`;

const tickOf = (config: BeaconInput, round: number, at = roundTimeOf(config, round)): ScheduleParams<RoundTick> => ({
  id: tickId(round),
  at,
  event: { type: "tick", round },
});

/** The BeaconRound of a signed round; its slot is round - 1. */
export const roundDraft = (signed: Omit<RoundSigned, "type">): OutputDraft<"BeaconRound"> => ({
  type: "BeaconRound",
  correlationId: `round-${signed.round}`,
  slot: signed.round - 1,
  payload: { round: signed.round as Round, randomness: signed.randomness, signature: signed.signature },
});

type Published = Extract<ProtocolEvent, { type: "BeaconRound" }>;

/**
 * The randomness beacon: at the start of every slot it has the round `slot + 1` signed (the
 * `signRound` actor holds the key), publishes it and arms the next round. It folds its own
 * BeaconRound events, idempotently, into the table of published rounds the HTTP API serves.
 * A beacon that was down signs the rounds it missed at once on restart, as drand nodes catch up.
 */
export const beaconMachine = setup({
  types: {
    context: {} as BeaconContext,
    events: {} as BeaconEvent,
    input: {} as BeaconInput,
  },
  // Host actions: the host carries them out (none while replaying); the machine only names them with params.
  actions: {
    publish: (_, _params: PublishParams) => undefined,
    republish: (_, _params: RepublishParams) => undefined,
    schedule: (_, _params: ScheduleParams<RoundTick | HostRepublish>) => undefined,
    run: (_, _params: RunParams) => undefined,
  },
  guards: {
    /** Its own BeaconRound for a round not in the table yet (replay, or redelivery). */
    isNewBeaconRound: ({ context, event }) =>
      event.type === "input" && event.event.type === "BeaconRound" && context.rounds[String(event.event.payload.round)] === undefined,
    isNextRound: ({ context, event }) => (event.type === "tick" || event.type === "signed") && event.round === context.latest + 1,
    isSigningFailure: ({ event }) => event.type === "host.actorFailed" && event.actor === SIGN_ROUND,
    isAllPublished: ({ context }) => allPublished(context.config, context.latest),
  },
}).createMachine({
  id: "vrf-beacon",
  context: ({ input }) => ({ config: input, latest: 0, rounds: {} }),
  initial: "publishing",
  on: {
    input: {
      guard: "isNewBeaconRound",
      actions: enqueueActions(({ context, event, enqueue }) => {
        const { round, signature, randomness } = (event.event as Published).payload;
        enqueue.assign({ latest: Math.max(context.latest, round), rounds: { ...context.rounds, [String(round)]: { signature, randomness } } });
        // Past the round it had armed (one it published just before it went down, read back
        // after it started again): the tick it armed is stale, so it arms the next round's.
        if (round > context.latest && !allPublished(context.config, round)) enqueue({ type: "schedule", params: tickOf(context.config, round + 1) });
      }),
    },
  },
  states: {
    publishing: {
      always: { guard: "isAllPublished", target: "finished" },
      on: {
        // After a replay nothing is scheduled: arm the next round not yet published.
    // An append whose retries were spent: the same events again a little later, never dropped.
    "host.publishFailed": { actions: { type: "schedule", params: ({ event }) => republishLater(event, REPUBLISH_AFTER_MS) } },
    "host.republish": { actions: { type: "republish", params: ({ event }) => ({ events: event.events, attempt: event.attempt }) } },
        "host.started": {
          actions: { type: "schedule", params: ({ context }) => tickOf(context.config, context.latest + 1) },
        },
        tick: {
          guard: "isNextRound",
          actions: { type: "run", params: ({ event }) => ({ id: signId(event.round), actor: SIGN_ROUND, input: { round: event.round } satisfies SignRoundInput }) },
        },
        signed: {
          guard: "isNextRound",
          actions: enqueueActions(({ context, event, enqueue }) => {
            const { round, signature, randomness } = event;
            enqueue.assign({ latest: round, rounds: { ...context.rounds, [String(round)]: { signature, randomness } } });
            enqueue({ type: "publish", params: { events: [roundDraft(event) as OutputDraft] } });
            if (!allPublished(context.config, round)) enqueue({ type: "schedule", params: tickOf(context.config, round + 1) });
          }),
        },
        // Signing cannot fail for a valid round; should it, try again one slot later rather than stall.
        "host.actorFailed": {
          guard: "isSigningFailure",
          actions: {
            type: "schedule",
            params: ({ context }) => tickOf(context.config, context.latest + 1, roundTimeOf(context.config, context.latest + 2)),
          },
        },
      },
    },
    // Every round asked for is published; the table is still served.
    finished: {},
  },
});

export type BeaconMachine = typeof beaconMachine;
