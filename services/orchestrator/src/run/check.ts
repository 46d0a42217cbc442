import { Console, Effect, Either } from "effect";
import { replayState, type ServiceDefinition, type ServiceHandle } from "@zk-testnet/actors";
import { EventLog } from "@zk-testnet/event-log";
import type { NetworkConfig } from "@zk-testnet/network";
import { checkJsonl, formatMetrics, formatReport, readJsonl, runMetrics, type InvariantReport } from "@zk-testnet/testkit";
import type { AnyStateMachine } from "xstate";
import { definition as aggregator } from "@zk-testnet/aggregator";
import { definition as l1Settlement } from "@zk-testnet/l1-settlement";
import { definition as proverPool } from "@zk-testnet/prover-pool";
import { definition as sequencer } from "@zk-testnet/sequencer";
import { definition as vrfBeacon } from "@zk-testnet/vrf-beacon";

/** The five service definitions of a network, for replaying their states from a log. */
export const serviceDefinitions = (network: NetworkConfig): readonly ServiceDefinition<AnyStateMachine>[] =>
  [sequencer, vrfBeacon, proverPool, aggregator, l1Settlement].map((def) => def(network) as unknown as ServiceDefinition<AnyStateMachine>);

/** Each running service's state hash next to the one a replay of the log gives (invariant 6). */
export const replayHashes = (network: NetworkConfig, handles: readonly ServiceHandle<AnyStateMachine>[]) =>
  Effect.gen(function* () {
    const out: { service: string; live: string; replayed: string }[] = [];
    for (const def of serviceDefinitions(network)) {
      const handle = handles.find((h) => h.name === def.name);
      if (handle === undefined) continue;
      yield* handle.idle;
      out.push({ service: def.name, live: yield* handle.stateHash, replayed: (yield* replayState(def)).stateHash });
    }
    return out;
  });

/**
 * Checks the six invariants of the protocol on the whole log (and the replay of every service
 * where the hashes are given), prints the report and the run's metrics, and returns the report.
 */
export const checkRun = (network: NetworkConfig, replayed?: readonly { service: string; live: string; replayed: string }[]) =>
  Effect.gen(function* () {
    const log = yield* EventLog;
    const jsonl = yield* log.exportJsonl();
    const checked = checkJsonl(jsonl, network, replayed === undefined ? {} : { replayCheck: () => replayed });
    if (Either.isLeft(checked)) return yield* Effect.die(checked.left);
    const run = readJsonl(jsonl);
    if (Either.isRight(run)) yield* Console.log(`\n${formatMetrics(runMetrics(run.right.events, network))}`);
    yield* Console.log(`\n${formatReport(checked.right)}`);
    return checked.right satisfies InvariantReport;
  });
