import { createHash } from "node:crypto";
import { Schema } from "effect";
import { EventId, Slot, Timestamp } from "./ids.ts";

/** The writer of an event: a service ("aggregator") or one actor in it ("prover-pool/prover-3"). */
export const Source = Schema.String.pipe(
  Schema.minLength(1),
  Schema.maxLength(128),
  Schema.annotations({
    identifier: "Source",
    title: "Source",
    description: 'The writer of the event: a service name ("aggregator") or one actor of a service ("prover-pool/prover-3").',
  }),
);

export const RecordKey = Schema.String.pipe(
  Schema.minLength(1),
  Schema.maxLength(128),
  Schema.annotations({
    identifier: "RecordKey",
    title: "RecordKey",
    description:
      "The Kafka record key the event was written with: the block number in decimal where the event concerns a block, else the prover id (registry events), the round (beacon) or the fault target (faults).",
  }),
);

export const CorrelationId = Schema.String.pipe(
  Schema.minLength(1),
  Schema.maxLength(128),
  Schema.annotations({
    identifier: "CorrelationId",
    title: "CorrelationId",
    description: 'What the event belongs to: "block-<n>" for everything about block n, else a run-level id chosen by the writer.',
  }),
);

/**
 * The envelope every record carries, in wire order; `type`, `version` and `payload` are
 * added per event type by `defineEvent`.
 */
export const envelopeFields = {
  id: EventId,
  source: Source,
  key: RecordKey,
  causationId: Schema.NullOr(EventId).annotations({
    description: "The id of the event this one is a consequence of, or null for an event that starts a chain (a clock tick, an operator action).",
  }),
  correlationId: CorrelationId,
  slot: Slot,
  time: Timestamp,
} as const;

/**
 * One event type: the envelope with `type` and `version` fixed to literals and its own
 * payload. The description becomes the message's description in the AsyncAPI document.
 */
export const defineEvent = <const T extends string, const V extends number, P, PI>(
  type: T,
  version: V,
  payload: Schema.Schema<P, PI, never>,
  description: string,
) =>
  Schema.Struct({
    id: envelopeFields.id,
    type: Schema.Literal(type),
    version: Schema.Literal(version),
    source: envelopeFields.source,
    key: envelopeFields.key,
    causationId: envelopeFields.causationId,
    correlationId: envelopeFields.correlationId,
    slot: envelopeFields.slot,
    time: envelopeFields.time,
    payload,
  }).annotations({ identifier: type, title: type, description });

/** A payload struct, named `<Type>Payload` in the AsyncAPI document. */
export const payloadOf = <const F extends Schema.Struct.Fields>(type: string, fields: F, description: string) =>
  Schema.Struct(fields).annotations({ identifier: `${type}Payload`, title: `${type}Payload`, description });

/**
 * A deterministic event id: the first 32 hex characters of SHA-256 over a canonical
 * encoding of (source, causationId, position). Position numbers the outputs a source writes
 * for one cause (0, 1, ...), or its own sequence for uncaused events, so that a redelivered
 * input produces the same ids and consumers drop the duplicates.
 */
export const eventId = (source: string, causationId: string | null, position: number): EventId => {
  // A JSON array of strings (and null) is unambiguous: no choice of inputs can collide.
  const canonical = JSON.stringify(["zk-testnet/event-id/v1", source, causationId, String(position)]);
  return createHash("sha256").update(canonical, "utf8").digest("hex").slice(0, 32) as EventId;
};

/** A field with its own description; the field's schema keeps its shared name in the AsyncAPI document. */
export const described = <S extends Schema.Schema.All>(schema: S, description: string) =>
  Schema.propertySignature(schema).annotations({ description });
