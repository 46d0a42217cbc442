#!/usr/bin/env node
// The prover pool process (`--mode kafka`): configuration from the environment (see config.ts),
// the event log on Kafka, logs through pino; runs until SIGINT/SIGTERM.
import { runServiceProcess } from "@zk-testnet/actors";
import { proverPoolConfig } from "./config.ts";
import { runProverPool, SERVICE_NAME } from "./service.ts";

runServiceProcess({
  name: SERVICE_NAME,
  config: proverPoolConfig,
  // Each shard is its own Kafka client, named as its consumer group.
  clientId: (config) => config.shard?.name ?? SERVICE_NAME,
  run: (config) => runProverPool(config.network, undefined, config.shard),
});
