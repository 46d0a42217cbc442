import { Cause, HashMap, Layer, List, Logger, LogLevel } from "effect";
import { pino, type Logger as Pino, type LevelWithSilent } from "pino";
import pretty from "pino-pretty";

export type LogFormat = "json" | "pretty";

export interface LogOptions {
  readonly level?: LevelWithSilent;
  readonly format?: LogFormat;
  /** A file to append to; standard output when absent. */
  readonly file?: string;
}

/** The root pino logger of a process: JSON lines by default, pino-pretty for people. */
export const makePino = (options: LogOptions = {}): Pino => {
  const level = options.level ?? "info";
  const base = { level, base: null, timestamp: pino.stdTimeFunctions.isoTime };
  if (options.format === "pretty") {
    return pino(base, pretty({ colorize: options.file === undefined, destination: options.file ?? 1, sync: true, ignore: "pid,hostname" }));
  }
  return pino(base, pino.destination({ dest: options.file ?? 1, sync: true, mkdir: true }));
};

const levelOf = (level: LogLevel.LogLevel): "trace" | "debug" | "info" | "warn" | "error" | "fatal" => {
  switch (level._tag) {
    case "All":
    case "Trace":
      return "trace";
    case "Debug":
      return "debug";
    case "Info":
      return "info";
    case "Warning":
      return "warn";
    case "Error":
      return "error";
    case "Fatal":
    case "None":
      return "fatal";
  }
};

/**
 * An Effect logger that writes to a pino child of `root` named by `service`. Annotations
 * (block, slot, node, prover, module...) become fields; spans become `spans`.
 */
export const pinoLogger = (root: Pino, service: string): Logger.Logger<unknown, void> => {
  // One child per service: a `service` annotation (set by the service host) picks it.
  const children = new Map<string, Pino>();
  const childOf = (name: string): Pino => {
    let child = children.get(name);
    if (child === undefined) children.set(name, (child = root.child({ service: name })));
    return child;
  };
  return Logger.make(({ logLevel, message, annotations, spans, cause }) => {
    const fields: Record<string, unknown> = {};
    let name = service;
    for (const [key, value] of HashMap.toEntries(annotations)) {
      if (key === "service" && typeof value === "string") name = value;
      else fields[key] = typeof value === "bigint" ? value.toString() : value;
    }
    const child = childOf(name);
    const spanNames = List.toArray(spans).map((s) => s.label);
    if (spanNames.length > 0) fields["spans"] = spanNames;
    if (!Cause.isEmpty(cause)) fields["cause"] = Cause.pretty(cause);
    const text = Array.isArray(message) ? message.map(String).join(" ") : String(message);
    child[levelOf(logLevel)](fields, text);
  });
};

/** Replaces Effect's default logger with pino for everything run under this layer. */
export const PinoLogging = {
  layer: (root: Pino, service: string): Layer.Layer<never> => Logger.replace(Logger.defaultLogger, pinoLogger(root, service)),
};
