import { describe, expect, it } from "@effect/vitest";
import { Cause, ConfigError, ConfigProvider, Data, Effect, Either, Exit, FiberId, Option } from "effect";
import { encodeNetwork, makeNetwork } from "@zk-testnet/network";
import { processConfig, processExitCode, serviceProcessProgram } from "./process.ts";

const network = Either.getOrThrow(makeNetwork({ seed: "process-config", genesisMs: 0, slots: 2, provers: 2 }));

const read = (env: Record<string, string>) =>
  processConfig.pipe(Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env)))), Effect.either);

const messageOf = <A>(result: Either.Either<A, { readonly message: string }>): string | undefined =>
  Either.match(result, { onLeft: (error) => error.message, onRight: () => undefined });

describe("processConfig", () => {
  it.effect("takes the network from ZKT_NETWORK and defaults the rest", () =>
    Effect.gen(function* () {
      const config = yield* read({ ZKT_NETWORK: encodeNetwork(network) });
      expect(Either.map(config, (c) => ({ brokers: c.brokers, logFormat: c.logFormat, logFile: c.logFile, seed: c.network.seed }))).toEqual(
        Either.right({ brokers: ["127.0.0.1:9092"], logFormat: "json", logFile: undefined, seed: network.seed }),
      );
    }),
  );

  it.effect("reads brokers, log format and log file", () =>
    Effect.gen(function* () {
      const config = yield* read({ ZKT_NETWORK: encodeNetwork(network), ZKT_BROKERS: " a:1, b:19092 ,", ZKT_LOG_FORMAT: "pretty", ZKT_LOG_FILE: "x.log" });
      expect(Either.map(config, (c) => ({ brokers: c.brokers, logFormat: c.logFormat, logFile: c.logFile }))).toEqual(
        Either.right({ brokers: ["a:1", "b:19092"], logFormat: "pretty", logFile: "x.log" }),
      );
    }),
  );

  it.effect("refuses malformed brokers and log format with a ConfigError that says why", () =>
    Effect.gen(function* () {
      const bad = yield* read({ ZKT_NETWORK: encodeNetwork(network), ZKT_BROKERS: "no-port" });
      const error = Either.getLeft(bad).pipe(Option.filter(ConfigError.isConfigError), Option.filter(ConfigError.isInvalidData));
      expect(Option.map(error, (e) => e.path)).toEqual(Option.some(["ZKT_BROKERS"]));
      expect(messageOf(bad)).toBe('"no-port" is not host:port');
      expect(messageOf(yield* read({ ZKT_NETWORK: encodeNetwork(network), ZKT_BROKERS: " , " }))).toBe("needs at least one host:port");
      expect(messageOf(yield* read({ ZKT_NETWORK: encodeNetwork(network), ZKT_LOG_FORMAT: "xml" }))).toMatch(/json, pretty/);
    }),
  );

  it.effect("refuses a missing network", () =>
    Effect.gen(function* () {
      expect(messageOf(yield* read({}))).toBe("ZKT_NETWORK is not set");
    }),
  );
});

class Broken extends Data.TaggedError("Broken")<{ readonly message: string }> {}

describe("processExitCode", () => {
  const codeOf = (exit: Exit.Exit<unknown, unknown>) => {
    const lines: string[] = [];
    return { code: processExitCode("svc", exit, (line) => lines.push(line)), lines };
  };

  it.effect("exits 2 with one line on a bad configuration", () =>
    Effect.gen(function* () {
      const exit = yield* Effect.exit(
        serviceProcessProgram({ name: "svc", config: Effect.fail(new Broken({ message: "ZKT_NETWORK is not set\nmore" })), run: () => Effect.void }),
      );
      expect(codeOf(exit)).toEqual({ code: 2, lines: ["svc: bad configuration: ZKT_NETWORK is not set"] });
    }),
  );

  it("exits 1 with one line on another failure, 0 when interrupted or done", () => {
    expect(codeOf(Exit.fail(new Broken({ message: "no broker\nat ..." })))).toEqual({ code: 1, lines: ["svc: Broken: no broker"] });
    expect(codeOf(Exit.interrupt(FiberId.none)).code).toBe(0);
    expect(codeOf(Exit.void)).toEqual({ code: 0, lines: [] });
    expect(codeOf(Exit.failCause(Cause.die(new Error("boom"))))).toMatchObject({ code: 1, lines: [expect.stringMatching(/^svc: unexpected failure\n/)] });
  });
});
