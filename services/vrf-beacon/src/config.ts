import type { ConfigError, Effect } from "effect";
import { processConfig, type ProcessConfig } from "@zk-testnet/actors";
import type { InvalidNetworkConfig } from "@zk-testnet/network";

/**
 * The vrf-beacon process's configuration, the fields every service process reads (`processConfig`):
 *
 * | field | env | description | default |
 * |---|---|---|---|
 * | network | ZKT_NETWORK | the testnet's network as JSON (`encodeNetwork`, written by `testnet up`) | none: required |
 * | brokers | ZKT_BROKERS | Kafka bootstrap brokers, comma-separated host:port | 127.0.0.1:9092 |
 * | logFormat | ZKT_LOG_FORMAT | `json` (one JSON object a line) or `pretty` (pino-pretty) | json |
 * | logFile | ZKT_LOG_FILE | file the logs are appended to | standard output |
 *
 * The HTTP API's port, base path and beacon id are the network's (`network.beacon`), so that
 * every service and outside client of one testnet agrees on them.
 */
export type BeaconConfig = ProcessConfig;

/** Reads the whole configuration from the environment (through Effect's ConfigProvider). */
export const beaconConfig: Effect.Effect<BeaconConfig, ConfigError.ConfigError | InvalidNetworkConfig> = processConfig;
