import { Arbitrary, Either, type FastCheck, type Schema } from "effect";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DecodeFailure, decodeEvent, decodeEventJson, encodeEvent, encodeEventBytes } from "./codec.ts";
import { eventId } from "./envelope.ts";
import { eventSchemas, eventTypes, ProtocolEvent, type EventType } from "./event.ts";

// effect bundles fast-check 3; makeLazy builds the same Arbitrary.make generators with the
// project's fast-check 4, so one fast-check drives every property.
const arbitraryOf = <A, I>(schema: Schema.Schema<A, I, never>): fc.Arbitrary<A> =>
  Arbitrary.makeLazy(schema)(fc as unknown as typeof FastCheck) as unknown as fc.Arbitrary<A>;

const anyEvent = arbitraryOf(ProtocolEvent);

const expectFailure = (input: string | Uint8Array): DecodeFailure => {
  const result = decodeEvent(input);
  if (Either.isRight(result)) throw new Error(`expected a DecodeFailure, decoded ${result.right.type}`);
  expect(result.left).toBeInstanceOf(DecodeFailure);
  expect(result.left._tag).toBe("DecodeFailure");
  expect(result.left.message.length).toBeGreaterThan(0);
  return result.left;
};

const decodeOrThrow = (input: string | Uint8Array): ProtocolEvent =>
  Either.getOrThrowWith(decodeEvent(input), (failure) => new Error(`${failure.reason}: ${failure.message}`));

/** A valid wire record of one type, with its JSON open for edits. */
const sampleWire = (type: EventType, seed = 7): Record<string, unknown> & { payload: Record<string, unknown> } => {
  const [event] = fc.sample(arbitraryOf(eventSchemas[type] as Schema.Schema<ProtocolEvent, unknown, never>), { numRuns: 1, seed });
  if (event === undefined) throw new Error(`no sample of ${type}`);
  return JSON.parse(encodeEvent(event)) as Record<string, unknown> & { payload: Record<string, unknown> };
};

describe("encodeEvent / decodeEvent round trip", () => {
  it("decode(encode(event)) equals the event, for every event type", () => {
    const covered = new Set<EventType>();
    fc.assert(
      fc.property(anyEvent, (event) => {
        covered.add(event.type);
        const wire = encodeEvent(event);
        const decoded = decodeOrThrow(wire);
        // structuredClone turns the generator's null-prototype records into plain objects.
        expect(decoded).toStrictEqual(structuredClone(event));
        expect(encodeEvent(decoded)).toBe(wire);
      }),
      { numRuns: 1000 },
    );
    expect([...covered].sort()).toStrictEqual([...eventTypes].sort());
  });

  it("decodes the UTF-8 bytes of a record as it decodes the string", () => {
    fc.assert(
      fc.property(anyEvent, (event) => {
        expect(decodeOrThrow(encodeEventBytes(event))).toStrictEqual(decodeOrThrow(encodeEvent(event)));
      }),
      { numRuns: 200 },
    );
  });

  it("writes amounts as decimal strings and keeps the envelope's field order", () => {
    const wire = sampleWire("BlockProposed");
    wire["payload"]["fees"] = "123456789012345678901234567890";
    const event = decodeOrThrow(JSON.stringify(wire));
    expect(event.type === "BlockProposed" && event.payload.fees).toBe(123456789012345678901234567890n);
    const encoded = JSON.parse(encodeEvent(event)) as Record<string, unknown>;
    expect(Object.keys(encoded)).toStrictEqual(["id", "type", "version", "source", "key", "causationId", "correlationId", "slot", "time", "payload"]);
    expect((encoded["payload"] as Record<string, unknown>)["fees"]).toBe("123456789012345678901234567890");
  });
});

describe("decodeEvent never throws", () => {
  const neverThrows = (input: string | Uint8Array) => {
    const result = decodeEvent(input);
    if (Either.isLeft(result)) expect(result.left).toBeInstanceOf(DecodeFailure);
  };

  it("returns a DecodeFailure for random strings", () => {
    fc.assert(fc.property(fc.string({ unit: "binary", maxLength: 200 }), (text) => {
      expect(Either.isLeft(decodeEvent(text))).toBe(true);
    }), {
      numRuns: 500,
    });
  });

  it("returns a DecodeFailure for random bytes", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
      expect(Either.isLeft(decodeEvent(bytes))).toBe(true);
    }), {
      numRuns: 500,
    });
  });

  it("returns a DecodeFailure for random JSON", () => {
    fc.assert(fc.property(fc.jsonValue(), (json) => {
      expect(Either.isLeft(decodeEvent(JSON.stringify(json)))).toBe(true);
    }), {
      numRuns: 500,
    });
  });

  it("returns an event or a DecodeFailure for envelopes of known types with random contents", () => {
    const envelope = fc.record({
      id: fc.oneof(fc.string(), fc.constant(eventId("x", null, 0))),
      type: fc.constantFrom(...eventTypes),
      version: fc.oneof(fc.constant(1), fc.jsonValue()),
      source: fc.jsonValue(),
      key: fc.jsonValue(),
      causationId: fc.jsonValue(),
      correlationId: fc.jsonValue(),
      slot: fc.jsonValue(),
      time: fc.jsonValue(),
      payload: fc.jsonValue(),
    });
    fc.assert(fc.property(envelope, (json) => neverThrows(JSON.stringify(json))), { numRuns: 500 });
  });

  it("returns a DecodeFailure when one field of a valid record is replaced by random JSON", () => {
    const mutation = fc.tuple(anyEvent, fc.jsonValue(), fc.nat(), fc.boolean()).map(([event, value, pick, inPayload]) => {
      const wire = JSON.parse(encodeEvent(event)) as Record<string, unknown> & { payload: Record<string, unknown> };
      const target: Record<string, unknown> = inPayload ? wire.payload : wire;
      const key = Object.keys(target)[pick % Math.max(1, Object.keys(target).length)];
      if (key !== undefined) target[key] = value;
      return JSON.stringify(wire);
    });
    fc.assert(fc.property(mutation, neverThrows), { numRuns: 500 });
  });

  it("survives JSON nested deeper than any parser stack", () => {
    neverThrows("[".repeat(200_000) + "]".repeat(200_000));
    neverThrows(`{"type":"FaultInjected","payload":${"[".repeat(100_000)}${"]".repeat(100_000)}}`);
  });

  it("decodeEventJson accepts parsed values and never throws either", () => {
    fc.assert(fc.property(fc.anything(), (value) => {
      expect(() => decodeEventJson(value)).not.toThrow();
    }), { numRuns: 300 });
  });
});

