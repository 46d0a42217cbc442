import { describe, expect, it } from "@effect/vitest";
import { Effect, Either, TestClock } from "effect";
import { decodeEvent, encodeEvent } from "./codec.ts";
import { eventId } from "./envelope.ts";
import type { Amount } from "./ids.ts";
import { BlockNumber, blockCorrelationId, Hash, ProverId, Slot, TxCount } from "./ids.ts";
import { makeEvent } from "./make-event.ts";

const block = BlockNumber.make(12);
const slot = Slot.make(12);

describe("makeEvent", () => {
  it.effect("fills id, version, key and time from the draft and the Clock", () =>
    Effect.gen(function* () {
      yield* TestClock.adjust("2 seconds");
      const event = yield* makeEvent({
        type: "BlockProposed",
        source: "sequencer",
        causationId: null,
        position: 12,
        correlationId: blockCorrelationId(block),
        slot,
        payload: { block, slot, txCount: TxCount.make(1), fees: 1500n as Amount, txHashes: [Hash.make("0".repeat(63) + "1")] },
      });
      expect(event.id).toBe(eventId("sequencer", null, 12));
      expect(event.version).toBe(1);
      expect(event.key).toBe("12");
      expect(event.correlationId).toBe("block-12");
      expect(event.time).toBe(2000);
      expect(Either.getOrThrow(decodeEvent(encodeEvent(event)))).toStrictEqual(event);
    }),
  );

  it.effect("keys registry events by prover id", () =>
    Effect.gen(function* () {
      const prover = ProverId.make("prover-3");
      const event = yield* makeEvent({
        type: "Unbond",
        source: "prover-pool/prover-3",
        causationId: null,
        position: 0,
        correlationId: "run-1",
        slot,
        payload: { prover, amount: 5n as Amount },
      });
      expect(event.key).toBe("prover-3");
      expect(event.time).toBe(0);
    }),
  );
});
