export * from "./ids.ts";
export { CorrelationId, RecordKey, Source, defineEvent, described, envelopeFields, eventId, payloadOf } from "./envelope.ts";
export {
  ChildProofHashes,
  EMPTY_LEAF_PUBLIC_INPUT,
  PROOF_ENCODING_TAG,
  ProofRecord,
  canonicalProofBytes,
  canonicalProofText,
  leafPublicInput,
  mergePublicInput,
  proofHash,
  type ProofStatement,
} from "./proof.ts";
export * from "./events/sequencer.ts";
export * from "./events/beacon.ts";
export * from "./events/aggregator.ts";
export * from "./events/prover.ts";
export * from "./events/settlement.ts";
export * from "./events/faults.ts";
export * from "./events/l1-transactions.ts";
export {
  ProtocolEvent,
  eventSchemas,
  eventTypes,
  eventVersions,
  isEventType,
  isL1Transaction,
  l1TransactionTypes,
  type EncodedProtocolEvent,
  type EventOf,
  type EventType,
  type L1Transaction,
  type L1TransactionType,
  type PayloadOf,
} from "./event.ts";
export { makeEvent, type EventDraft } from "./make-event.ts";
export {
  DLQ_RETENTION_MS,
  ServiceName,
  dlqTopic,
  keyKindOf,
  recordKey,
  services,
  topicByName,
  topicOf,
  topics,
  writerOf,
  type KeyKind,
  type TopicName,
  type TopicSpec,
} from "./topics.ts";
export { DecodeFailure, DecodeFailureReason, decodeEvent, decodeEventJson, encodeEvent, encodeEventBytes } from "./codec.ts";
export { DeadLetter, DeadLetterReason, deadLetterOf, decodeDeadLetter, encodeDeadLetter, type DeadLetterSource } from "./dead-letter.ts";
export { PROTOCOL_VERSION, asyncApiDocument, asyncApiYaml } from "./asyncapi.ts";
