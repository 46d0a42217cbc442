import { Effect } from "effect";
import { runService, type HostOptions, type ServiceDefinition } from "@zk-testnet/actors";
import { proverKeyFromSeed, proverSeed, signProof, type ProverKey } from "@zk-testnet/crypto";
import type { NetworkConfig } from "@zk-testnet/network";
import { proofHash, type ProofStatement } from "@zk-testnet/protocol";
import { foldedTypes, machine, type ProofReady } from "./machine.ts";

export const SERVICE_NAME = "prover-pool";

/**
 * The topics the pool folds: its assignments, its own proofs and the registry's answers. The
 * order is causal (an assignment, then its proof, then the block's finality): a replay orders
 * events of equal time by it, so it folds them as they happened live.
 */
export const INPUT_TOPICS = ["proving.assignments", "proving.proofs", "l1.events"] as const;

/** Every prover's Ed25519 key, derived from the run seed: they stay here, outside the machine's context. */
export const proverKeys = (network: NetworkConfig): ReadonlyMap<string, ProverKey> =>
  new Map(network.provers.map((p) => [p.id, proverKeyFromSeed(proverSeed(network.seed, p.id))]));

/** The `prove` actor: signs the canonical encoding of the statement with its prover's key. */
export const proveWith = (keys: ReadonlyMap<string, ProverKey>) =>
  Effect.fn("ProverPool.prove")(function* (statement: ProofStatement) {
    const key = keys.get(statement.prover);
    if (key === undefined) return yield* Effect.dieMessage(`no key for prover ${statement.prover}`);
    const signature = signProof(key, statement);
    return { type: "proofReady", proof: statement, signature, proofHash: proofHash(statement, signature) } satisfies ProofReady;
  });

export const definition = (network: NetworkConfig): ServiceDefinition<typeof machine> => ({
  name: SERVICE_NAME,
  machine,
  input: { network },
  inputs: INPUT_TOPICS,
  accepts: (event) => foldedTypes.has(event.type),
  actors: { prove: proveWith(proverKeys(network)) },
});

/** Runs the prover pool until its scope closes. */
export const runProverPool = (network: NetworkConfig, options?: HostOptions) => runService(definition(network), options);
