import { Duration, Effect, Either } from "effect";
import type { EventCodec } from "./model.ts";

/** A minimal event for the contract suite: the port does not know the protocol's schemas. */
export interface TestEvent {
  readonly id: string;
  readonly key: string;
  readonly n: number;
}

export const testCodec: EventCodec<TestEvent> = {
  decode: (value) => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(value);
    } catch {
      return Either.left({ reason: "bad-json", message: "not JSON" });
    }
    const e = parsed as Partial<TestEvent> | null;
    if (e === null || typeof e !== "object" || typeof e.id !== "string" || typeof e.key !== "string" || typeof e.n !== "number") {
      return Either.left({ reason: "schema-violation", message: "needs id, key and n" });
    }
    return Either.right({ id: e.id, key: e.key, n: e.n });
  },
  idOf: (e) => e.id,
};

export const testEvent = (key: string, n: number): TestEvent => ({ id: `${key}#${n}`, key, n });

/** Waits until `check` holds, re-checking every 20 ms of real time, failing after `within`. */
export const eventually = (check: () => boolean, within: Duration.DurationInput = "60 seconds", what = "condition") =>
  Effect.gen(function* () {
    while (!check()) yield* Effect.sleep("20 millis");
  }).pipe(Effect.timeoutFail({ duration: within, onTimeout: () => new Error(`timed out waiting for ${what}`) }));

export const uniqueName = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