describe("DecodeFailure reasons", () => {
  it("bad-json: text that is not JSON", () => {
    expect(expectFailure("{").reason).toBe("bad-json");
    expect(expectFailure("").reason).toBe("bad-json");
    expect(expectFailure('{"type": "BlockProposed",}').reason).toBe("bad-json");
  });

  it("bad-json: bytes that are not UTF-8", () => {
    expect(expectFailure(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d])).reason).toBe("bad-json");
  });

  it("unknown-type: a type the protocol does not define, or none", () => {
    const wire = sampleWire("BlockProposed");
    expect(expectFailure(JSON.stringify({ ...wire, type: "BlockProposal" })).reason).toBe("unknown-type");
    expect(expectFailure(JSON.stringify({ ...wire, type: "toString" })).reason).toBe("unknown-type");
    expect(expectFailure(JSON.stringify({ ...wire, type: 7 })).reason).toBe("unknown-type");
    const { type: _type, ...untyped } = wire;
    expect(expectFailure(JSON.stringify(untyped)).reason).toBe("unknown-type");
  });

  it("wrong-version: a known type at a version this reader does not speak", () => {
    const wire = sampleWire("ProofSubmitted");
    const failure = expectFailure(JSON.stringify({ ...wire, version: 2 }));
    expect(failure.reason).toBe("wrong-version");
    expect(failure.message).toContain("ProofSubmitted");
    expect(expectFailure(JSON.stringify({ ...wire, version: "1" })).reason).toBe("wrong-version");
    const { version: _version, ...unversioned } = wire;
    expect(expectFailure(JSON.stringify(unversioned)).reason).toBe("wrong-version");
  });

  it("schema-violation: a negative amount", () => {
    const wire = sampleWire("RewardPaid");
    const failure = expectFailure(JSON.stringify({ ...wire, payload: { ...wire.payload, amount: "-5" } }));
    expect(failure.reason).toBe("schema-violation");
    expect(failure.message).toContain("amount");
  });

  it("schema-violation: amounts that are not canonical decimal strings", () => {
    const wire = sampleWire("BlockProposed");
    for (const fees of ["007", "0x10", " 12", "1e3", "", 12]) {
      expect(expectFailure(JSON.stringify({ ...wire, payload: { ...wire.payload, fees } })).reason).toBe("schema-violation");
    }
  });

  it("schema-violation: missing, extra and mistyped fields", () => {
    const wire = sampleWire("NodeAssigned");
    const { prover: _prover, ...noProver } = wire.payload;
    expect(expectFailure(JSON.stringify({ ...wire, payload: noProver })).reason).toBe("schema-violation");
    expect(expectFailure(JSON.stringify({ ...wire, payload: { ...wire.payload, extra: 1 } })).reason).toBe("schema-violation");
    expect(expectFailure(JSON.stringify({ ...wire, extra: 1 })).reason).toBe("schema-violation");
    expect(expectFailure(JSON.stringify({ ...wire, payload: { ...wire.payload, level: -1 } })).reason).toBe("schema-violation");
    expect(expectFailure(JSON.stringify({ ...wire, payload: { ...wire.payload, block: 1.5 } })).reason).toBe("schema-violation");
    expect(expectFailure(JSON.stringify({ ...wire, id: "not-an-event-id" })).reason).toBe("schema-violation");
  });

  it("schema-violation: a record that is not an object", () => {
    expect(expectFailure("[]").reason).toBe("schema-violation");
    expect(expectFailure("null").reason).toBe("schema-violation");
    expect(expectFailure('"BlockProposed"').reason).toBe("schema-violation");
  });

  it("schema-violation: a node reward with a level but no index", () => {
    const wire = sampleWire("RewardPaid");
    const payload = { block: 3, prover: "prover-1", amount: "10", level: 0 };
    expect(expectFailure(JSON.stringify({ ...wire, payload })).reason).toBe("schema-violation");
    const { level: _level, ...blockLevel } = payload;
    expect(Either.isRight(decodeEvent(JSON.stringify({ ...wire, payload: blockLevel })))).toBe(true);
  });

  it("schema-violation: a block with no transactions", () => {
    const wire = sampleWire("BlockProposed");
    expect(expectFailure(JSON.stringify({ ...wire, payload: { ...wire.payload, txCount: 0 } })).reason).toBe("schema-violation");
  });
});
