#!/usr/bin/env node
// The sequencer process (`--mode kafka`): configuration from the environment (see config.ts),
// the event log on Kafka, logs through pino; runs until SIGINT/SIGTERM.
import { runServiceProcess } from "@zk-testnet/actors";
import { sequencerConfig } from "./config.ts";
import { runSequencer, SERVICE_NAME } from "./service.ts";

runServiceProcess({ name: SERVICE_NAME, config: sequencerConfig, run: (config) => runSequencer(config.network) });
