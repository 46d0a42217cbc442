#!/usr/bin/env node
// The mock L1 (l1-settlement) process (`--mode kafka`): configuration from the environment (see config.ts),
// the event log on Kafka, logs through pino; runs until SIGINT/SIGTERM.
import { runServiceProcess } from "@zk-testnet/actors";
import { l1SettlementConfig } from "./config.ts";
import { runL1Settlement, SERVICE_NAME } from "./service.ts";

runServiceProcess({ name: SERVICE_NAME, config: l1SettlementConfig, run: (config) => runL1Settlement(config.network) });
