import { Clock, Deferred, Duration, Effect, Fiber, Queue, type Scope } from "effect";
import { createActor, initialTransition, type AnyActorScope, type AnyStateMachine, type EventFromLogic, type InputFrom, type SnapshotFrom } from "xstate";
import { appendEvents, EventLog, protocolCodec, retrySchedule, type DedupeStore, type EventLogError, type Subscription } from "@zk-testnet/event-log";
import { makeEvent, type EventId, type ProtocolEvent, type Slot } from "@zk-testnet/protocol";
import type { CancelParams, HostActorFailed, HostInput, HostPublishFailed, HostStarted, PublishParams, RepublishParams, RunParams, ScheduleParams } from "./host-actions.ts";
import { canonicalJson, sha256Hex } from "./json.ts";
import { restoreState, type SnapshotStore } from "./snapshots.ts";

/** What a service is: a pure machine, the topics it folds, and the Effects its `run` actions name. */
export interface ServiceDefinition<M extends AnyStateMachine> {
  /** The service's name: the `source` of every event it writes and its consumer group. */
  readonly name: string;
  readonly machine: M;
  readonly input?: InputFrom<M>;
  /** Topics whose events are the machine's inputs, its own output topics included where it needs them. */
  readonly inputs: readonly string[];
  /** Which protocol events the machine takes (default: all on its input topics). */
  readonly accepts?: (event: ProtocolEvent) => boolean;
  /** Named side effects for `run` actions; each returns the machine event to deliver. */
  readonly actors?: Readonly<Record<string, (input: never) => Effect.Effect<unknown, unknown>>>;
}

export interface HostOptions {
  readonly snapshots?: SnapshotStore;
  /** Save a snapshot after this many steps (0: never). */
  readonly snapshotEvery?: number;
}

export interface ServiceHandle<M extends AnyStateMachine> {
  readonly name: string;
  /** How many input events the start-up replay folded. */
  readonly replayed: number;
  readonly snapshot: Effect.Effect<SnapshotFrom<M>>;
  /** SHA-256 of the machine's state (value and context) in canonical JSON. */
  readonly stateHash: Effect.Effect<string>;
  /** Resolves once every step queued so far has been carried out and its outputs appended. */
  readonly idle: Effect.Effect<void>;
  readonly subscription: Subscription;
}

interface Step {
  readonly event: unknown;
  /** The id that output events of this step are derived from. */
  readonly cause: EventId;
  readonly done: Deferred.Deferred<void>;
}

/** How an append is retried; a schedule is a value, built once rather than on every append. */
const appendRetry = retrySchedule("30 seconds");

/** A deterministic cause id for what a timer or actor delivers (it has no event id of its own). */
export const timerCause = (service: string, id: string): EventId => sha256Hex(`zk-testnet/timer/v1\n${service}\n${id}`).slice(0, 32) as EventId;

export const stateHashOf = (snapshot: { readonly value: unknown; readonly context: unknown }): string =>
  sha256Hex(canonicalJson({ value: snapshot.value, context: snapshot.context }));

const stateOf = (snapshot: unknown): { value: unknown; context: unknown } => {
  const s = snapshot as { value: unknown; context: unknown };
  return { value: s.value, context: s.context };
};

type Transition<M extends AnyStateMachine> = (snapshot: SnapshotFrom<M>, event: EventFromLogic<M>) => readonly [SnapshotFrom<M>, readonly unknown[]];

/**
 * xstate's `transition` (next snapshot and the actions to carry out) with one inert actor scope
 * per machine: xstate's builds a throwaway actor, and runs the machine's context factory, on
 * every call. The machines spawn, invoke and delay nothing, so the scope holds no state.
 */
const transitionOf = <M extends AnyStateMachine>(machine: M): Transition<M> => {
  const self = createActor(machine);
  let collected: unknown[] = [];
  const scope = {
    self,
    defer: () => undefined,
    id: "",
    logger: () => undefined,
    sessionId: "",
    stopChild: () => undefined,
    system: self.system,
    emit: () => undefined,
    actionExecutor: (action: unknown) => void collected.push(action),
  } as unknown as AnyActorScope;
  return (snapshot, event) => {
    collected = [];
    const next = machine.transition(snapshot, event, scope) as SnapshotFrom<M>;
    return [next, collected];
  };
};

