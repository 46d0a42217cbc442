#!/usr/bin/env node
// The aggregator process (`--mode kafka`): configuration from the environment (see config.ts),
// the event log on Kafka, logs through pino; runs until SIGINT/SIGTERM.
import { runServiceProcess } from "@zk-testnet/actors";
import { aggregatorConfig } from "./config.ts";
import { runAggregator, SERVICE_NAME } from "./service.ts";

runServiceProcess({ name: SERVICE_NAME, config: aggregatorConfig, run: (config) => runAggregator(config.network) });
