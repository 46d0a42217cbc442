import { existsSync, readFileSync } from "node:fs";
import { Console, Effect, Either, Layer } from "effect";
import { replayState, type ServiceDefinition } from "@zk-testnet/actors";
import type { AnyStateMachine } from "xstate";
import { EmbeddedEventLog, EventLog, protocolCodec, protocolTopicSpecs } from "@zk-testnet/event-log";
import { decodeNetwork, type NetworkConfig } from "@zk-testnet/network";
import { definition as aggregator } from "@zk-testnet/aggregator";
import { definition as l1Settlement } from "@zk-testnet/l1-settlement";
import { definition as proverPool } from "@zk-testnet/prover-pool";
import { definition as sequencer } from "@zk-testnet/sequencer";
import { definition as vrfBeacon } from "@zk-testnet/vrf-beacon";
import { UsageError, parseArgs } from "../args.ts";
import { MONITORED_TOPICS } from "../run/monitor.ts";
import { emptyReport, formatLedger, observe, summarize } from "../run/report.ts";

/** The network file written beside a `--log-out` log. */
export const networkFileOf = (logFile: string): string => logFile.replace(/\.jsonl$/, "") + ".network.json";

/**
 * `testnet replay FILE.jsonl [--network FILE]`: rebuilds every service's state from the log
 * alone and prints each state's hash and the ledger totals.
 */
export const replayCommand = (argv: readonly string[]) =>
  Effect.gen(function* () {
    const parsed = parseArgs(argv, { network: "string" });
    if (parsed instanceof UsageError) return yield* parsed;
    const [file, ...extra] = parsed.positionals;
    if (file === undefined || extra.length > 0) return yield* new UsageError({ message: "usage: testnet replay FILE.jsonl [--network FILE]" });
    if (!existsSync(file)) return yield* new UsageError({ message: `no such file: ${file}` });
    const networkFile = typeof parsed.flags["network"] === "string" ? parsed.flags["network"] : networkFileOf(file);
    if (!existsSync(networkFile)) return yield* new UsageError({ message: `no network file ${networkFile} (pass --network FILE)` });
    const network = decodeNetwork(readFileSync(networkFile, "utf8"));
    if (Either.isLeft(network)) return yield* new UsageError({ message: network.left.message });

    const result = yield* replayLog(readFileSync(file, "utf8"), network.right).pipe(
      Effect.catchTag("BadExport", (e) => Effect.fail(new UsageError({ message: `${file}:${e.line}: ${e.message}` }))),
    );
    yield* Console.log(`${result.records} records from ${file}`);
    for (const s of result.services) yield* Console.log(`${s.name.padEnd(14)} ${s.stateHash}  (${s.events} events)`);
    yield* Console.log(`blocks: ${result.summary.proposed} proposed, ${result.summary.finalized} finalized`);
    yield* Console.log(formatLedger(result.summary.ledger));
  });

/** Every service's state rebuilt from a JSONL log, and the run's summary as the log tells it. */
export const replayLog = (jsonl: string, network: NetworkConfig) =>
    Effect.gen(function* () {
      const log = yield* EventLog;
      // Every topic of the catalogue, also those the run left empty (an export holds only records).
      yield* log.createTopics(protocolTopicSpecs);
      const records = yield* log.importJsonl(jsonl);
      const services = [];
      const definitions: readonly ServiceDefinition<AnyStateMachine>[] = [sequencer, vrfBeacon, proverPool, aggregator, l1Settlement].map(
        (def) => def(network) as unknown as ServiceDefinition<AnyStateMachine>,
      );
      for (const d of definitions) {
        const state = yield* replayState(d);
        services.push({ name: d.name, stateHash: state.stateHash, events: state.events });
      }
      const report = emptyReport();
      const events = [];
      for (const topic of MONITORED_TOPICS) {
        for (const r of yield* log.read(topic).pipe(Effect.orElseSucceed(() => []))) {
          const d = protocolCodec.decode(r.value);
          if (d._tag === "Right") events.push(d.right);
        }
      }
      events.sort((a, b) => a.time - b.time);
      for (const e of events) observe(report, e);
      return { records, services, summary: summarize(report) };
    }).pipe(Effect.provide(Layer.fresh(EmbeddedEventLog.layer())));
