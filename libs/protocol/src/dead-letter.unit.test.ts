import { Either } from "effect";
import { describe, expect, it } from "vitest";
import { decodeEvent } from "./codec.ts";
import { deadLetterOf, decodeDeadLetter, encodeDeadLetter } from "./dead-letter.ts";
import { dlqTopic } from "./topics.ts";

describe("dead letters", () => {
  it("keep the reason, the source position and the original bytes through the wire", () => {
    const value = new Uint8Array([0x7b, 0xff, 0x00, 0x7d]);
    const failure = Either.flip(decodeEvent(value)).pipe(Either.getOrThrow);
    const letter = deadLetterOf(failure, { topic: "proving.proofs", partition: 2, offset: 41, key: "12", value });
    expect(letter.reason).toBe("bad-json");
    const wire = encodeDeadLetter(letter);
    expect(JSON.parse(wire)).toMatchObject({ reason: "bad-json", topic: "proving.proofs", partition: 2, offset: 41, key: "12", original: "e/8AfQ==" });
    expect(Either.getOrThrow(decodeDeadLetter(wire))).toStrictEqual(letter);
    expect(dlqTopic("proving.proofs")).toBe("proving.proofs.dlq");
  });

  it("keeps a string record's bytes as UTF-8", () => {
    const failure = Either.flip(decodeEvent('{"type":"Nope"}')).pipe(Either.getOrThrow);
    const letter = deadLetterOf(failure, { topic: "l2.blocks", partition: 0, offset: 0, key: "3", value: '{"type":"Nope"}' });
    expect(letter.reason).toBe("unknown-type");
    expect(new TextDecoder().decode(letter.original)).toBe('{"type":"Nope"}');
  });

  it("records a handler that kept failing", () => {
    const letter = deadLetterOf({ reason: "handler-failed", message: "boom" }, { topic: "l1.events", partition: 0, offset: 7, key: "prover-1", value: "{}" });
    expect(Either.getOrThrow(decodeDeadLetter(encodeDeadLetter(letter)))).toStrictEqual(letter);
  });

  it("reports a malformed dead letter instead of throwing", () => {
    expect(Either.isLeft(decodeDeadLetter("{}"))).toBe(true);
    expect(Either.isLeft(decodeDeadLetter("not json"))).toBe(true);
  });
});
