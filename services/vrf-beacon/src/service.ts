import { Effect } from "effect";
import { runService, type HostOptions, type ServiceDefinition } from "@zk-testnet/actors";
import { beaconSigner, type BeaconSigner } from "@zk-testnet/crypto";
import { beaconSchemeOf, type NetworkConfig } from "@zk-testnet/network";
import type { ProtocolEvent } from "@zk-testnet/protocol";
import { chainInfoOf, serveBeaconApi } from "./http.ts";
import { beaconMachine, SIGN_ROUND, type BeaconInput, type RoundSigned, type SignRoundInput } from "./machine.ts";

export {
  allPublished,
  beaconMachine,
  roundDraft,
  roundTimeOf,
  SIGN_ROUND,
  type BeaconContext,
  type BeaconEvent,
  type BeaconInput,
  type PublishedRound,
  type RoundSigned,
  type SignRoundInput,
} from "./machine.ts";
export { BeaconChainUnsupported, beaconRouter, chainInfoOf, normalizeBasePath, parseRound, serveBeaconApi, type PublishedRounds } from "./http.ts";
export { beaconConfig, type BeaconConfig } from "./config.ts";

export const SERVICE_NAME = "vrf-beacon";

/** What the machine needs of the network: one round per block slot. */
export const beaconInput = (network: NetworkConfig): BeaconInput => ({
  genesisMs: network.genesisMs,
  slotMs: network.params.slotMs,
  rounds: network.slots,
});

/**
 * The beacon of a run in the network's scheme (drand's BLS unless `network.beacon.scheme` names
 * another): its key derived from the run seed, so every service can know its public key.
 */
export const beaconSignerOf = (network: NetworkConfig): BeaconSigner => beaconSigner(beaconSchemeOf(network), network.seed);

/** The `signRound` actor: the beacon key signs the round. */
export const signRoundActor =
  (signer: BeaconSigner) =>
  (input: SignRoundInput): Effect.Effect<RoundSigned, unknown> =>
    Effect.try(() => ({ type: "signed" as const, ...signer.sign(input.round) }));

const accepts = (event: ProtocolEvent): boolean => event.type === "BeaconRound";

/** The beacon as the host runs it: its own rounds in, BeaconRound out, signing as the `signRound` actor. */
export const definition = (network: NetworkConfig, signer: BeaconSigner = beaconSignerOf(network)): ServiceDefinition<typeof beaconMachine> => ({
  name: SERVICE_NAME,
  machine: beaconMachine,
  input: beaconInput(network),
  inputs: ["beacon.rounds"],
  accepts,
  actors: { [SIGN_ROUND]: signRoundActor(signer) },
});

/**
 * Runs the beacon until the scope closes: the service (replay, then one round per slot) and
 * drand's HTTP API on 127.0.0.1 at `network.beacon` (port 0 picks a free one), which serves
 * the rounds of the running service's state. `url` is the API's base, path included.
 */
export const runVrfBeacon = Effect.fn("VrfBeacon.run")(function* (network: NetworkConfig, options: HostOptions = {}) {
  const signer = beaconSignerOf(network);
  const info = yield* chainInfoOf({ publicKey: signer.publicKey, genesisMs: network.genesisMs, slotMs: network.params.slotMs, beaconId: network.beacon.beaconId, scheme: signer.scheme });
  const handle = yield* runService(definition(network, signer), options);
  const { url } = yield* serveBeaconApi({
    beacon: network.beacon,
    info,
    rounds: Effect.map(handle.snapshot, ({ context }) => context),
  });
  const { context } = yield* handle.snapshot;
  yield* Effect.logInfo("vrf-beacon started").pipe(Effect.annotateLogs({ replayed: handle.replayed, latest: context.latest, url, chainHash: info.hash }));
  return { handle, url, info };
});
