import type { EventType, PayloadOf } from "@zk-testnet/protocol";

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
}

export type HostEvent = HostStarted | HostActorFailed;

export const hostActionTypes = ["publish", "schedule", "cancel", "run"] as const;
