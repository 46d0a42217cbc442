import { Data } from "effect";

/** A command line the CLI cannot act on: reported in one line, exit code 2. */
export class UsageError extends Data.TaggedError("UsageError")<{ readonly message: string }> {}

export interface FlagSpec {
  /** "string" takes a value, "boolean" does not. */
  readonly [flag: string]: "string" | "boolean";
}

export interface ParsedArgs {
  readonly positionals: readonly string[];
  readonly flags: Readonly<Record<string, string | true>>;
  /** Everything after a bare `--`, passed through untouched. */
  readonly rest: readonly string[];
}

/** Parses `--flag value`, `--flag=value` and boolean `--flag`; unknown flags are a UsageError. */
export const parseArgs = (argv: readonly string[], spec: FlagSpec): ParsedArgs | UsageError => {
  const positionals: string[] = [];
  const flags: Record<string, string | true> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") return { positionals, flags, rest: argv.slice(i + 1) };
    if (!arg.startsWith("--")) {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    const kind = spec[name];
    if (kind === undefined) return new UsageError({ message: `unknown flag --${name}` });
    if (kind === "boolean") {
      if (eq !== -1) return new UsageError({ message: `--${name} takes no value` });
      flags[name] = true;
      continue;
    }
    const value = eq === -1 ? argv[++i] : arg.slice(eq + 1);
    if (value === undefined || value === "" || (eq === -1 && value.startsWith("--"))) {
      return new UsageError({ message: `--${name} needs a value` });
    }
    flags[name] = value;
  }
  return { positionals, flags, rest: [] };
};

/** A whole number in [min, max] from a flag, or a UsageError naming the flag. */
export const intFlag = (
  flags: ParsedArgs["flags"],
  name: string,
  fallback: number,
  min: number,
  max: number,
): number | UsageError => {
  const raw = flags[name];
  if (raw === undefined) return fallback;
  const value = typeof raw === "string" && /^-?\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    return new UsageError({ message: `--${name} must be a whole number from ${min} to ${max}, got ${String(raw)}` });
  }
  return value;
};

/** One of the allowed values of a flag, or a UsageError. */
export const choiceFlag = <A extends string>(
  flags: ParsedArgs["flags"],
  name: string,
  allowed: readonly A[],
  fallback: A,
): A | UsageError => {
  const raw = flags[name];
  if (raw === undefined) return fallback;
  return (allowed as readonly unknown[]).includes(raw)
    ? (raw as A)
    : new UsageError({ message: `--${name} must be one of ${allowed.join(", ")}, got ${String(raw)}` });
};
