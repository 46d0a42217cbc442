import { Clock, Effect } from "effect";
import { eventId } from "./envelope.ts";
import { eventVersions, type EventOf, type EventType, type PayloadOf } from "./event.ts";
import type { EventId, Slot, Timestamp } from "./ids.ts";
import { recordKey } from "./topics.ts";

export interface EventDraft<T extends EventType> {
  readonly type: T;
  readonly source: string;
  /** The event this one answers, or null for one that starts a chain. */
  readonly causationId: EventId | null;
  /** Which output of `source` for this cause (0, 1, ...): makes the id deterministic. */
  readonly position: number;
  readonly correlationId: string;
  readonly slot: Slot;
  readonly payload: PayloadOf<T>;
}

/**
 * A complete event from a draft: deterministic id, current version, record key from the
 * payload, and the time from Effect's Clock (so tests and simulations control it).
 */
export const makeEvent = <T extends EventType>(draft: EventDraft<T>): Effect.Effect<EventOf<T>> =>
  Effect.map(
    Clock.currentTimeMillis,
    (time) =>
      ({
        id: eventId(draft.source, draft.causationId, draft.position),
        type: draft.type,
        version: eventVersions[draft.type],
        source: draft.source,
        key: recordKey({ type: draft.type, payload: draft.payload } as Parameters<typeof recordKey>[0]),
        causationId: draft.causationId,
        correlationId: draft.correlationId,
        slot: draft.slot,
        time: time as Timestamp,
        payload: draft.payload,
      }) as unknown as EventOf<T>,
  );