/** Folds input events through the machine without running any action: the replay function. */
export const foldEvents = <M extends AnyStateMachine>(
  machine: M,
  start: SnapshotFrom<M>,
  events: readonly ProtocolEvent[],
): SnapshotFrom<M> => {
  const transition = transitionOf(machine);
  let snapshot = start;
  for (const event of events) snapshot = transition(snapshot, { type: "input", event } as HostInput<ProtocolEvent> as EventFromLogic<M>)[0];
  return snapshot;
};

/** Which records of the input topics to read, by a consumer group's committed offsets. */
interface InputSelection {
  readonly group: string;
  /** `handled`: before the committed offsets (what the group handled); `pending`: from them on. */
  readonly part: "handled" | "pending";
}

/**
 * Reads the input topics and orders their events as they happened (time, then topic order,
 * then offset). With a selection, only what a consumer group handled before (committed), or
 * only what it has yet to handle. With `examined` (offsets by "topic/partition"), it skips the
 * records below them and moves them past what it read: a record read once is either queued
 * (seen), refused by `accepts` or undecodable, so reading it again would only decode it again.
 */
const readInputs = (definition: ServiceDefinition<AnyStateMachine>, seen: ReadonlySet<string>, selection?: InputSelection, examined?: Map<string, number>) =>
  Effect.gen(function* () {
    const log = yield* EventLog;
    const entries: { event: ProtocolEvent; topic: number; partition: number; offset: number }[] = [];
    const read = new Map<string, number>();
    for (const [topicIndex, topic] of definition.inputs.entries()) {
      const committed = selection === undefined ? undefined : yield* log.committed(selection.group, topic);
      for (const record of yield* log.read(topic)) {
        const unhandled = committed !== undefined && record.offset >= (committed.get(record.partition) ?? 0);
        if (committed !== undefined && unhandled !== (selection?.part === "pending")) continue;
        const at = `${topic}/${record.partition}`;
        if (record.offset < (examined?.get(at) ?? 0)) continue;
        read.set(at, Math.max(read.get(at) ?? 0, record.offset + 1));
        const decoded = protocolCodec.decode(record.value);
        if (decoded._tag === "Left" || seen.has(decoded.right.id)) continue;
        if (definition.accepts !== undefined && !definition.accepts(decoded.right)) continue;
        entries.push({ event: decoded.right, topic: topicIndex, partition: record.partition, offset: record.offset });
      }
    }
    for (const [at, offset] of read) examined?.set(at, offset);
    entries.sort((a, b) => a.event.time - b.event.time || a.topic - b.topic || a.partition - b.partition || a.offset - b.offset);
    const unique = new Map<string, ProtocolEvent>();
    for (const e of entries) if (!unique.has(e.event.id)) unique.set(e.event.id, e.event);
    return [...unique.values()];
  });

/**
 * Runs a service: restores its snapshot (if any), replays its inputs to rebuild the state while
 * emitting nothing, then consumes live as a consumer group named after the service, one step at
 * a time: `transition`, then the host actions (publish, schedule, cancel, run) through Effect.
 */
