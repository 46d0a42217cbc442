import { Config, ConfigError, Effect, Either, Option } from "effect";
import type { LogFormat } from "@zk-testnet/logging";
import { networkFromEnv, type InvalidNetworkConfig, type NetworkConfig } from "@zk-testnet/network";

/**
 * The aggregator process's configuration:
 *
 * | field | env | description | default |
 * |---|---|---|---|
 * | network | ZKT_NETWORK | the testnet's network as JSON (`encodeNetwork`, written by `testnet up`) | none: required |
 * | brokers | ZKT_BROKERS | Kafka bootstrap brokers, comma-separated host:port | 127.0.0.1:9092 |
 * | logFormat | ZKT_LOG_FORMAT | `json` (one JSON object a line) or `pretty` (pino-pretty) | json |
 * | logFile | ZKT_LOG_FILE | file the logs are appended to | standard output |
 */
export interface AggregatorConfig {
  readonly network: NetworkConfig;
  readonly brokers: readonly string[];
  readonly logFormat: LogFormat;
  readonly logFile: string | undefined;
}

export const DEFAULT_BROKERS = "127.0.0.1:9092";

export const brokersConfig: Config.Config<readonly string[]> = Config.string("ZKT_BROKERS").pipe(
  Config.withDescription("Kafka bootstrap brokers, comma-separated host:port"),
  Config.withDefault(DEFAULT_BROKERS),
  Config.mapOrFail((text) => {
    const brokers = text.split(",").map((b) => b.trim()).filter((b) => b.length > 0);
    const bad = brokers.find((b) => !/^[^\s:]+:\d{1,5}$/.test(b));
    if (brokers.length === 0) return Either.left(ConfigError.InvalidData(["ZKT_BROKERS"], "needs at least one host:port"));
    if (bad !== undefined) return Either.left(ConfigError.InvalidData(["ZKT_BROKERS"], `${JSON.stringify(bad)} is not host:port`));
    return Either.right(brokers);
  }),
);

export const logFormatConfig: Config.Config<LogFormat> = Config.literal("json", "pretty")("ZKT_LOG_FORMAT").pipe(
  Config.withDescription("Log format: json (one JSON object a line) or pretty (pino-pretty)"),
  Config.withDefault("json" as const),
);

export const logFileConfig: Config.Config<string | undefined> = Config.option(
  Config.nonEmptyString("ZKT_LOG_FILE").pipe(Config.withDescription("File the logs are appended to (default: standard output)")),
).pipe(Config.map(Option.getOrUndefined));

/** Reads the whole configuration from the environment (through Effect's ConfigProvider). */
export const aggregatorConfig: Effect.Effect<AggregatorConfig, ConfigError.ConfigError | InvalidNetworkConfig> = Effect.all({
  network: networkFromEnv,
  brokers: brokersConfig,
  logFormat: logFormatConfig,
  logFile: logFileConfig,
});
