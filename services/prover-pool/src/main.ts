#!/usr/bin/env node
// The prover pool process (`--mode kafka`): configuration from the environment (see config.ts),
// the event log on Kafka, logs through pino; runs until SIGINT/SIGTERM.
import { NodeRuntime } from "@effect/platform-node";
import { Cause, Effect, Exit, Option } from "effect";
import { EventLog, KafkaEventLog, protocolTopicSpecs } from "@zk-testnet/event-log";
import { makePino, PinoLogging } from "@zk-testnet/logging";
import { loadConfig, type ProverPoolConfig } from "./config.ts";
import { runProverPool, SERVICE_NAME } from "./service.ts";

const serve = (config: ProverPoolConfig) =>
  Effect.gen(function* () {
    // Topics are created by `testnet up`; creating the missing ones here lets the process start first.
    yield* (yield* EventLog).createTopics(protocolTopicSpecs);
    yield* runProverPool(config.network, undefined, config.shard);
    return yield* Effect.never;
  }).pipe(
    Effect.scoped,
    Effect.provide(KafkaEventLog.layer({ brokers: config.brokers, clientId: config.shard?.name ?? SERVICE_NAME })),
    // A failure (no broker within the connect budget, say) reaches the log file too.
    Effect.tapErrorCause((cause) => Effect.logFatal("stopped", cause)),
    Effect.provide(PinoLogging.layer(makePino({ format: config.logFormat, ...(config.logFile === undefined ? {} : { file: config.logFile }) }), SERVICE_NAME)),
  );

/** A bad configuration exits 2 with one line, any other failure 1 with one line; a signal stops it cleanly. */
const exitCodeOf = (exit: Exit.Exit<unknown, unknown>): number => {
  if (Exit.isSuccess(exit) || Cause.isInterruptedOnly(exit.cause)) return 0;
  const failure = Cause.failureOption(exit.cause);
  if (Option.isNone(failure)) {
    process.stderr.write(`${SERVICE_NAME}: unexpected failure\n${Cause.pretty(exit.cause)}\n`);
    return 1;
  }
  const error = failure.value as { readonly _tag?: string; readonly message?: string };
  if (error._tag === "InvalidConfig") {
    process.stderr.write(`${SERVICE_NAME}: ${error.message}\n`);
    return 2;
  }
  process.stderr.write(`${SERVICE_NAME}: ${error._tag ?? "error"}: ${(error.message ?? String(error)).split("\n")[0]}\n`);
  return 1;
};

loadConfig.pipe(
  Effect.flatMap(serve),
  NodeRuntime.runMain({ disableErrorReporting: true, disablePrettyLogger: true, teardown: (exit, onExit) => onExit(exitCodeOf(exit)) }),
);
