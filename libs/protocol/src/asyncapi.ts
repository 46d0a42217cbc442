import { JSONSchema, Option, SchemaAST, type Schema } from "effect";
import { stringify } from "yaml";
import { DeadLetter } from "./dead-letter.ts";
import { eventSchemas, eventTypes, eventVersions, type EventType } from "./event.ts";
import { PROOF_ENCODING_TAG } from "./proof.ts";
import { DLQ_RETENTION_MS, dlqTopic, keyKindOf, services, topicOf, topics, writerOf, type KeyKind, type ServiceName, type TopicSpec } from "./topics.ts";

/** The document's version follows the protocol's: bump it with any schema change. */
export const PROTOCOL_VERSION = "1.0.0";

const KAFKA_BINDING = "0.5.0";
const schemaPath = "#/components/schemas/";

type Json = null | boolean | number | string | readonly Json[] | { readonly [key: string]: Json };
type JsonObject = { readonly [key: string]: Json };

const ref = ($ref: string): JsonObject => ({ $ref });

const camel = (name: string): string => name.replace(/[.-]([a-z0-9])/g, (_, c: string) => c.toUpperCase());
const pascal = (name: string): string => camel(name).replace(/^[a-z]/, (c) => c.toUpperCase());
const channelId = (topic: string): string => camel(topic);

const keyDescriptions: { readonly [K in KeyKind]: string } = {
  block: "the block number, in decimal",
  prover: "the prover id",
  round: "the round number, in decimal",
  epoch: "the epoch number, in decimal",
  "fault-target": "the fault's target",
};

const overview = [
  "The wire contract of the ZK prover testnet: every Kafka topic, who writes and reads it, and every record on it.",
  "",
  "Every record value is UTF-8 JSON of one envelope: `id`, `type`, `version`, `source`, `key`, `causationId`, `correlationId`, `slot`, `time`, `payload`.",
  "`type` names the record (the message names below) and `version` its schema version; a reader refuses versions it does not speak.",
  "Amounts are integers in the smallest unit written as decimal strings; prover ids are strings; times are ms since the Unix epoch.",
  "Records carry no other fields than their schema lists: a new field is a new version.",
  "",
  "Event ids are deterministic: the first 32 hex characters of SHA-256 over the UTF-8 JSON array",
  '`["zk-testnet/event-id/v1", source, causationId, String(position)]` (no whitespace), where position numbers the outputs of one source for one cause.',
  "A redelivered input thus produces the same ids, and consumers drop duplicates by id.",
  "",
  "Records are keyed by block number wherever there is a block, so that everything about a block stays in order in one partition;",
  "registry records are keyed by prover id. A record that fails to decode (or to be handled) is copied to `<topic>.dlq` as a DeadLetter, and the consumer goes on.",
  "",
  `Proofs: a proof of node (block, level, index) is signed with Ed25519 over canonicalProofBytes (tag \`${PROOF_ENCODING_TAG}\`), described under ProofSubmitted.`,
  "A leaf's public input is its transaction hash; a merge node's is SHA-256 of its children's raw public inputs, left then right;",
  "an empty padding leaf's is 32 zero bytes and it has no proof.",
  "",
  "The JSONL export of a run is one record a line: `{\"topic\",\"partition\",\"offset\",\"key\",\"event\"}`, `event` being the envelope.",
].join("\n");

/** Every schema the document names, generated from the effect Schemas. */
const componentSchemas = (): Record<string, Json> => {
  const definitions: Record<string, JSONSchema.JsonSchema7> = {};
  const add = (schema: Schema.Schema.All) => JSONSchema.fromAST(schema.ast, { definitions, definitionPath: schemaPath, target: "jsonSchema7" });
  for (const type of eventTypes) add(eventSchemas[type]);
  add(DeadLetter);
  const sorted: Record<string, Json> = {};
  for (const name of Object.keys(definitions).sort()) sorted[name] = definitions[name] as unknown as Json;
  return sorted;
};

const keySchema = (description: string): JsonObject => ({ type: "string", description });

const eventMessage = (type: EventType): JsonObject => {
  const schema = eventSchemas[type];
  const describe = (ast: SchemaAST.AST): string => Option.getOrElse(SchemaAST.getDescriptionAnnotation(ast), () => type);
  const topic = topicOf[type];
  return {
    name: type,
    title: type,
    summary: describe(schema.fields.payload.ast),
    description: [
      describe(schema.ast),
      "",
      `Topic \`${topic}\`, written by ${writerOf[type]}, keyed by ${keyDescriptions[keyKindOf[type]]}. Current version: ${eventVersions[type]}.`,
    ].join("\n"),
    contentType: "application/json",
    payload: ref(`${schemaPath}${type}`),
    bindings: { kafka: { key: keySchema(`The record key: ${keyDescriptions[keyKindOf[type]]}.`), bindingVersion: KAFKA_BINDING } },
  };
};

