#!/usr/bin/env node
import type { CommandExecutor } from "@effect/platform/CommandExecutor";
import { NodeContext, NodeRuntime } from "@effect/platform-node";
import { Cause, Console, Effect, Exit, Option } from "effect";
import { UsageError } from "./args.ts";
import { infraCommand } from "./commands/infra.ts";
import { testCommand } from "./commands/test.ts";
import { replayCommand } from "./commands/replay.ts";
import { scenarioCommand } from "./commands/scenario.ts";
import { upCommand } from "./commands/up.ts";

const USAGE = `usage: testnet <command>

  up [--mode embedded|kafka|containers|sim] [--sim] [--slots N] [--provers N] [--txs T] [--seed S] [--slot-ms MS]
     [--log-out FILE.jsonl] [--log-format json|pretty] [--brokers host:port,...] [--faults SPEC]
                                 run a testnet until its blocks are finalized; prints progress and a summary
                                 (sim: the whole network under a virtual clock, no real time)
  scenario list                  the scenarios of e2e/scenarios: name, modes, description
  scenario run <name|file|all>... [--mode sim|embedded|kafka|containers] [--seed S] [--seeds N]
     [--report-dir DIR] [--jobs N] [--brokers host:port,...]
                                 run scenarios over seeds (sim: each scenario's, 20 by default; other
                                 modes: seed 1), check invariants and expectations; writes JUnit XML
                                 and JSON reports (default reports/scenarios); exit 1 if any fails
  replay FILE.jsonl [--network FILE]
                                 rebuild every service's state from a log; print state hashes and ledger totals
  test [--tier all|unit|int|e2e] [--no-lint] [-- vitest args]
                                 run lint, typecheck and every test; ends with "N passed, N failed"
  infra up [--nodes 1|3]         start Kafka broker(s) in the background; last line bootstrap=...
  infra down                     stop what "infra up" started
  infra status                   show the brokers "infra up" started
  help                           this text`;

const dispatch = (argv: readonly string[]): Effect.Effect<void, unknown, CommandExecutor> => {
  const [command, ...rest] = argv;
  switch (command) {
    case "up":
      return upCommand(rest);
    case "test":
      return testCommand(rest);
    case "infra":
      return infraCommand(rest);
    case "replay":
      return replayCommand(rest);
    case "scenario":
      return scenarioCommand(rest);
    case "help":
    case "--help":
    case "-h":
      return Console.log(USAGE);
    case undefined:
      return Effect.fail(new UsageError({ message: "no command given (try: testnet help)" }));
    default:
      return Effect.fail(new UsageError({ message: `unknown command ${command} (try: testnet help)` }));
  }
};

/** Usage errors exit 2, failures exit 1, both with one line and no stack trace. */
const exitCodeOf = (exit: Exit.Exit<unknown, unknown>): number => {
  if (Exit.isSuccess(exit)) return 0;
  const failure = Cause.failureOption(exit.cause);
  if (Option.isSome(failure)) {
    const error = failure.value as { _tag?: string; message?: string; logTail?: string; logFile?: string };
    if (error._tag === "UsageError") {
      console.error(`testnet: ${error.message}`);
      return 2;
    }
    if (error._tag !== "TestsFailed") console.error(`testnet: ${error._tag ?? "error"}: ${error.message ?? String(error)}`);
    if (error.logTail) console.error(error.logTail);
    if (error.logFile) console.error(`(full log: ${error.logFile})`);
    return 1;
  }
  if (Cause.isInterruptedOnly(exit.cause)) return 130;
  console.error(`testnet: unexpected failure\n${Cause.pretty(exit.cause)}`);
  return 1;
};

dispatch(process.argv.slice(2)).pipe(
  Effect.provide(NodeContext.layer),
  NodeRuntime.runMain({
    disableErrorReporting: true,
    teardown: (exit, onExit) => onExit(exitCodeOf(exit)),
  }),
);
