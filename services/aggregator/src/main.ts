#!/usr/bin/env node
// The aggregator process (`--mode kafka`): configuration from the environment (see config.ts),
// the event log on Kafka, logs through pino; runs until SIGINT/SIGTERM.
import { NodeRuntime } from "@effect/platform-node";
import { Cause, Data, Effect, Exit, Option } from "effect";
import { EventLog, KafkaEventLog, protocolTopicSpecs } from "@zk-testnet/event-log";
import { makePino, PinoLogging } from "@zk-testnet/logging";
import { aggregatorConfig } from "./config.ts";
import { runAggregator, SERVICE_NAME } from "./service.ts";

class BadConfig extends Data.TaggedError("BadConfig")<{ readonly message: string }> {}

const firstLine = (text: string): string => text.split("\n")[0] ?? text;

const program = Effect.gen(function* () {
  const config = yield* aggregatorConfig.pipe(Effect.mapError((error) => new BadConfig({ message: firstLine(error.message ?? String(error)) })));
  const root = makePino({ format: config.logFormat, ...(config.logFile !== undefined ? { file: config.logFile } : {}) });
  const serve = Effect.gen(function* () {
    // Topics are created by `testnet up`; creating the missing ones here lets the process start first.
    yield* (yield* EventLog).createTopics(protocolTopicSpecs);
    yield* runAggregator(config.network);
    return yield* Effect.never;
  });
  return yield* Effect.scoped(serve).pipe(
    Effect.provide(KafkaEventLog.layer({ brokers: config.brokers, clientId: SERVICE_NAME })),
    Effect.provide(PinoLogging.layer(root, SERVICE_NAME)),
  );
});

/** A bad configuration exits 2 with one line; any other failure exits 1. */
const exitCodeOf = (exit: Exit.Exit<unknown, unknown>): number => {
  if (Exit.isSuccess(exit)) return 0;
  const failure = Cause.failureOption(exit.cause);
  if (Option.isSome(failure)) {
    const error = failure.value as { readonly _tag?: string; readonly message?: string };
    console.error(`${SERVICE_NAME}: ${error._tag === "BadConfig" ? "bad configuration" : (error._tag ?? "error")}: ${error.message ?? String(error)}`);
    return error._tag === "BadConfig" ? 2 : 1;
  }
  if (Cause.isInterruptedOnly(exit.cause)) return 0;
  console.error(`${SERVICE_NAME}: unexpected failure\n${Cause.pretty(exit.cause)}`);
  return 1;
};

program.pipe(NodeRuntime.runMain({ disableErrorReporting: true, teardown: (exit, onExit) => onExit(exitCodeOf(exit)) }));
