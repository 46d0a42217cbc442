import { Config, Effect, Option, type ConfigError } from "effect";
import { processConfig, type ProcessConfig } from "@zk-testnet/actors";
import { InvalidNetworkConfig } from "@zk-testnet/network";
import type { PoolShard } from "./service.ts";

/**
 * The prover pool process's configuration, the fields every service process reads (`processConfig`) and its shard:
 *
 * | field | env | description | default |
 * |---|---|---|---|
 * | network | ZKT_NETWORK | the testnet's network as JSON (`encodeNetwork`, written by `testnet up`) | none: required |
 * | brokers | ZKT_BROKERS | Kafka bootstrap brokers, comma-separated host:port | 127.0.0.1:9092 |
 * | logFormat | ZKT_LOG_FORMAT | `json` (one JSON object a line) or `pretty` (pino-pretty) | json |
 * | logFile | ZKT_LOG_FILE | file the logs are appended to | standard output |
 * | shard.provers | ZKT_PROVERS | run only these provers of the network (comma-separated ids), as one shard of the pool | every prover, no shard |
 * | shard.name | ZKT_SHARD | the shard's name: its event source, consumer group and Kafka client id | prover-pool-<ids> |
 */
export interface ProverPoolConfig extends ProcessConfig {
  readonly shard?: PoolShard;
}

/** ZKT_PROVERS (comma-separated prover ids) runs only those provers, as ZKT_SHARD (default prover-pool-<ids>). */
export const shardConfig = Config.all({
  provers: Config.option(
    Config.string("ZKT_PROVERS").pipe(
      Config.withDescription("Run only these provers of the network (comma-separated ids), as one shard of the pool"),
      Config.map((text) => text.split(",").map((s) => s.trim()).filter(Boolean)),
    ),
  ),
  name: Config.option(Config.string("ZKT_SHARD").pipe(Config.withDescription("The shard's name: its event source and consumer group"))),
});

/** Reads the whole configuration from the environment (through Effect's ConfigProvider). */
export const proverPoolConfig: Effect.Effect<ProverPoolConfig, ConfigError.ConfigError | InvalidNetworkConfig> = Effect.gen(function* () {
  const config = yield* processConfig;
  const shard = yield* shardConfig;
  const ids = Option.getOrUndefined(shard.provers);
  if (ids === undefined) return config;
  const unknown = ids.filter((id) => !config.network.provers.some((p) => p.id === id));
  if (unknown.length > 0) return yield* new InvalidNetworkConfig({ message: `ZKT_PROVERS names provers the network does not have: ${unknown.join(", ")}` });
  return { ...config, shard: { name: Option.getOrElse(shard.name, () => `prover-pool-${ids.join("-")}`), provers: ids } };
});
