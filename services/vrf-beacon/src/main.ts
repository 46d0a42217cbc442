#!/usr/bin/env node
// The vrf-beacon process (`--mode kafka`): configuration from the environment (see config.ts),
// the event log on Kafka, logs through pino, drand's HTTP API at network.beacon; runs until
// SIGINT/SIGTERM.
import { Effect } from "effect";
import { runServiceProcess } from "@zk-testnet/actors";
import { beaconConfig, type BeaconConfig } from "./config.ts";
import { beaconSignerOf, chainInfoOf, runVrfBeacon, SERVICE_NAME } from "./service.ts";

// A network drand cannot describe is a bad configuration: say so before connecting to anything.
const drandDescribes = ({ network }: BeaconConfig) =>
  chainInfoOf({ publicKey: beaconSignerOf(network).publicKey, genesisMs: network.genesisMs, slotMs: network.params.slotMs, beaconId: "" });

runServiceProcess({
  name: SERVICE_NAME,
  config: beaconConfig.pipe(Effect.tap(drandDescribes)),
  run: (config) =>
    runVrfBeacon(config.network).pipe(
      Effect.tap(({ url, info }) => Effect.logInfo("drand API up").pipe(Effect.annotateLogs({ url, chainHash: info.hash, publicKey: info.public_key }))),
    ),
});
