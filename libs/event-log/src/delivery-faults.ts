import { Clock, Context, Duration, Effect, Either, Layer } from "effect";
import { dedupeOf, newStats, processRecord, snapshot } from "./consume.ts";
import type { EventCodec, LogRecord, SubscribeOptions, Subscription } from "./model.ts";
import { EventLog, type EventLogApi } from "./port.ts";

/**
 * Delivery faults: what an unreliable network or broker does to the records a subscriber
 * gets, switched per topic at run time. The log itself is untouched (appends, reads, replay
 * and exports see every record once, in order); only delivery to subscribers changes.
 *
 * - `duplicate`: every record is delivered twice in a row (the second copy must be dropped by
 *   the subscriber's dedupe on event id).
 * - `reorder`: records are held and delivered in a seeded shuffled order, once `window` of them
 *   are held or `holdMs` after the first of them (default 1: the next tick of the Clock),
 *   whichever comes first.
 * - `delay`: every record is delivered `ms` of Clock time after it reached the subscriber.
 *
 * Faults compose as delay, then reorder, then duplicate. Randomness comes only from the seeded
 * source given, time only from Effect's Clock, so a run under TestClock stays deterministic.
 */
export type DeliveryFault =
  | { readonly kind: "duplicate" }
  | { readonly kind: "reorder"; readonly window: number; readonly holdMs?: number }
  | { readonly kind: "delay"; readonly ms: number };

export type DeliveryFaultKind = DeliveryFault["kind"];

export const DELIVERY_FAULT_KINDS = ["duplicate", "reorder", "delay"] as const satisfies readonly DeliveryFaultKind[];

/** A seeded random stream (libs/mechanisms' `Rng` is one): `fork` gives an independent child stream. */
export interface SeededRandom {
  /** A uniform integer in [0, n). */
  readonly nextInt: (n: number) => number;
  readonly fork: (label: string) => SeededRandom;
}

export interface DeliveryFaultControl {
  /** Puts `fault` in force on `topic`; a later fault of the same kind takes over until it is healed. */
  readonly inject: (topic: string, fault: DeliveryFault) => Effect.Effect<void>;
  /** Lifts the oldest fault of `kind` in force on `topic` (as FaultHealed pairs with the first FaultInjected); records already held keep their schedule. */
  readonly heal: (topic: string, kind: DeliveryFaultKind) => Effect.Effect<void>;
  /** The fault of each kind in force, by topic. */
  readonly active: Effect.Effect<ReadonlyMap<string, readonly DeliveryFault[]>>;
}

export class DeliveryFaults extends Context.Tag("@zk-testnet/event-log/DeliveryFaults")<DeliveryFaults, DeliveryFaultControl>() {}

export interface DeliveryFaultOptions {
  /** Where reorder shuffles draw from; each subscription and topic forks its own stream. */
  readonly random: SeededRandom;
}

// The wrapped subscription reads raw records; decoding, DLQ and dedupe happen at delivery.
const rawCodec: EventCodec<string> = { decode: (value) => Either.right(value), idOf: () => "" };
const noDedupe = { has: () => false, add: () => undefined };

/** Fisher-Yates with the seeded stream. */
const shuffled = <A>(items: readonly A[], random: SeededRandom): A[] => {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = random.nextInt(i + 1);
    const picked = out[j] as A;
    out[j] = out[i] as A;
    out[i] = picked;
  }
  return out;
};

/**
 * Wraps an event log so that delivery to its subscribers suffers the faults switched on with
 * the returned control. With no fault in force a record is delivered as the inner log delivers
 * it. A held record counts as handled for its group's commit: a subscriber that stops while
 * records are held does not get them live again (a replay of the log still has them).
 */
