// The process entry every service shares in `--mode kafka`: its configuration from the
// environment, the event log on Kafka, logs through pino, exit codes; runs until SIGINT/SIGTERM.
import { NodeRuntime } from "@effect/platform-node";
import { Cause, Config, ConfigError, Data, Effect, Either, Exit, Option, type Scope } from "effect";
import { EventLog, followDeliveryFaults, KafkaEventLog, parseBrokerRoutes, protocolTopicSpecs, withDeliveryFaults } from "@zk-testnet/event-log";
import { makeRng } from "@zk-testnet/mechanisms";
import { makePino, PinoLogging, type LogFormat } from "@zk-testnet/logging";
import { networkFromEnv, type InvalidNetworkConfig, type NetworkConfig } from "@zk-testnet/network";

/**
 * The configuration every service process reads:
 *
 * | field | env | description | default |
 * |---|---|---|---|
 * | network | ZKT_NETWORK | the testnet's network as JSON (`encodeNetwork`, written by `testnet up`) | none: required |
 * | brokers | ZKT_BROKERS | Kafka bootstrap brokers, comma-separated host:port | 127.0.0.1:9092 |
 * | logFormat | ZKT_LOG_FORMAT | `json` (one JSON object a line) or `pretty` (pino-pretty) | json |
 * | logFile | ZKT_LOG_FILE | file the logs are appended to | standard output |
 * | brokerRoutes | ZKT_BROKER_ROUTES | where this process really connects for a broker address, `host:port=host:port,...` (its own proxies) | none |
 * | deliveryFaults | ZKT_DELIVERY_FAULTS | `true`: the process's consumers suffer the delivery faults (`duplicate`, `reorder`, `delay`) recorded on `testnet.faults` | false |
 */
export interface ProcessConfig {
  readonly network: NetworkConfig;
  readonly brokers: readonly string[];
  readonly brokerRoutes: ReadonlyMap<string, string>;
  readonly logFormat: LogFormat;
  readonly logFile: string | undefined;
  readonly deliveryFaults: boolean;
}

export const DEFAULT_BROKERS = "127.0.0.1:9092";

export const brokersConfig: Config.Config<readonly string[]> = Config.string("ZKT_BROKERS").pipe(
  Config.withDescription("Kafka bootstrap brokers, comma-separated host:port"),
  Config.withDefault(DEFAULT_BROKERS),
  Config.mapOrFail((text) => {
    const brokers = text.split(",").map((b) => b.trim()).filter((b) => b.length > 0);
    const bad = brokers.find((b) => !/^[^\s:]+:\d{1,5}$/.test(b));
    if (brokers.length === 0) return Either.left(ConfigError.InvalidData(["ZKT_BROKERS"], "needs at least one host:port"));
    if (bad !== undefined) return Either.left(ConfigError.InvalidData(["ZKT_BROKERS"], `${JSON.stringify(bad)} is not host:port`));
    return Either.right(brokers);
  }),
);

export const logFormatConfig: Config.Config<LogFormat> = Config.literal("json", "pretty")("ZKT_LOG_FORMAT").pipe(
  Config.withDescription("Log format: json (one JSON object a line) or pretty (pino-pretty)"),
  Config.withDefault("json" as const),
);

export const logFileConfig: Config.Config<string | undefined> = Config.option(
  Config.nonEmptyString("ZKT_LOG_FILE").pipe(Config.withDescription("File the logs are appended to (default: standard output)")),
).pipe(Config.map(Option.getOrUndefined));

export const brokerRoutesConfig: Config.Config<ReadonlyMap<string, string>> = Config.string("ZKT_BROKER_ROUTES").pipe(
  Config.withDescription("Where this process connects for a broker address: host:port=host:port, comma-separated (a proxy of its own)"),
  Config.withDefault(""),
  Config.mapOrFail((text) => {
    const routes = parseBrokerRoutes(text);
    return typeof routes === "string" ? Either.left(ConfigError.InvalidData(["ZKT_BROKER_ROUTES"], routes)) : Either.right(routes);
  }),
);

export const deliveryFaultsConfig: Config.Config<boolean> = Config.boolean("ZKT_DELIVERY_FAULTS").pipe(
  Config.withDescription("Whether this process's consumers suffer the delivery faults recorded on testnet.faults (duplicate, reorder, delay)"),
  Config.withDefault(false),
);

