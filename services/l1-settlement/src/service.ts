import { Effect } from "effect";
import { runService, type HostOptions, type ServiceDefinition } from "@zk-testnet/actors";
import type { NetworkConfig } from "@zk-testnet/network";
import { isFolded, machine, type RootRejection } from "./machine.ts";

export { checkLedger, type Ledger } from "./ledger.ts";

export const SERVICE_NAME = "l1-settlement";

/**
 * The topics the L1 folds. A replay orders its inputs by time, then by this order, so for
 * events of the same millisecond it puts the cause before what follows from it: a block
 * before the aggregator's statements about its tree (assignments, misses, takeovers,
 * verdicts), those before the transactions that follow them (receipts, the root, uncle
 * claims), and its own BlockReorgedOut, read back from l1.events, last (anything of the same
 * millisecond was handled before the window timer's decision was written).
 */
export const INPUT_TOPICS = ["l2.blocks", "proving.assignments", "l1.transactions", "l1.events"] as const;

/** The `reportRejection` actor: a refused SubmitRoot is logged once, when it happens (never while replaying). */
export const reportRejection = Effect.fn("L1Settlement.reportRejection")(function* (rejection: RootRejection) {
  yield* Effect.logWarning("root refused").pipe(
    Effect.annotateLogs({
      block: rejection.block,
      reason: rejection.reason,
      proofHash: rejection.proofHash,
      transaction: rejection.txId,
      ...(rejection.level === null ? {} : { node: `${rejection.block}/${rejection.level}/${rejection.index}` }),
      ...(rejection.prover === null ? {} : { prover: rejection.prover }),
    }),
  );
  return { type: "rejectionReported" } as const;
});

export const definition = (network: NetworkConfig): ServiceDefinition<typeof machine> => ({
  name: SERVICE_NAME,
  machine,
  input: { network },
  inputs: INPUT_TOPICS,
  accepts: isFolded,
  actors: { reportRejection },
});

/** Runs the mock L1 until its scope closes. */
export const runL1Settlement = (network: NetworkConfig, options?: HostOptions) => runService(definition(network), options);
