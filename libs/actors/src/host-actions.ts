import type { EventType, PayloadOf, ProtocolEvent } from "@zk-testnet/protocol";

/**
 * The actions a service machine asks its host to carry out. The machine stays pure: it names
 * these actions with params (XState's `transition` returns them without running anything) and
 * the host runs them, except while replaying, when it runs none.
 */

/** An output event: the host adds source, id (from the cause and position), version, key and time. */
export interface OutputDraft<T extends EventType = EventType> {
  readonly type: T;
  readonly correlationId: string;
  readonly slot: number;
  readonly payload: PayloadOf<T>;
}

/** Append these events, in order, to their topics of the catalogue. */
export interface PublishParams {
  readonly events: readonly OutputDraft[];
}

/** Deliver `event` to the machine at Clock time `at` (ms); a later schedule with the same id replaces it. */
export interface ScheduleParams<E = unknown> {
  readonly id: string;
  readonly at: number;
  readonly event: E;
}

export interface CancelParams {
  readonly id: string;
}

/**
 * Run the named actor (an Effect the service binds) with `input` at Clock time `at` (or at
 * once) and deliver the machine event it returns. A failure is delivered as HostActorFailed.
 */
export interface RunParams {
  readonly id: string;
  readonly actor: string;
  readonly input: unknown;
  readonly at?: number;
}

/** Append these already made events again, ids and all (after a HostPublishFailed): readers drop a copy by id. */
export interface RepublishParams {
  readonly events: readonly ProtocolEvent[];
  /** How many times the batch has failed so far. */
  readonly attempt: number;
}

/**
 * Sent by the host when a publish (or republish) could not be appended within its retry
 * budget (exponential backoff with jitter, capped, bounded in total): a typed failure the
 * machine decides about, instead of a crashed step. `events` are the outputs, made, not lost.
 */
export interface HostPublishFailed {
  readonly type: "host.publishFailed";
  /** The id of the first event: names the failed batch. */
  readonly id: string;
  readonly events: readonly ProtocolEvent[];
  /** The event log's error tag and message. */
  readonly error: string;
  /** How many times this batch has failed. */
  readonly attempt: number;
  /** Clock time of the failure, ms. */
  readonly now: number;
}

/** A machine's own timer event to append a failed batch again (see republishLater). */
export interface HostRepublish {
  readonly type: "host.republish";
  readonly id: string;
  readonly events: readonly ProtocolEvent[];
  readonly attempt: number;
}

/** How long a machine waits before appending a failed batch again: the log's own retry budget is already spent. */
export const REPUBLISH_AFTER_MS = 1_000;

/**
 * The usual answer to HostPublishFailed: schedule the same batch again `delayMs` later (a
 * machine raises it on its `host.republish` as a `republish` action). Nothing is dropped.
 */
export const republishLater = (failed: HostPublishFailed, delayMs: number): ScheduleParams<HostRepublish> => ({
  id: `republish:${failed.id}`,
  at: failed.now + delayMs,
  event: { type: "host.republish", id: failed.id, events: failed.events, attempt: failed.attempt },
});

/** Sent by the host once replay is done (and at a first start): re-arm timers and pending work. */
export interface HostStarted {
  readonly type: "host.started";
  readonly now: number;
}

export interface HostActorFailed {
  readonly type: "host.actorFailed";
  readonly id: string;
  readonly actor: string;
  readonly message: string;
}

/** The machine event that carries a consumed protocol event. */
export interface HostInput<E> {
  readonly type: "input";
  readonly event: E;
  /** The host's Clock when the step runs live; absent in a replay (the machine's decisions must not need it then). */
  readonly now?: number;
}

export type HostEvent = HostStarted | HostActorFailed | HostPublishFailed;

export const hostActionTypes = ["publish", "republish", "schedule", "cancel", "run"] as const;
