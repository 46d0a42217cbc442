import { Data } from "effect";

/** Java is missing or too old for the broker. */
export class JavaUnavailable extends Data.TaggedError("JavaUnavailable")<{
  readonly message: string;
}> {}

/** The broker's jars are neither cached nor downloadable. */
export class JarsUnavailable extends Data.TaggedError("JarsUnavailable")<{
  readonly message: string;
}> {}

/** A broker process exited or never became ready; carries the tail of its log. */
export class BrokerFailed extends Data.TaggedError("BrokerFailed")<{
  readonly nodeId: number;
  readonly message: string;
  readonly logFile: string;
  readonly logTail: string;
}> {}

/** A request about a broker id that the cluster does not have, or in the wrong state. */
export class UnknownBroker extends Data.TaggedError("UnknownBroker")<{
  readonly nodeId: number;
  readonly message: string;
}> {}

export type KafkaInfraError = JavaUnavailable | JarsUnavailable | BrokerFailed | UnknownBroker;
