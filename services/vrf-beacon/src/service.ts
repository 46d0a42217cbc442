import { Effect } from "effect";
import { runService, type HostOptions, type ServiceDefinition } from "@zk-testnet/actors";
import { beaconKeyFromSeed, beaconSeed, signRound, type BeaconKey } from "@zk-testnet/crypto";
import type { NetworkConfig } from "@zk-testnet/network";
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

/** The beacon's BLS key of a run: derived from the run seed (`beaconSeed`), so every service can know its public key. */
export const beaconKeyOf = (network: NetworkConfig): BeaconKey => beaconKeyFromSeed(beaconSeed(network.seed));

/** The `signRound` actor: the beacon key signs the round (drand's bls-unchained-g1-rfc9380). */
export const signRoundActor =
  (key: BeaconKey) =>
  (input: SignRoundInput): Effect.Effect<RoundSigned, unknown> =>
    Effect.try(() => ({ type: "signed" as const, ...signRound(key.secretKey, input.round) }));

const accepts = (event: ProtocolEvent): boolean => event.type === "BeaconRound";

/** The beacon as the host runs it: its own rounds in, BeaconRound out, signing as the `signRound` actor. */
export const definition = (network: NetworkConfig, key: BeaconKey = beaconKeyOf(network)): ServiceDefinition<typeof beaconMachine> => ({
  name: SERVICE_NAME,
  machine: beaconMachine,
  input: beaconInput(network),
  inputs: ["beacon.rounds"],
  accepts,
  actors: { [SIGN_ROUND]: signRoundActor(key) },
});

/**
 * Runs the beacon until the scope closes: the service (replay, then one round per slot) and
 * drand's HTTP API on 127.0.0.1 at `network.beacon` (port 0 picks a free one), which serves
 * the rounds of the running service's state. `url` is the API's base, path included.
 */
export const runVrfBeacon = Effect.fn("VrfBeacon.run")(function* (network: NetworkConfig, options: HostOptions = {}) {
  const key = beaconKeyOf(network);
  const info = yield* chainInfoOf({ publicKey: key.publicKey, genesisMs: network.genesisMs, slotMs: network.params.slotMs, beaconId: network.beacon.beaconId });
  const handle = yield* runService(definition(network, key), options);
  const { url } = yield* serveBeaconApi({
    beacon: network.beacon,
    info,
    rounds: Effect.map(handle.snapshot, ({ context }) => context),
  });
  const { context } = yield* handle.snapshot;
  yield* Effect.logInfo("vrf-beacon started").pipe(Effect.annotateLogs({ replayed: handle.replayed, latest: context.latest, url, chainHash: info.hash }));
  return { handle, url, info };
});