const deadLetterMessage: JsonObject = {
  name: "DeadLetter",
  title: "DeadLetter",
  summary: "A record a consumer could not take.",
  description:
    "A record of the source topic that a consumer could not decode, or whose handling kept failing, with the reason and the original bytes (base64). The consumer goes on after writing it.",
  contentType: "application/json",
  payload: ref(`${schemaPath}DeadLetter`),
  bindings: { kafka: { key: keySchema("The failed record's key, unchanged."), bindingVersion: KAFKA_BINDING } },
};

const kafkaChannelBinding = (partitions: number, cleanupPolicy: TopicSpec["cleanupPolicy"], retentionMs: number): JsonObject => ({
  kafka: { partitions, topicConfiguration: { "cleanup.policy": [cleanupPolicy], "retention.ms": retentionMs }, bindingVersion: KAFKA_BINDING },
});

const channels = (): Record<string, Json> => {
  const result: Record<string, Json> = {};
  for (const topic of topics) {
    result[channelId(topic.name)] = {
      address: topic.name,
      title: topic.name,
      description: `${topic.description}\n\nKey: ${topic.key.description} Written by ${topic.writers.join(", ")}; read by ${topic.readers.join(", ")}.`,
      messages: Object.fromEntries(topic.eventTypes.map((type) => [type, ref(`#/components/messages/${type}`)])),
      bindings: kafkaChannelBinding(topic.partitions, topic.cleanupPolicy, topic.retentionMs),
    };
  }
  for (const topic of topics) {
    const dlq = dlqTopic(topic.name);
    result[channelId(dlq)] = {
      address: dlq,
      title: dlq,
      description: `Dead letters of \`${topic.name}\`: its records that a reader could not decode or handle.`,
      messages: { DeadLetter: ref("#/components/messages/DeadLetter") },
      bindings: kafkaChannelBinding(1, "delete", DLQ_RETENTION_MS),
    };
  }
  return result;
};

const operation = (service: ServiceName, action: "send" | "receive", channel: string, messages: readonly string[], summary: string): JsonObject => ({
  action,
  channel: ref(`#/channels/${channel}`),
  summary,
  messages: messages.map((message) => ref(`#/channels/${channel}/messages/${message}`)),
  ...(action === "receive" ? { bindings: { kafka: { groupId: { type: "string", enum: [service] }, bindingVersion: KAFKA_BINDING } } } : {}),
});

/** Per service: a send operation for each topic it writes, a receive for each it reads, and its dead letters. */
const operations = (): Record<string, Json> => {
  const result: Record<string, Json> = {};
  for (const service of services) {
    for (const topic of topics) {
      const id = channelId(topic.name);
      const writes = topic.eventTypes.filter((type) => writerOf[type] === service);
      if (writes.length > 0) {
        result[`${camel(service)}Send${pascal(topic.name)}`] = operation(service, "send", id, writes, `${service} writes ${writes.join(", ")} to ${topic.name}.`);
      }
      if ((topic.readers as readonly ServiceName[]).includes(service)) {
        result[`${camel(service)}Receive${pascal(topic.name)}`] = operation(service, "receive", id, topic.eventTypes, `${service} reads ${topic.name}.`);
        const dlq = dlqTopic(topic.name);
        result[`${camel(service)}Send${pascal(dlq)}`] = operation(service, "send", channelId(dlq), ["DeadLetter"], `${service} writes the records of ${topic.name} it cannot take to ${dlq}.`);
      }
    }
  }
  return result;
};

/** The AsyncAPI 3.0.0 document of the protocol, generated from the schemas and the topic catalogue. */
export const asyncApiDocument = (): JsonObject => ({
  asyncapi: "3.0.0",
  info: { title: "ZK prover testnet protocol", version: PROTOCOL_VERSION, description: overview },
  defaultContentType: "application/json",
  servers: {
    local: {
      host: "127.0.0.1:9092",
      protocol: "kafka",
      description: "The testnet's Kafka broker as the project's scripts start it (a 3-node cluster listens on consecutive ports).",
    },
  },
  channels: channels(),
  operations: operations(),
  components: {
    schemas: componentSchemas(),
    messages: { ...Object.fromEntries(eventTypes.map((type) => [type, eventMessage(type)])), DeadLetter: deadLetterMessage },
  },
});

const header = [
  "# Generated from the schemas in libs/protocol/src by libs/protocol/scripts/generate-asyncapi.ts.",
  "# Do not edit: change the schemas and run `node libs/protocol/scripts/generate-asyncapi.ts`.",
].join("\n");

/** The document as YAML, exactly as committed in libs/protocol/asyncapi.yaml. */
export const asyncApiYaml = (): string => `${header}\n${stringify(asyncApiDocument(), { lineWidth: 0, aliasDuplicateObjects: false })}`;
