import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Effect } from "effect";
import type { AnyStateMachine, SnapshotFrom } from "xstate";
import { canonicalJson, parseCanonicalJson } from "./json.ts";

/** A saved machine state and the ids of the events folded into it. */
export interface StoredSnapshot {
  readonly state: { readonly value: unknown; readonly context: unknown };
  readonly seen: readonly string[];
}

export interface SnapshotStore {
  readonly load: (service: string) => Effect.Effect<StoredSnapshot | undefined>;
  readonly save: (service: string, snapshot: StoredSnapshot) => Effect.Effect<void>;
}

export const memorySnapshots = (): SnapshotStore => {
  const saved = new Map<string, string>();
  return {
    load: (service) => Effect.sync(() => {
      const text = saved.get(service);
      return text === undefined ? undefined : (parseCanonicalJson(text) as StoredSnapshot);
    }),
    save: (service, snapshot) => Effect.sync(() => void saved.set(service, canonicalJson(snapshot))),
  };
};

/** One JSON file per service, replaced atomically. */
export const fileSnapshots = (dir: string): SnapshotStore => ({
  load: (service) =>
    Effect.sync(() => {
      const file = join(dir, `${service}.snapshot.json`);
      return existsSync(file) ? (parseCanonicalJson(readFileSync(file, "utf8")) as StoredSnapshot) : undefined;
    }),
  save: (service, snapshot) =>
    Effect.sync(() => {
      mkdirSync(dir, { recursive: true });
      const file = join(dir, `${service}.snapshot.json`);
      writeFileSync(`${file}.tmp`, canonicalJson(snapshot));
      renameSync(`${file}.tmp`, file);
    }),
});

/** Revives a machine state from its stored value and context, without running anything. */
export const restoreState = <M extends AnyStateMachine>(machine: M, state: StoredSnapshot["state"]): SnapshotFrom<M> =>
  machine.resolveState({ value: state.value as never, context: state.context as never }) as SnapshotFrom<M>;