/** Reads the shared configuration from the environment (through Effect's ConfigProvider). */
export const processConfig: Effect.Effect<ProcessConfig, ConfigError.ConfigError | InvalidNetworkConfig> = Effect.all({
  network: networkFromEnv,
  brokers: brokersConfig,
  brokerRoutes: brokerRoutesConfig,
  logFormat: logFormatConfig,
  logFile: logFileConfig,
  deliveryFaults: deliveryFaultsConfig,
});

/** A service process: what `runServiceProcess` needs to know of it. */
export interface ServiceProcess<C extends ProcessConfig, E> {
  /** The service's name: its logger's, the prefix of what it prints, and its Kafka client id unless `clientId` says otherwise. */
  readonly name: string;
  /** Its whole configuration: any failure is a bad configuration. */
  readonly config: Effect.Effect<C, { readonly message: string }>;
  readonly clientId?: (config: C) => string;
  /** Starts the service in the scope; the process then runs until it is stopped. */
  readonly run: (config: C) => Effect.Effect<unknown, E, EventLog | Scope.Scope>;
}

class BadConfig extends Data.TaggedError("BadConfig")<{ readonly message: string }> {}

const firstLine = (text: string): string => text.split("\n")[0] ?? text;

/** A bad configuration exits 2 with one line, any other failure 1 with one line; a signal stops it cleanly. */
export const processExitCode = (name: string, exit: Exit.Exit<unknown, unknown>, print: (line: string) => void = console.error): number => {
  if (Exit.isSuccess(exit) || Cause.isInterruptedOnly(exit.cause)) return 0;
  const failure = Cause.failureOption(exit.cause);
  if (Option.isNone(failure)) {
    print(`${name}: unexpected failure\n${Cause.pretty(exit.cause)}`);
    return 1;
  }
  const error = failure.value as { readonly _tag?: string; readonly message?: string };
  const message = firstLine(error.message ?? String(error));
  if (error._tag === "BadConfig") {
    print(`${name}: bad configuration: ${message}`);
    return 2;
  }
  print(`${name}: ${error._tag ?? "error"}: ${message}`);
  return 1;
};

/** The program of a service process, without the runtime: read the configuration, then serve until interrupted. */
export const serviceProcessProgram = <C extends ProcessConfig, E>(service: ServiceProcess<C, E>) =>
  Effect.gen(function* () {
    const config = yield* service.config.pipe(Effect.mapError((error) => new BadConfig({ message: firstLine(error.message) })));
    const root = makePino({ format: config.logFormat, ...(config.logFile !== undefined ? { file: config.logFile } : {}) });
    const clientId = service.clientId?.(config) ?? service.name;
    const serve = Effect.gen(function* () {
      const log = yield* EventLog;
      // Topics are created by `testnet up`; creating the missing ones here lets the process start first.
      yield* log.createTopics(protocolTopicSpecs);
      if (!config.deliveryFaults) yield* service.run(config);
      else {
        // The service reads through the faults; the follower that switches them reads the log as it is.
        const faulty = yield* withDeliveryFaults(log, { random: makeRng(config.network.seed).fork("delivery-faults").fork(clientId) });
        yield* followDeliveryFaults(log, faulty.control, `${clientId}.delivery-faults`);
        yield* service.run(config).pipe(Effect.provideService(EventLog, faulty.log));
      }
      return yield* Effect.never;
    });
    return yield* Effect.scoped(serve).pipe(
      Effect.provide(KafkaEventLog.layer({ brokers: config.brokers, routes: config.brokerRoutes, clientId })),
      // A failure (no broker within the connect budget, say) reaches the log file too.
      Effect.tapErrorCause((cause) => Effect.logFatal("stopped", cause)),
      Effect.provide(PinoLogging.layer(root, service.name)),
    );
  });

/** Runs a service as this Node process, exiting with `processExitCode`. */
export const runServiceProcess = <C extends ProcessConfig, E>(service: ServiceProcess<C, E>): void =>
  serviceProcessProgram(service).pipe(
    NodeRuntime.runMain({ disableErrorReporting: true, disablePrettyLogger: true, teardown: (exit, onExit) => onExit(processExitCode(service.name, exit)) }),
  );
