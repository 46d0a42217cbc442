import { Data, Either, ParseResult, Schema } from "effect";
import { eventSchemas, eventVersions, isEventType, ProtocolEvent, type EventType } from "./event.ts";

export const DecodeFailureReason = Schema.Literal("bad-json", "unknown-type", "wrong-version", "schema-violation").annotations({
  identifier: "DecodeFailureReason",
  title: "DecodeFailureReason",
  description: [
    "Why a record could not be decoded: bad-json (not UTF-8 JSON), unknown-type (no `type`, or one this protocol does not define),",
    "wrong-version (a known type at a schema version this reader does not speak), schema-violation (the record does not match its type's schema).",
  ].join(" "),
});
export type DecodeFailureReason = typeof DecodeFailureReason.Type;

/** A record that is not a protocol event: it goes to the topic's dead-letter queue, with this reason. */
export class DecodeFailure extends Data.TaggedError("DecodeFailure")<{
  readonly reason: DecodeFailureReason;
  readonly message: string;
}> {}

const encodeProtocolEvent = Schema.encodeSync(ProtocolEvent);

/**
 * The wire form of an event: JSON of its encoded form (amounts as decimal strings), fields
 * in schema order, so equal events always give equal bytes. An event that breaks its own
 * schema (a negative amount forced through a cast) is a programming error and throws.
 */
export const encodeEvent = (event: ProtocolEvent): string => JSON.stringify(encodeProtocolEvent(event));

/** `encodeEvent` as UTF-8 bytes, for a Kafka record value. */
export const encodeEventBytes = (event: ProtocolEvent): Uint8Array => new TextEncoder().encode(encodeEvent(event));

// Writers must not add fields: a new field is a new version.
const decoders = Object.fromEntries(
  Object.entries(eventSchemas).map(([type, schema]) => [
    type,
    Schema.decodeUnknownEither(schema as Schema.Schema<ProtocolEvent, unknown>, { onExcessProperty: "error", errors: "all" }),
  ]),
) as { readonly [T in EventType]: (input: unknown) => Either.Either<ProtocolEvent, ParseResult.ParseError> };

const utf8 = new TextDecoder("utf-8", { fatal: true });

const failure = (reason: DecodeFailureReason, message: string): Either.Either<never, DecodeFailure> =>
  Either.left(new DecodeFailure({ reason, message }));

const describe = (value: unknown): string => {
  const text = typeof value === "string" ? JSON.stringify(value) : String(value);
  return text.length > 64 ? `${text.slice(0, 61)}...` : text;
};

const decodeJson = (bytes: string | Uint8Array): Either.Either<unknown, DecodeFailure> => {
  try {
    const text = typeof bytes === "string" ? bytes : utf8.decode(bytes);
    return Either.right(JSON.parse(text) as unknown);
  } catch (error) {
    return failure("bad-json", `not UTF-8 JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
};

const decodeRecord = (json: unknown): Either.Either<ProtocolEvent, DecodeFailure> => {
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    return failure("schema-violation", `an event is a JSON object, got ${Array.isArray(json) ? "an array" : describe(json)}`);
  }
  const record = json as { readonly type?: unknown; readonly version?: unknown };
  if (!isEventType(record.type)) {
    return failure("unknown-type", record.type === undefined ? "the record has no `type`" : `unknown event type ${describe(record.type)}`);
  }
  const expected = eventVersions[record.type];
  if (record.version !== expected) {
    return failure("wrong-version", `${record.type} version ${describe(record.version)} is not supported; this reader speaks version ${expected}`);
  }
  return Either.mapLeft(decoders[record.type](json), (error) =>
    new DecodeFailure({ reason: "schema-violation", message: `${record.type} does not match its schema: ${ParseResult.TreeFormatter.formatErrorSync(error)}` }),
  );
};

/**
 * Decodes a record value into a protocol event. Never throws: anything that is not a valid
 * event of a known type and version is a DecodeFailure naming the reason.
 */
export const decodeEvent = (bytes: string | Uint8Array): Either.Either<ProtocolEvent, DecodeFailure> => {
  try {
    return Either.flatMap(decodeJson(bytes), decodeRecord);
  } catch (error) {
    // The schemas do not throw; this guards the promise that no input escapes as an exception.
    return failure("schema-violation", `undecodable record: ${error instanceof Error ? error.message : String(error)}`);
  }
};

/** Decodes an already parsed JSON value (e.g. a line of the JSONL export's `event`). */
export const decodeEventJson = (json: unknown): Either.Either<ProtocolEvent, DecodeFailure> => {
  try {
    return decodeRecord(json);
  } catch (error) {
    return failure("schema-violation", `undecodable record: ${error instanceof Error ? error.message : String(error)}`);
  }
};
