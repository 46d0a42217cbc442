import { Config, Data, Effect, Option } from "effect";
import type { LogFormat } from "@zk-testnet/logging";
import { InvalidNetworkConfig, networkFromEnv, type NetworkConfig } from "@zk-testnet/network";
import type { PoolShard } from "./service.ts";

/** The process configuration of the prover pool, read from the environment. */
export interface ProverPoolConfig {
  /** ZKT_NETWORK: the testnet's network as JSON (seed, genesis, parameters, the provers). */
  readonly network: NetworkConfig;
  /** ZKT_BROKERS: Kafka bootstrap brokers, comma-separated (default 127.0.0.1:9092). */
  readonly brokers: readonly string[];
  /** ZKT_LOG_FORMAT: "json" (default) or "pretty". */
  readonly logFormat: LogFormat;
  /** ZKT_LOG_FILE: a file to append logs to; standard output when unset. */
  readonly logFile: string | undefined;
  /** ZKT_PROVERS / ZKT_SHARD: this process runs only some provers, as a named shard. */
  readonly shard?: PoolShard;
}

export class InvalidConfig extends Data.TaggedError("InvalidConfig")<{ readonly message: string }> {}

export const brokersConfig = Config.array(Config.string(), "ZKT_BROKERS").pipe(
  Config.withDescription("Kafka bootstrap brokers, comma-separated host:port"),
  Config.withDefault(["127.0.0.1:9092"]),
);

export const logFormatConfig = Config.literal("json", "pretty")("ZKT_LOG_FORMAT").pipe(
  Config.withDescription('Log format: "json" (one JSON object a line) or "pretty" (for people)'),
  Config.withDefault("json" as const),
);

export const logFileConfig = Config.option(Config.string("ZKT_LOG_FILE")).pipe(
  Config.withDescription("A file to append logs to; standard output when unset"),
);

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

/** Every field at once; a bad or missing value is one InvalidConfig with a one-line message. */
export const loadConfig: Effect.Effect<ProverPoolConfig, InvalidConfig> = Effect.gen(function* () {
  const network = yield* networkFromEnv;
  const brokers = yield* brokersConfig;
  const logFormat = yield* logFormatConfig;
  const logFile = yield* logFileConfig;
  const shard = yield* shardConfig;
  const ids = Option.getOrUndefined(shard.provers);
  if (ids !== undefined) {
    const unknown = ids.filter((id) => !network.provers.some((p) => p.id === id));
    if (unknown.length > 0) return yield* Effect.fail(new InvalidNetworkConfig({ message: `ZKT_PROVERS names provers the network does not have: ${unknown.join(", ")}` }));
  }
  return {
    network,
    brokers,
    logFormat,
    logFile: Option.getOrUndefined(logFile),
    ...(ids === undefined ? {} : { shard: { name: Option.getOrElse(shard.name, () => `prover-pool-${ids.join("-")}`), provers: ids } }),
  };
}).pipe(
  Effect.mapError(
    (error) => new InvalidConfig({ message: (error instanceof InvalidNetworkConfig ? error.message : String(error)).replace(/\s+/g, " ").trim() }),
  ),
);
