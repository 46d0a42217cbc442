import { Either, ParseResult, Schema } from "effect";
import type { DecodeFailure } from "./codec.ts";

/** Why a record was dead-lettered: it failed to decode (a DecodeFailure reason), or its handler kept failing. */
export const DeadLetterReason = Schema.Literal("bad-json", "unknown-type", "wrong-version", "schema-violation", "handler-failed").annotations({
  identifier: "DeadLetterReason",
  title: "DeadLetterReason",
  description: "A DecodeFailure reason (bad-json, unknown-type, wrong-version, schema-violation), or handler-failed: the record decoded but its consumer kept failing on it after retries.",
});
export type DeadLetterReason = typeof DeadLetterReason.Type;

/** A record that a consumer could not take, as written to `<topic>.dlq`; the consumer goes on. */
export const DeadLetter = Schema.Struct({
  reason: DeadLetterReason,
  message: Schema.String.annotations({ description: "What was wrong with the record, for a person." }),
  topic: Schema.String.annotations({ description: "The topic the record was read from." }),
  partition: Schema.NonNegativeInt.annotations({ identifier: "Partition", title: "Partition", description: "The partition the record was read from." }),
  offset: Schema.NonNegativeInt.annotations({ identifier: "Offset", title: "Offset", description: "The record's offset in its partition." }),
  key: Schema.String.annotations({ description: "The record's key." }),
  original: Schema.Uint8ArrayFromBase64.annotations({ description: "The record's value, byte for byte, in base64." }),
}).annotations({
  identifier: "DeadLetter",
  title: "DeadLetter",
  description: "A record a consumer could not take, with the reason and where it was read; the original value is kept byte for byte.",
});
export type DeadLetter = typeof DeadLetter.Type;

/** Where a dead-lettered record was read, and its value. */
export interface DeadLetterSource {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly key: string;
  readonly value: string | Uint8Array;
}

/** The dead letter of a record that failed to decode (a DecodeFailure) or whose handler failed. */
export const deadLetterOf = (
  problem: DecodeFailure | { readonly reason: DeadLetterReason; readonly message: string },
  source: DeadLetterSource,
): DeadLetter => ({
  reason: problem.reason,
  message: problem.message,
  topic: source.topic,
  partition: source.partition,
  offset: source.offset,
  key: source.key,
  original: typeof source.value === "string" ? new TextEncoder().encode(source.value) : source.value,
});

const encodeDeadLetterSync = Schema.encodeSync(DeadLetter);
const decodeDeadLetterEither = Schema.decodeUnknownEither(Schema.parseJson(DeadLetter));

export const encodeDeadLetter = (letter: DeadLetter): string => JSON.stringify(encodeDeadLetterSync(letter));

/** Reads a dead letter back (tools that inspect a DLQ); a malformed one gives the parse error's text. */
export const decodeDeadLetter = (text: string): Either.Either<DeadLetter, string> =>
  Either.mapLeft(decodeDeadLetterEither(text), (error) => ParseResult.TreeFormatter.formatErrorSync(error));