export const runService = <M extends AnyStateMachine>(
  definition: ServiceDefinition<M>,
  options: HostOptions = {},
): Effect.Effect<ServiceHandle<M>, EventLogError, EventLog | Scope.Scope> =>
  Effect.gen(function* () {
    const log = yield* EventLog;
    const machine = definition.machine;
    const transition = transitionOf(machine);
    const name = definition.name;

    // 1. Snapshot, then replay what came after it.
    const stored = options.snapshots === undefined ? undefined : yield* options.snapshots.load(name);
    const seen = new Set<string>(stored?.seen ?? []);
    let snapshot: SnapshotFrom<M> =
      stored !== undefined
        ? restoreState(machine, stored.state)
        : (initialTransition(machine, definition.input as never)[0] as SnapshotFrom<M>);
    // What the service handled before (its group's committed offsets) is replayed silently;
    // what it never handled is delivered live by the subscription below, actions and all.
    const backlog = yield* readInputs(definition as ServiceDefinition<AnyStateMachine>, seen, { group: name, part: "handled" });
    snapshot = foldEvents(machine, snapshot, backlog);
    for (const e of backlog) seen.add(e.id);
    const dedupe: DedupeStore = { has: (id) => seen.has(id), add: (id) => void seen.add(id) };
    yield* Effect.logInfo("replayed").pipe(Effect.annotateLogs({ service: name, events: backlog.length, fromSnapshot: stored !== undefined }));

    // 2. One writer: every step goes through this queue.
    const scope = yield* Effect.scope;
    const steps = yield* Queue.unbounded<Step>();
    let stepCount = 0;

    // Timers: one fiber sleeps until the earliest is due, then delivers every due timer in
    // (time, scheduling order), so ties resolve the same way in every run.
    interface Timer {
      readonly id: string;
      readonly at: number;
      readonly seq: number;
      readonly produce: Effect.Effect<unknown>;
    }
    const timers = new Map<string, Timer>();
    let timerSeq = 0;
    // Opened once what arrived while the service was down has been handled: a deadline that
    // passed meanwhile must not fire before the proof that beat it is read.
    const timersOpen = yield* Deferred.make<void>();
    let timersOpened = false;
    let timerFiber: Fiber.RuntimeFiber<void, never> | undefined;
    // The timer fiber runs while there are timers. It is restarted only when a step adds a
    // timer earlier than the one it waits for: a later one it finds itself when it wakes.
    let timerRunning = false;
    /** The time of the timer the fiber has picked (undefined until it picks one). */
    let waitingFor: number | undefined;
    const earliest = (): Timer | undefined => {
      let best: Timer | undefined;
      for (const t of timers.values()) if (best === undefined || t.at < best.at || (t.at === best.at && t.seq < best.seq)) best = t;
      return best;
    };
    const fire = (timer: Timer) =>
      Effect.uninterruptible(
        Effect.gen(function* () {
          timers.delete(timer.id);
          const event = yield* timer.produce;
          const done = yield* Deferred.make<void>();
          yield* Queue.offer(steps, { event, cause: timerCause(name, timer.id), done });
        }),
      );
    const timerLoop: Effect.Effect<void> = Effect.gen(function* () {
      // Awaited only until opened: a live service's timers keep their place among equal-time steps.
      if (!timersOpened) yield* Deferred.await(timersOpen);
      for (let next = earliest(); next !== undefined; next = earliest()) {
        waitingFor = next.at;
        const now = yield* Clock.currentTimeMillis;
        if (next.at > now) yield* Effect.sleep(Duration.millis(next.at - now));
        else yield* fire(next);
      }
      waitingFor = undefined;
      timerRunning = false;
    });

    // Over Kafka a step does not wait for its outputs to be acknowledged: they go to an outbox
    // that one publisher fiber appends in order, and the subscription commits an input's offset
    // only once everything queued before the commit is appended (`flushed`), so a crash still
    // re-delivers any input whose outputs were not written. A service's steps per second are
    // then not bounded by its link's round trip (a 250 ms link held one at four steps a
    // second). Over the embedded log (sim, embedded) appends are in memory and a step awaits
    // its own, which keeps a simulation's schedule, and so its log, as it was.
    const pipelined = log.adapter === "kafka";
    interface Outgoing {
      readonly events: readonly ProtocolEvent[];
      readonly attempt: number;
    }
    const outbox = yield* Queue.unbounded<Outgoing>();
    let enqueued = 0;
    let published = 0;
    let flushWaiters: { readonly upTo: number; readonly deferred: Deferred.Deferred<void> }[] = [];
    /** Resolves once every batch queued before it was called has been appended (or handed back to the machine as failed). */
    const flushed: Effect.Effect<void> = Effect.suspend(() => {
      const upTo = enqueued;
      if (published >= upTo) return Effect.void;
      return Effect.flatMap(Deferred.make<void>(), (deferred) => {
        flushWaiters.push({ upTo, deferred });
        return Deferred.await(deferred);
      });
    });

    // A batch that cannot be appended within the retry budget goes back to the machine as a
    // typed event (queued behind the current step), never as a crashed step.
    const append = (events: readonly ProtocolEvent[], attempt: number) =>
      Effect.gen(function* () {
        const result = yield* appendEvents(log, events).pipe(Effect.retry({ schedule: appendRetry }), Effect.either);
        if (result._tag === "Right" || events.length === 0) return;
        const first = events[0]!.id;
        const error = `${result.left._tag}: ${"message" in result.left ? String(result.left.message) : ""}`.slice(0, 500);
        yield* Effect.logWarning("append failed after retries; the machine decides").pipe(Effect.annotateLogs({ batch: first, events: events.length, attempt, error }));
        const failed: HostPublishFailed = { type: "host.publishFailed", id: first, events, error, attempt, now: yield* Clock.currentTimeMillis };
        yield* Queue.offer(steps, { event: failed, cause: timerCause(name, `publish-failed:${first}:${attempt}`), done: yield* Deferred.make<void>() });
      });

    const publishBatch = (events: readonly ProtocolEvent[], attempt: number): Effect.Effect<void> => {
      if (!pipelined) return append(events, attempt);
      enqueued++;
      return Queue.offer(outbox, { events, attempt });
    };

    // The publisher: whatever is waiting goes out in one request (batches of the same attempt
    // merged, in order), the next only once it is appended or handed back to the machine.
    const publisher = Effect.gen(function* () {
      while (true) {
        const waiting = [...(yield* Queue.takeBetween(outbox, 1, 256))];
        for (let i = 0; i < waiting.length; ) {
          const attempt = waiting[i]!.attempt;
          let j = i;
          const events: ProtocolEvent[] = [];
          while (j < waiting.length && waiting[j]!.attempt === attempt) events.push(...waiting[j++]!.events);
          yield* append(events, attempt);
          published += j - i;
          i = j;
        }
        const due = flushWaiters.filter((w) => w.upTo <= published);
        if (due.length > 0) {
          flushWaiters = flushWaiters.filter((w) => w.upTo > published);
          for (const w of due) yield* Deferred.succeed(w.deferred, undefined);
        }
      }
    });
    if (pipelined) yield* Effect.forkScoped(publisher);

    const execute = (actions: readonly { type: string; params: unknown }[], cause: EventId) =>
      Effect.gen(function* () {
        let position = 0;
        let rearm = false;
        for (const action of actions) {
          switch (action.type) {
            case "publish": {
              const events: ProtocolEvent[] = [];
              for (const draft of (action.params as PublishParams).events) {
                events.push(
                  (yield* makeEvent({
                    type: draft.type,
                    source: name,
                    causationId: cause,
                    position: position++,
                    correlationId: draft.correlationId,
                    slot: draft.slot as Slot,
                    payload: draft.payload,
                  } as never)) as ProtocolEvent,
                );
              }
              // One batch: the outputs of a step share a request and keep their order.
              yield* publishBatch(events, 1);
              break;
            }
            case "republish": {
              const p = action.params as RepublishParams;
              yield* publishBatch(p.events, p.attempt + 1);
              break;
            }
            case "schedule": {
              const p = action.params as ScheduleParams;
              timers.set(p.id, { id: p.id, at: p.at, seq: timerSeq++, produce: Effect.succeed(p.event) });
              rearm = true;
              break;
            }
            case "cancel": {
              rearm = timers.delete((action.params as CancelParams).id) || rearm;
              break;
            }
            case "run": {
              const p = action.params as RunParams;
              const actor = definition.actors?.[p.actor] as ((input: unknown) => Effect.Effect<unknown, unknown>) | undefined;
              const failed = (message: string): HostActorFailed => ({ type: "host.actorFailed", id: p.id, actor: p.actor, message });
              const produce: Effect.Effect<unknown> =
                actor === undefined
                  ? Effect.succeed(failed("no such actor"))
                  : actor(p.input).pipe(Effect.catchAllCause((c) => Effect.succeed(failed(String(c).slice(0, 500)))));
              timers.set(p.id, { id: p.id, at: p.at ?? 0, seq: timerSeq++, produce });
              rearm = true;
              break;
            }
            default:
              // xstate's own actions (assign, raise...) are already applied in the snapshot.
              break;
          }
        }
        if (rearm) {
          const next = earliest();
          // Stopped when nothing is left to wait for; restarted when the earliest timer comes before the one it waits for.
          const restart = next !== undefined && (!timerRunning || (waitingFor !== undefined && next.at < waitingFor));
          if (timerFiber !== undefined && timerRunning && (restart || next === undefined)) {
            yield* Fiber.interrupt(timerFiber);
            timerRunning = false;
          }
          if (restart) {
            timerRunning = true;
            waitingFor = undefined;
            timerFiber = yield* Effect.forkIn(timerLoop, scope);
          }
        }
      });

    const worker = Effect.gen(function* () {
      while (true) {
        const step = yield* Queue.take(steps);
        const live = (step.event as { readonly type?: string }).type === "input" ? { ...(step.event as object), now: yield* Clock.currentTimeMillis } : step.event;
        const [next, actions] = transition(snapshot, live as EventFromLogic<M>);
        snapshot = next;
        yield* execute(actions as never, step.cause);
        stepCount++;
        if (options.snapshots !== undefined && options.snapshotEvery !== undefined && options.snapshotEvery > 0 && stepCount % options.snapshotEvery === 0) {
          // XState's persisted form; value and context are what restoring needs. A snapshot
          // stands for every step before it: their outputs must be in the log first.
          yield* flushed;
          const persisted = machine.getPersistedSnapshot(snapshot) as unknown as { value: unknown; context: unknown };
          yield* options.snapshots.save(name, { state: { value: persisted.value, context: persisted.context }, seen: [...seen] });
        }
        yield* Deferred.succeed(step.done, undefined);
      }
    });
    yield* Effect.forkScoped(worker);

    // 3. Re-arm timers and pending work, then consume live.
    const now = yield* Clock.currentTimeMillis;
    const started = yield* Deferred.make<void>();
    yield* Queue.offer(steps, { event: { type: "host.started", now } satisfies HostStarted, cause: timerCause(name, `started:${backlog.length}`), done: started });
    yield* Deferred.await(started);

    // Each input is queued once, whichever path brings it first: the subscription, or the
    // catch-up read below (has-and-add runs without a yield in between).
    const queueInput = (event: ProtocolEvent) =>
      Effect.gen(function* () {
        if (seen.has(event.id)) return;
        seen.add(event.id);
        const done = yield* Deferred.make<void>();
        yield* Queue.offer(steps, { event: { type: "input", event } satisfies HostInput<ProtocolEvent>, cause: event.id, done });
        yield* Deferred.await(done);
      });

    // What arrived while it was down (after its committed offsets) is handled live, actions and
    // all, before any timer runs: a deadline that passed meanwhile must not beat the proof that came in time.
    // Best effort: the subscription delivers the same records anyway (a read that keeps failing
    // only costs the ordering guarantee above, with a warning), so a start never fails on it.
    // The second catch-up reads only what came after the first one's read.
    const examined = new Map<string, number>();
    const catchUp = Effect.gen(function* () {
      const pending = yield* readInputs(definition as ServiceDefinition<AnyStateMachine>, seen, { group: name, part: "pending" }, examined);
      for (const event of pending) yield* queueInput(event);
    }).pipe(
      Effect.retry({ schedule: retrySchedule("10 seconds") }),
      Effect.catchAll((error) => Effect.logWarning(`catching up before the timers failed: ${error._tag}; the subscription delivers what is pending`)),
    );
    yield* catchUp;

    // Joining the group can take a while after a crash (Kafka waits out the dead member's
    // session); what came meanwhile is caught up again before the timers run.
    const subscription = yield* log.subscribe({
      group: name,
      topics: definition.inputs,
      codec: protocolCodec,
      dedupe,
      beforeCommit: flushed,
      handler: (event) => (definition.accepts !== undefined && !definition.accepts(event) ? Effect.void : queueInput(event)),
    });
    yield* catchUp;
    timersOpened = true;
    yield* Deferred.succeed(timersOpen, undefined);

    return {
      name,
      replayed: backlog.length,
      snapshot: Effect.sync(() => snapshot),
      stateHash: Effect.sync(() => stateHashOf(stateOf(snapshot))),
      idle: Effect.gen(function* () {
        const done = yield* Deferred.make<void>();
        yield* Queue.offer(steps, { event: { type: "host.idle" }, cause: timerCause(name, "idle"), done });
        yield* Deferred.await(done);
        yield* flushed;
      }),
      subscription,
    } satisfies ServiceHandle<M>;
  }).pipe(Effect.annotateLogs({ service: definition.name }));

/**
 * Rebuilds a service's state from the log alone, as its start-up replay does, without
 * running it: for `testnet replay` and for tests that compare a live state with its replay.
 */
export const replayState = <M extends AnyStateMachine>(definition: ServiceDefinition<M>) =>
  Effect.gen(function* () {
    const events = yield* readInputs(definition as ServiceDefinition<AnyStateMachine>, new Set());
    const initial = initialTransition(definition.machine, definition.input as never)[0] as SnapshotFrom<M>;
    const snapshot = foldEvents(definition.machine, initial, events);
    return { snapshot, events: events.length, stateHash: stateHashOf(stateOf(snapshot)) };
  });
