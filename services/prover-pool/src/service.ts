import { Effect } from "effect";
import { runService, type HostOptions, type ServiceDefinition } from "@zk-testnet/actors";
import { proverKeyFromSeed, proverSeed, signProof, type ProverKey } from "@zk-testnet/crypto";
import type { NetworkConfig } from "@zk-testnet/network";
import { proofHash, type ProofStatement } from "@zk-testnet/protocol";
import { foldedTypes, initialFaultProblems, machine, type ProofReady, type ProveTwiceInput, type SignedProof, type WarnInput } from "./machine.ts";

export const SERVICE_NAME = "prover-pool";

/**
 * The topics the pool folds: the faults applied to its provers, its assignments and takeovers,
 * its own proofs and receipts, and the registry's answers. The order is causal (a fault applies
 * to an assignment of the same instant; an assignment, then its proof and receipt, then the
 * block's finality): a replay orders events of equal time by it, so it folds them as they
 * happened live.
 */
export const INPUT_TOPICS = ["testnet.faults", "proving.assignments", "proving.proofs", "l1.transactions", "l1.events"] as const;

/** The provers' keys by prover id: they stay here, outside the machine's context. */
export type ProverKeys = Pick<ReadonlyMap<string, ProverKey>, "get">;

/**
 * Every prover's Ed25519 key, derived from the run seed when the prover first signs (most
 * provers of a large pool never do, and a derivation costs ~0.1 ms), then kept.
 */
export const proverKeys = (network: NetworkConfig): ProverKeys => {
  const ids = new Set<string>(network.provers.map((p) => p.id));
  const keys = new Map<string, ProverKey>();
  return {
    get: (prover) => {
      if (!ids.has(prover)) return undefined;
      const known = keys.get(prover);
      if (known !== undefined) return known;
      const key = proverKeyFromSeed(proverSeed(network.seed, prover));
      keys.set(prover, key);
      return key;
    },
  };
};

const signWith = (keys: ProverKeys, statement: ProofStatement) =>
  Effect.gen(function* () {
    const key = keys.get(statement.prover);
    if (key === undefined) return yield* Effect.dieMessage(`no key for prover ${statement.prover}`);
    const signature = signProof(key, statement);
    return { proof: statement, signature, proofHash: proofHash(statement, signature) } satisfies SignedProof;
  });

/** The `prove` actor: signs the canonical encoding of the statement with its prover's key. */
export const proveWith = (keys: ProverKeys) =>
  Effect.fn("ProverPool.prove")(function* (statement: ProofStatement) {
    return { type: "proofReady", ...(yield* signWith(keys, statement)) } satisfies ProofReady;
  });

/** The `proveTwice` actor (an equivocator): signs two statements of one node, the first as the proof, the second as its conflicting twin. */
export const proveTwiceWith = (keys: ProverKeys) =>
  Effect.fn("ProverPool.proveTwice")(function* (input: ProveTwiceInput) {
    const first = yield* signWith(keys, input.first);
    return { type: "proofReady", ...first, second: yield* signWith(keys, input.second) } satisfies ProofReady;
  });

/** The `warn` actor: a warning in the service's log (only live: a replay runs no action). Its answer is not a machine event. */
export const warnActor = (input: WarnInput) => Effect.logWarning(input.message).pipe(Effect.as({ type: "warned" } as const));

/**
 * A pool may run as several processes, each with some of the network's provers (a shard): it
 * then has a name of its own (its event source and consumer group) and only those provers.
 */
export interface PoolShard {
  readonly name: string;
  readonly provers: readonly string[];
}

export const shardNetwork = (network: NetworkConfig, shard?: PoolShard): NetworkConfig =>
  shard === undefined ? network : { ...network, provers: network.provers.filter((p) => shard.provers.includes(p.id)) };

/** Proofs and receipts it reads back are its own only: one forged in its prover's name (another source) is not its work done. */
const ownWrites: ReadonlySet<string> = new Set(["ProofSubmitted", "PostReceipt"]);

export const definition = (network: NetworkConfig, shard?: PoolShard): ServiceDefinition<typeof machine> => {
  const keys = proverKeys(network);
  return {
    name: shard?.name ?? SERVICE_NAME,
    machine,
    input: { network: shardNetwork(network, shard) },
    inputs: INPUT_TOPICS,
    accepts: (event) => foldedTypes.has(event.type) && (!ownWrites.has(event.type) || event.source === (shard?.name ?? SERVICE_NAME)),
    actors: { prove: proveWith(keys), proveTwice: proveTwiceWith(keys), warn: warnActor },
  };
};

/** Runs the prover pool until its scope closes; initial faults of the network config it cannot apply are logged as warnings. */
export const runProverPool = (network: NetworkConfig, options?: HostOptions, shard?: PoolShard) =>
  Effect.gen(function* () {
    for (const problem of initialFaultProblems(shardNetwork(network, shard))) {
      yield* Effect.logWarning(`${problem}: ignored`).pipe(Effect.annotateLogs({ service: shard?.name ?? SERVICE_NAME }));
    }
    return yield* runService(definition(network, shard), options);
  });
