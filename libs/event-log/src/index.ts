export * from "./errors.ts";
export * from "./model.ts";
export { EventLog, type EventLogApi } from "./port.ts";
export { EmbeddedEventLog, makeEmbeddedLog, type EmbeddedOptions } from "./embedded.ts";
export { KafkaEventLog, makeKafkaLog, parseBrokerRoutes, retrySchedule, type KafkaClientLogLevel, type KafkaLogOptions } from "./kafka.ts";
export { parseJsonl, recordToLine, sha256, toJsonl } from "./jsonl.ts";
export { murmur2, partitionOf } from "./partitioner.ts";
export { appendEvent, appendEvents, protocolCodec, protocolTopicSpecs } from "./protocol.ts";
export {
  DELIVERY_FAULT_KINDS,
  DeliveryFaultLog,
  DeliveryFaults,
  withDeliveryFaults,
  type DeliveryFault,
  type DeliveryFaultControl,
  type DeliveryFaultKind,
  type DeliveryFaultOptions,
  type SeededRandom,
} from "./delivery-faults.ts";
export { DEFAULT_DELAY_MS, DEFAULT_REORDER_WINDOW, FAULTS_TOPIC, deliveryFaultOf, followDeliveryFaults, isDeliveryFaultKind } from "./delivery-follow.ts";