export const withDeliveryFaults = (inner: EventLogApi, options: DeliveryFaultOptions): Effect.Effect<{ readonly log: EventLogApi; readonly control: DeliveryFaultControl }> =>
  Effect.sync(() => {
    const faults = new Map<string, DeliveryFault[]>();
    const current = <K extends DeliveryFaultKind>(topic: string, kind: K): Extract<DeliveryFault, { kind: K }> | undefined =>
      faults.get(topic)?.findLast((f): f is Extract<DeliveryFault, { kind: K }> => f.kind === kind);

    const control: DeliveryFaultControl = {
      inject: (topic, fault) => Effect.sync(() => void faults.set(topic, [...(faults.get(topic) ?? []), fault])),
      heal: (topic, kind) =>
        Effect.sync(() => {
          const list = faults.get(topic) ?? [];
          const i = list.findIndex((f) => f.kind === kind);
          if (i >= 0) faults.set(topic, list.filter((_, k) => k !== i));
        }),
      active: Effect.sync(() => {
        const out = new Map<string, DeliveryFault[]>();
        for (const topic of faults.keys()) {
          const kinds = DELIVERY_FAULT_KINDS.map((k) => current(topic, k)).filter((f) => f !== undefined);
          if (kinds.length > 0) out.set(topic, kinds);
        }
        return out;
      }),
    };

    const subscribe = <E, R>(opts: SubscribeOptions<E, R>) =>
      Effect.gen(function* () {
        const scope = yield* Effect.scope;
        const stats = newStats();
        const dedupe = dedupeOf(opts);
        // One delivery at a time per subscription, whether straight through or released later.
        const lock = yield* Effect.makeSemaphore(1);
        const streams = new Map<string, SeededRandom>();
        const streamOf = (topic: string) => {
          const known = streams.get(topic);
          if (known !== undefined) return known;
          const made = options.random.fork(`${opts.group}\n${topic}`);
          streams.set(topic, made);
          return made;
        };
        let closed = false;
        let seq = 0;
        /** Delayed records: delivered, in (due, arrival) order, once the Clock reaches `due`. */
        let delayed: { readonly record: LogRecord; readonly due: number; readonly seq: number }[] = [];
        /** Reorder windows per topic; `generation` tells a tick's flush which window it was armed for. */
        const windows = new Map<string, { records: LogRecord[]; generation: number }>();

        const deliver = (record: LogRecord): Effect.Effect<void, never, R> =>
          Effect.gen(function* () {
            if (closed) return;
            const twice = current(record.topic, "duplicate") !== undefined;
            yield* processRecord(opts, stats, dedupe, inner.append, record).pipe(Effect.orDie);
            if (twice) yield* processRecord(opts, stats, dedupe, inner.append, record).pipe(Effect.orDie);
          });

        const flush = (topic: string, generation?: number): Effect.Effect<void, never, R> =>
          Effect.gen(function* () {
            const window = windows.get(topic);
            if (window === undefined || window.records.length === 0 || (generation !== undefined && generation !== window.generation)) return;
            const batch = shuffled(window.records, streamOf(topic));
            windows.set(topic, { records: [], generation: window.generation + 1 });
            for (const record of batch) yield* deliver(record);
          });

        const afterDelay = (record: LogRecord): Effect.Effect<void, never, R> =>
          Effect.gen(function* () {
            const reorder = current(record.topic, "reorder");
            if (reorder === undefined) return yield* deliver(record);
            const window = windows.get(record.topic) ?? { records: [], generation: 0 };
            windows.set(record.topic, window);
            window.records.push(record);
            if (window.records.length >= Math.max(1, reorder.window)) return yield* flush(record.topic);
            if (window.records.length === 1) {
              // Released `holdMs` later at the latest; by default the Clock's next tick.
              const generation = window.generation;
              yield* Effect.forkIn(Effect.sleep(Duration.millis(Math.max(1, reorder.holdMs ?? 1))).pipe(Effect.zipRight(lock.withPermits(1)(flush(record.topic, generation)))), scope);
            }
          });

        const releaseDelayed: Effect.Effect<void, never, R> = Effect.gen(function* () {
          const now = yield* Clock.currentTimeMillis;
          const due = delayed.filter((d) => d.due <= now).sort((a, b) => a.due - b.due || a.seq - b.seq);
          delayed = delayed.filter((d) => d.due > now);
          for (const d of due) yield* afterDelay(d.record);
        });

        const arrive = (record: LogRecord) =>
          lock.withPermits(1)(
            Effect.gen(function* () {
              const delay = current(record.topic, "delay");
              if (delay === undefined) return yield* afterDelay(record);
              const now = yield* Clock.currentTimeMillis;
              delayed.push({ record, due: now + delay.ms, seq: seq++ });
              // Every delayed record has a sleeper; the first to wake releases all that are due, in order.
              yield* Effect.forkIn(Effect.sleep(Duration.millis(delay.ms)).pipe(Effect.zipRight(lock.withPermits(1)(releaseDelayed))), scope);
            }),
          );

        const subscription = yield* inner.subscribe<string, R>({
          group: opts.group,
          topics: opts.topics,
          codec: rawCodec,
          dedupe: noDedupe,
          ...(opts.commit !== undefined ? { commit: opts.commit } : {}),
          ...(opts.from !== undefined ? { from: opts.from } : {}),
          handler: (_value, record) => arrive(record),
        });
        const stop = (how: Effect.Effect<void>) => Effect.zipRight(Effect.sync(() => void (closed = true)), how);
        return {
          stats: Effect.map(subscription.stats, (s) => ({ ...snapshot(stats), committed: s.committed })),
          close: stop(subscription.close),
          crash: stop(subscription.crash),
        } satisfies Subscription;
      });

    const log: EventLogApi = { ...inner, subscribe };
    return { log, control };
  });

/** A layer over the EventLog in context: the same log with delivery faults, and their control. */
export const DeliveryFaultLog = {
  layer: (options: DeliveryFaultOptions): Layer.Layer<EventLog | DeliveryFaults, never, EventLog> =>
    Layer.effectContext(
      Effect.gen(function* () {
        const { log, control } = yield* withDeliveryFaults(yield* EventLog, options);
        return Context.make(EventLog, log).pipe(Context.add(DeliveryFaults, control));
      }),
    ),
};
