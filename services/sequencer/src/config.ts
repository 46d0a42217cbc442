import type { ConfigError, Effect } from "effect";
import { processConfig, type ProcessConfig } from "@zk-testnet/actors";
import type { InvalidNetworkConfig } from "@zk-testnet/network";

/**
 * The sequencer process's configuration, the fields every service process reads (`processConfig`):
 *
 * | field | env | description | default |
 * |---|---|---|---|
 * | network | ZKT_NETWORK | the testnet's network as JSON (`encodeNetwork`, written by `testnet up`) | none: required |
 * | brokers | ZKT_BROKERS | Kafka bootstrap brokers, comma-separated host:port | 127.0.0.1:9092 |
 * | logFormat | ZKT_LOG_FORMAT | `json` (one JSON object a line) or `pretty` (pino-pretty) | json |
 * | logFile | ZKT_LOG_FILE | file the logs are appended to | standard output |
 */
export type SequencerConfig = ProcessConfig;

/** Reads the whole configuration from the environment (through Effect's ConfigProvider). */
export const sequencerConfig: Effect.Effect<SequencerConfig, ConfigError.ConfigError | InvalidNetworkConfig> = processConfig;
