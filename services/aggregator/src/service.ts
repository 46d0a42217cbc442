import { Effect } from "effect";
import { runService, type HostOptions, type ServiceDefinition } from "@zk-testnet/actors";
import { beaconPublicKeyOf } from "@zk-testnet/crypto";
import { beaconSchemeOf, type NetworkConfig } from "@zk-testnet/network";
import type { ProtocolEvent } from "@zk-testnet/protocol";
import { foldedTypes, type AggregatorInput } from "./aggregation.ts";
import { aggregatorMachine } from "./machine.ts";

export * from "./machine.ts";
export { aggregatorConfig, type AggregatorConfig } from "./config.ts";

export const SERVICE_NAME = "aggregator";

/**
 * Its input topics: the registry, blocks, rounds and proofs it decides from, and its own
 * outputs (proving.assignments, and SubmitRoot on l1.transactions), read back to know what
 * the log already holds. In a replay, ties of equal time follow this order.
 */
export const AGGREGATOR_INPUTS = ["l1.events", "l2.blocks", "beacon.rounds", "proving.assignments", "l1.transactions", "proving.proofs", "testnet.faults"] as const;

/**
 * What the machine needs of the network: the protocol parameters, the start of slot 0 and the
 * beacon's public key, with its scheme when the network names one (drand's BLS otherwise).
 */
export const aggregatorInput = (network: NetworkConfig): AggregatorInput => ({
  params: network.params,
  genesisMs: network.genesisMs,
  beaconPublicKey: beaconPublicKeyOf(beaconSchemeOf(network), network.seed),
  ...(network.beacon.scheme === undefined ? {} : { beaconScheme: network.beacon.scheme }),
});

const accepts = (event: ProtocolEvent): boolean => foldedTypes.has(event.type);

/** The aggregator as the host runs it. No actors: verification is pure and runs in the fold. */
export const definition = (network: NetworkConfig): ServiceDefinition<typeof aggregatorMachine> => ({
  name: SERVICE_NAME,
  machine: aggregatorMachine,
  input: aggregatorInput(network),
  inputs: AGGREGATOR_INPUTS,
  accepts,
});

/** Runs the aggregator until the scope closes: replays its inputs, then aggregates live. */
export const runAggregator = Effect.fn("Aggregator.run")(function* (network: NetworkConfig, options: HostOptions = {}) {
  const handle = yield* runService(definition(network), options);
  const { context } = yield* handle.snapshot;
  const blocks = Object.values(context.blocks);
  yield* Effect.logInfo("aggregator started").pipe(
    Effect.annotateLogs({
      replayed: handle.replayed,
      provers: Object.keys(context.registry).length,
      blocksSubmitted: blocks.filter((b) => b.phase === "submitted").length,
      blocksOpen: blocks.filter((b) => b.phase !== "submitted").length,
    }),
  );
  return handle;
});
