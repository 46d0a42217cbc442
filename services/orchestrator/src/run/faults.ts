import { Clock, Duration, Effect, ExecutionStrategy, Exit, Layer, Scope } from "effect";
import type { AnyStateMachine } from "xstate";
import type { ServiceHandle } from "@zk-testnet/actors";
import { proverKeyFromSeed, proverSeed, signProof } from "@zk-testnet/crypto";
import {
  appendEvents,
  DELIVERY_FAULT_KINDS,
  DeliveryFaultLog,
  deliveryFaultOf,
  EmbeddedEventLog,
  isDeliveryFaultKind,
  EventLog,
  protocolCodec,
  type DeliveryFaultControl,
  type EventLogApi,
  type EventLogError,
} from "@zk-testnet/event-log";
import { makeRng } from "@zk-testnet/mechanisms";
import { slotStart, type NetworkConfig } from "@zk-testnet/network";
import {
  blockCorrelationId,
  eventVersions,
  makeEvent,
  proofHash,
  services,
  topicByName,
  topics,
  type EventOf,
  type ProofStatement,
  type ProtocolEvent,
  type ProverId,
  type Slot,
} from "@zk-testnet/protocol";

/** Prover fault profiles: the prover pool applies them from the FaultInjected / FaultHealed events. */
export const PROVER_FAULT_KINDS = ["crash", "hang", "slow", "invalid", "withhold", "equivocate", "late-receipt"] as const;

/**
 * Every fault kind: prover profiles (and `crash` of a whole service), delivery faults of the
 * embedded log on a topic, records that are not events (`malformed`), proofs signed with a key
 * nobody registered (`forge`), and an aggregator that drops valid proofs (`grief`, applied by
 * the aggregator from its event).
 */
export const FAULT_KINDS = [...PROVER_FAULT_KINDS, ...DELIVERY_FAULT_KINDS, "malformed", "forge", "grief", "partition", "latency", "timeout", "reset", "bandwidth"] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/**
 * Faults of the network between a process and the brokers. kafka mode: through Toxiproxy,
 * each targeted process (a service, or a prover alone in a prover-pool process of its own)
 * routed through proxies of its own: `partition` takes them down (connections refused and
 * closed), `latency` delays what the brokers send (`ms`, `jitterMs`), `timeout` lets nothing
 * through and closes connections after `ms` (0: held open), `reset` resets connections
 * (`afterMs`), `bandwidth` caps each direction (`kbPerSecond`). containers mode: `partition`
 * takes the container off the run's network. sim and embedded: `partition` of a prover is
 * applied by the prover pool (it hears and publishes nothing until the heal, as `hang`); the
 * other network faults need kafka mode.
 */
export const NETWORK_FAULT_KINDS = ["partition", "latency", "timeout", "reset", "bandwidth"] as const;
export type NetworkFaultKind = (typeof NETWORK_FAULT_KINDS)[number];
export const isNetworkFault = (kind: string): kind is NetworkFaultKind => (NETWORK_FAULT_KINDS as readonly string[]).includes(kind);

/** The services a `crash` may stop and restart. */
export const SERVICE_NAMES = services.filter((s) => s !== "orchestrator");

/** The target of a forged proof from a prover id nobody registered. */
export const UNREGISTERED = "unregistered";

/** One scheduled fault: `kind` on `target` from `slot`, healed after `slots` if given. */
export interface FaultStep {
  readonly kind: FaultKind;
  readonly target: string;
  readonly slot: number;
  readonly slots?: number;
  readonly params: Readonly<Record<string, string>>;
}

type TargetKind = "prover" | "service" | "topic" | "unregistered" | "aggregator" | "broker";

/** A Kafka broker of a 3-node cluster that kafka mode started itself: `kafka-1` to `kafka-3`. */
const BROKER = /^kafka-[123]$/;

const TARGETS: { readonly [K in FaultKind]: readonly TargetKind[] } = {
  crash: ["prover", "service", "broker"],
  hang: ["prover", "service", "broker"],
  slow: ["prover"],
  invalid: ["prover"],
  withhold: ["prover"],
  equivocate: ["prover"],
  "late-receipt": ["prover"],
  duplicate: ["topic"],
  reorder: ["topic"],
  delay: ["topic"],
  malformed: ["topic"],
  forge: ["prover", "unregistered"],
  grief: ["aggregator"],
  partition: ["prover", "service"],
  latency: ["prover", "service"],
  timeout: ["prover", "service"],
  reset: ["prover", "service"],
  bandwidth: ["prover", "service"],
};

/** Faults that happen once, at their slot: nothing to heal. */
const INSTANT: ReadonlySet<FaultKind> = new Set<FaultKind>(["malformed", "forge"]);

/** The parameters each new kind takes (prover profiles pass theirs to the pool as they are). */
const PARAMS: Partial<{ readonly [K in FaultKind]: readonly string[] }> = {
  duplicate: [],
  reorder: ["window", "ms"],
  delay: ["ms"],
  malformed: [],
  forge: [],
  grief: ["prover"],
  partition: [],
  latency: ["ms", "jitterMs"],
  timeout: ["ms"],
  reset: ["afterMs"],
  bandwidth: ["kbPerSecond"],
};

export { DEFAULT_DELAY_MS, DEFAULT_REORDER_WINDOW } from "@zk-testnet/event-log";

const TOPIC_NAMES: readonly string[] = topics.map((t) => t.name);

const isFaultKind = (kind: string): kind is FaultKind => (FAULT_KINDS as readonly string[]).includes(kind);

const ITEM = /^([a-z-]+):([\w.-]+)@slot(\d+)(?:\+(\d+))?(?:\?(.*))?$/;

const positiveInteger = (value: string | undefined): boolean => value !== undefined && /^\d+$/.test(value) && Number(value) > 0;

/**
 * Parses a fault spec: comma-separated `KIND:TARGET@slotN[+HEAL_AFTER_SLOTS][?key=value&...]`,
 * e.g. `crash:prover-3@slot5,slow:prover-2@slot1+4?factor=3,crash:aggregator@slot3+2,
 * delay:l2.blocks@slot1+2?ms=500`. Returns the steps or a message.
 */
export const parseFaultSpec = (spec: string, network: NetworkConfig): FaultStep[] | string => {
  const provers = new Set(network.provers.map((p) => p.id as string));
  const proverRange = `prover-1 to prover-${network.provers.length}`;
  const describeTargets = (kinds: readonly TargetKind[]) =>
    kinds
      .map((k) =>
        k === "prover"
          ? `a prover (${proverRange})`
          : k === "service"
            ? `a service (${SERVICE_NAMES.join(", ")})`
            : k === "topic"
              ? `a topic (${TOPIC_NAMES.join(", ")})`
              : k === "unregistered"
                ? `"${UNREGISTERED}" (a prover id nobody registered)`
                : k === "broker"
                  ? "a broker of kafka mode's 3-node cluster (kafka-1 to kafka-3)"
                  : `"aggregator"`,
      )
      .join(" or ");
  const kindOfTarget = (target: string): TargetKind | undefined =>
    provers.has(target)
      ? "prover"
      : (SERVICE_NAMES as readonly string[]).includes(target)
        ? "service"
        : TOPIC_NAMES.includes(target)
          ? "topic"
          : target === UNREGISTERED
            ? "unregistered"
            : BROKER.test(target)
              ? "broker"
              : undefined;

  const steps: FaultStep[] = [];
  for (const item of spec.split(",").map((s) => s.trim()).filter(Boolean)) {
    const m = ITEM.exec(item);
    if (m === null) return `bad fault "${item}": expected KIND:TARGET@slotN[+SLOTS][?key=value]`;
    const [, kind, target, slot, heal, query] = m;
    if (!isFaultKind(kind!)) return `unknown fault kind "${kind}" (one of ${FAULT_KINDS.join(", ")})`;
    const allowed = TARGETS[kind];
    const targetKind = kindOfTarget(target!);
    const fits = targetKind !== undefined && (allowed.includes(targetKind) || (allowed.includes("aggregator") && target === "aggregator"));
    if (!fits) {
      if (targetKind === undefined && /^prover-\d+$/.test(target!) && allowed.includes("prover")) {
        return `unknown prover "${target}" in "${item}" (the network has ${proverRange})`;
      }
      const what = targetKind === undefined ? "not a prover, service or topic of this network" : `a ${targetKind}`;
      return `${kind} targets ${describeTargets(allowed)}; "${target}" is ${what} (in "${item}")`;
    }
    if (heal !== undefined && INSTANT.has(kind)) return `${kind} happens once at its slot: no +SLOTS (in "${item}")`;
    const params: Record<string, string> = {};
    for (const pair of (query ?? "").split("&").filter(Boolean)) {
      const [k, v] = pair.split("=");
      if (k === undefined || v === undefined || k === "") return `bad parameter "${pair}" in "${item}"`;
      params[k] = v;
    }
    const known = PARAMS[kind];
    const unknown = known === undefined ? undefined : Object.keys(params).find((k) => !known.includes(k));
    if (unknown !== undefined) {
      return `${kind} takes ${known!.length === 0 ? "no parameters" : `the parameter${known!.length > 1 ? "s" : ""} ${known!.join(", ")}`}, not "${unknown}" (in "${item}")`;
    }
    if (kind === "slow" && params["factor"] !== undefined && !(Number(params["factor"]) > 0)) return `slow needs factor > 0 in "${item}"`;
    if (kind === "delay" && params["ms"] !== undefined && !positiveInteger(params["ms"])) return `delay needs ms, a whole number > 0, in "${item}"`;
    if (kind === "reorder" && params["window"] !== undefined && !(positiveInteger(params["window"]) && Number(params["window"]) >= 2)) {
      return `reorder needs window, a whole number ≥ 2, in "${item}"`;
    }
    if (kind === "reorder" && params["ms"] !== undefined && !positiveInteger(params["ms"])) return `reorder needs ms (the longest hold), a whole number > 0, in "${item}"`;
    const whole = (key: string) => params[key] === undefined || /^\d+$/.test(params[key]!);
    const wrong = ["ms", "jitterMs", "afterMs", "kbPerSecond"].find((key) => !whole(key));
    if (isNetworkFault(kind) && wrong !== undefined) return `${kind} needs ${wrong}, a whole number ≥ 0, in "${item}"`;
    if (kind === "latency" && params["ms"] === undefined) return `latency needs ms (the delay added to what the brokers send), in "${item}"`;
    if (kind === "bandwidth" && !positiveInteger(params["kbPerSecond"])) return `bandwidth needs kbPerSecond, a whole number > 0, in "${item}"`;
    if (kind === "grief" && params["prover"] !== undefined && !provers.has(params["prover"])) {
      return `grief's prover must be a prover of the network (${proverRange}), got "${params["prover"]}" (in "${item}")`;
    }
    steps.push({ kind, target: target!, slot: Number(slot), ...(heal !== undefined ? { slots: Number(heal) } : {}), params });
  }
  return steps;
};

/** The fault events of a schedule, each with the slot at which it is appended. */
export const faultEvents = (steps: readonly FaultStep[]) =>
  steps
    .flatMap((step, i) => [
      { at: step.slot, position: 2 * i, step, type: "FaultInjected" as const, payload: { fault: step.kind, target: step.target, params: step.params } },
      ...(step.slots !== undefined
        ? [{ at: step.slot + step.slots, position: 2 * i + 1, step, type: "FaultHealed" as const, payload: { fault: step.kind, target: step.target } }]
        : []),
    ])
    .sort((a, b) => a.at - b.at || a.position - b.position);

/** Stops and restarts services (the simulation and embedded mode: in this process; kafka mode: processes, SIGKILL). */
export interface ServiceControl {
  readonly stop: (service: string) => Effect.Effect<void>;
  readonly start: (service: string) => Effect.Effect<void>;
  /** Freeze and thaw a service without losing its state (kafka mode: SIGSTOP / SIGCONT), for `hang` of a service. */
  readonly pause?: (service: string) => Effect.Effect<void>;
  readonly resume?: (service: string) => Effect.Effect<void>;
}

/** Kills, restarts, freezes and thaws the brokers of a cluster the run started (kafka mode, 3 nodes). */
export interface BrokerControl {
  readonly kill: (broker: number) => Effect.Effect<void>;
  readonly restart: (broker: number) => Effect.Effect<void>;
  readonly pause: (broker: number) => Effect.Effect<void>;
  readonly resume: (broker: number) => Effect.Effect<void>;
}

/** Carries out network faults on a service's or a prover's path to the brokers (kafka mode: Toxiproxy; containers: the Docker network). */
export interface NetworkControl {
  /** How it is done, recorded in the FaultInjected's params (`via`): the prover pool leaves such faults to it. */
  readonly via: string;
  /** Why it cannot do this kind on this target, if it cannot. */
  readonly unsupported: (kind: NetworkFaultKind, target: string) => string | undefined;
  readonly inject: (target: string, kind: NetworkFaultKind, params: Readonly<Record<string, string>>) => Effect.Effect<void>;
  readonly heal: (target: string, kind: NetworkFaultKind) => Effect.Effect<void>;
}

/** What carries out the faults that are more than an event for a service to read. */
export interface FaultBackends {
  /** For `partition`, `latency`, `timeout`, `reset`, `bandwidth` of a service or prover. */
  readonly network?: NetworkControl;
  /** For `crash` of a service. */
  readonly services?: ServiceControl;
  /**
   * For `duplicate`, `reorder`, `delay` on a topic: the wrapper of this process's log
   * (sim/embedded), or `"consumers"` where every service process switches its own consumers'
   * delivery from the FaultInjected / FaultHealed events (kafka and containers modes, see
   * libs/event-log `followDeliveryFaults`).
   */
  readonly delivery?: DeliveryFaultControl | "consumers";
  /** For `crash` and `hang` of `kafka-N`. */
  readonly brokers?: BrokerControl;
}

const isService = (target: string) => (SERVICE_NAMES as readonly string[]).includes(target);

/** Why a step cannot be carried out with these back ends, if it cannot. */
export const unsupported = (step: FaultStep, backends: FaultBackends): string | undefined => {
  if (step.kind === "crash" && isService(step.target) && backends.services === undefined) return `crash of service ${step.target} needs a service control`;
  if (step.kind === "hang" && isService(step.target) && backends.services?.pause === undefined) return `hang of service ${step.target} needs processes to freeze (kafka mode)`;
  if (BROKER.test(step.target) && backends.brokers === undefined) return `${step.target} exists only in kafka mode with a 3-node cluster it started (--kafka-nodes 3)`;
  if (isDeliveryFaultKind(step.kind) && backends.delivery === undefined) return `${step.kind} needs the delivery-fault wrapper of the log`;
  if (isNetworkFault(step.kind)) {
    if (backends.network !== undefined) return backends.network.unsupported(step.kind, step.target);
    // Without a network to cut, the prover pool plays a prover's partition itself.
    if (step.kind === "partition" && !isService(step.target)) return undefined;
    return `${step.kind} of ${step.target} needs a network between it and the brokers (kafka mode, through Toxiproxy${step.kind === "partition" ? "; or containers mode" : ""})`;
  }
  return undefined;
};

/**
 * The raw records of a `malformed` fault on `topic`, in order: bytes that are not JSON, JSON
 * that breaks the schema of one of the topic's event types, and that type at a version nobody
 * speaks. Keyed by the fault so that each lands in one partition.
 */
export const malformedRecords = (topic: string, key: string): readonly { readonly topic: string; readonly key: string; readonly value: string }[] => {
  const type = topicByName(topic)?.eventTypes[0] ?? "FaultInjected";
  const version = eventVersions[type];
  return [
    { topic, key, value: `{"type":"${type}","version":${version},"payload":{` },
    { topic, key, value: JSON.stringify({ type, version, payload: { malformed: true } }) },
    { topic, key, value: JSON.stringify({ type, version: version + 1, payload: {} }) },
  ];
};

type Assigned = EventOf<"NodeAssigned">;

const decodedOf = (log: EventLogApi, topic: string) =>
  Effect.map(log.read(topic), (records) =>
    records
      .map((r) => ({ r, d: protocolCodec.decode(r.value) }))
      .filter((x) => x.d._tag === "Right")
      .map((x) => ({ event: (x.d as { right: ProtocolEvent }).right, partition: x.r.partition, offset: x.r.offset }))
      .sort((a, b) => a.event.time - b.event.time || a.partition - b.partition || a.offset - b.offset)
      .map((x) => x.event),
  );

/**
 * The node a forged proof names: the latest one assigned to `prover` (any prover for an
 * unregistered id) whose proof is not accepted yet and whose block has no root yet; else the
 * latest one assigned to it at all. Read from the log, so the choice is the same every run.
 */
export const forgeryTarget = (log: EventLogApi, prover: string) =>
  Effect.gen(function* () {
    const events = yield* decodedOf(log, "proving.assignments");
    const nodeKey = (p: { block: number; level: number; index: number }) => `${p.block}/${p.level}/${p.index}`;
    const accepted = new Set(events.filter((e) => e.type === "ProofAccepted").map((e) => nodeKey(e.payload as never)));
    const rooted = new Set(events.filter((e) => e.type === "RootProofSubmitted").map((e) => (e.payload as { block: number }).block));
    const assigned = events.filter((e): e is Assigned => e.type === "NodeAssigned" && (prover === UNREGISTERED || e.payload.prover === prover));
    const open = assigned.filter((e) => !accepted.has(nodeKey(e.payload)) && !rooted.has(e.payload.block));
    return open.at(-1) ?? assigned.at(-1);
  });

/**
 * `forgeryTarget`, looked for again every 50 ms (on the Clock) for up to two slots while there
 * is none: a node handed out just before the fault's slot may not be in the log yet (its
 * NodeAssigned is made, but the aggregator's append is still on its way).
 */
export const awaitForgeryTarget = (network: NetworkConfig, log: EventLogApi, prover: string) =>
  Effect.gen(function* () {
    const giveUpAt = (yield* Clock.currentTimeMillis) + 2 * network.params.slotMs;
    for (;;) {
      const found = yield* forgeryTarget(log, prover);
      if (found !== undefined || (yield* Clock.currentTimeMillis) >= giveUpAt) return found;
      yield* Effect.sleep(Duration.millis(50));
    }
  });

/** A proof of the assigned node as `prover` would sign it, but signed with a key derived from a seed nobody registered. */
export const forgedProof = (network: NetworkConfig, assigned: Assigned, prover: string) => {
  const statement: ProofStatement = {
    block: assigned.payload.block,
    level: assigned.payload.level,
    index: assigned.payload.index,
    prover: prover as ProverId,
    publicInput: assigned.payload.publicInput,
    childProofHashes: assigned.payload.childProofHashes,
  };
  const key = proverKeyFromSeed(proverSeed(`zk-testnet/forged\n${network.seed}`, prover));
  const signature = signProof(key, statement);
  return { ...statement, signature, proofHash: proofHash(statement, signature) };
};

/**
 * Whether a fault must be in force before anything else happens at the start of its slot: one
 * this injector carries out (a service stopped before its slot timer, a topic's delivery
 * switched before the slot's records). A fault that is only an event for the services to read
 * (prover profiles, grief) keeps the injector's plain timing at its instant.
 */
const appliesFirst = (step: FaultStep): boolean =>
  !(((PROVER_FAULT_KINDS as readonly string[]).includes(step.kind) && !isService(step.target)) || (step.kind === "partition" && !isService(step.target)) || step.kind === "grief");

/**
 * Waits until Clock time `at`. With `first`, it wakes 1 ms early and sleeps the last
 * millisecond: TestClock wakes the latest registered sleeper first among equal times.
 */
const sleepUntil = (at: number, first: boolean) =>
  Effect.gen(function* () {
    const now = yield* Clock.currentTimeMillis;
    if (first && at - 1 > now) yield* Effect.sleep(Duration.millis(at - 1 - now));
    const then = yield* Clock.currentTimeMillis;
    if (at > then) yield* Effect.sleep(Duration.millis(at - then));
  });

/**
 * The fault injector for sim/embedded/kafka: appends each FaultInjected / FaultHealed to
 * `testnet.faults` at the start of its slot (Clock time), so the log says what was done, then
 * carries it out: prover profiles and `grief` are the services' to apply from the event; a
 * service crash stops the service (its heal starts it again, rebuilt by replay); delivery
 * faults switch the log's delivery; `malformed` appends raw records that are not events;
 * `forge` appends a ProofSubmitted signed with an unregistered key. A step whose back end this
 * mode lacks is left out (a warning), so the log never claims a fault that was not done.
 */
export const injectFaults = (network: NetworkConfig, steps: readonly FaultStep[], backends: FaultBackends = {}) =>
  Effect.gen(function* () {
    const log = yield* EventLog;
    const skipped = new Set<FaultStep>();
    for (const step of steps) {
      const why = unsupported(step, backends);
      if (why === undefined) continue;
      skipped.add(step);
      yield* Effect.logWarning(`fault ${step.kind}:${step.target}@slot${step.slot} not injected: ${why}`);
    }
    // Overlapping crashes of one service: down from the first, up after the last heals.
    const down = new Map<string, number>();
    for (const f of faultEvents(steps)) {
      if (skipped.has(f.step)) continue;
      yield* sleepUntil(slotStart(network, f.at), appliesFirst(f.step));
      const { step } = f;
      const forgery = f.type === "FaultInjected" && step.kind === "forge" ? yield* awaitForgeryTarget(network, log, step.target) : undefined;
      const payload =
        f.type === "FaultInjected" && step.kind === "forge"
          ? { ...f.payload, params: { ...f.payload.params, node: forgery === undefined ? "none" : `${forgery.payload.block}/${forgery.payload.level}/${forgery.payload.index}` } }
          : f.type === "FaultInjected" && isNetworkFault(step.kind) && backends.network !== undefined
            ? { ...f.payload, params: { ...f.payload.params, via: backends.network.via } }
            : f.payload;
      const event = (yield* makeEvent({
        type: f.type,
        source: "orchestrator",
        causationId: null,
        position: f.position,
        correlationId: `fault-${f.position >> 1}`,
        slot: f.at as Slot,
        payload: payload as never,
      } as never)) as ProtocolEvent;
      yield* appendEvents(log, [event]);
      yield* carryOut(network, log, backends, down, f.type, step, event, forgery);
    }
  });

const carryOut = (
  network: NetworkConfig,
  log: EventLogApi,
  backends: FaultBackends,
  down: Map<string, number>,
  type: "FaultInjected" | "FaultHealed",
  step: FaultStep,
  event: ProtocolEvent,
  forgery: Assigned | undefined,
): Effect.Effect<void, EventLogError> =>
  Effect.gen(function* () {
    const injected = type === "FaultInjected";
    if (step.kind === "crash" && isService(step.target) && backends.services !== undefined) {
      const before = down.get(step.target) ?? 0;
      const after = Math.max(0, before + (injected ? 1 : -1));
      down.set(step.target, after);
      if (before === 0 && after === 1) yield* backends.services.stop(step.target);
      if (before === 1 && after === 0) yield* backends.services.start(step.target);
      return;
    }
    if (step.kind === "hang" && isService(step.target) && backends.services?.pause !== undefined && backends.services.resume !== undefined) {
      yield* injected ? backends.services.pause(step.target) : backends.services.resume(step.target);
      return;
    }
    if (BROKER.test(step.target) && backends.brokers !== undefined) {
      const broker = Number(step.target.slice("kafka-".length));
      if (step.kind === "crash") yield* injected ? backends.brokers.kill(broker) : backends.brokers.restart(broker);
      if (step.kind === "hang") yield* injected ? backends.brokers.pause(broker) : backends.brokers.resume(broker);
      return;
    }
    if (isDeliveryFaultKind(step.kind) && backends.delivery !== undefined) {
      // The services' consumers switch from the event just appended.
      if (backends.delivery === "consumers") return;
      if (injected) yield* backends.delivery.inject(step.target, deliveryFaultOf(step.kind, step.params));
      else yield* backends.delivery.heal(step.target, step.kind);
      return;
    }
    if (isNetworkFault(step.kind) && backends.network !== undefined) {
      yield* injected ? backends.network.inject(step.target, step.kind, step.params) : backends.network.heal(step.target, step.kind);
      return;
    }
    if (step.kind === "malformed" && injected) {
      yield* log.appendBatch(malformedRecords(step.target, `malformed-${event.id.slice(0, 8)}`));
      return;
    }
    if (step.kind === "forge" && injected) {
      if (forgery === undefined) return yield* Effect.logWarning(`forge on ${step.target}: no assigned node to forge a proof of`);
      const proof = yield* makeEvent({
        type: "ProofSubmitted",
        source: "orchestrator",
        causationId: event.id,
        position: 0,
        correlationId: blockCorrelationId(forgery.payload.block),
        slot: event.slot,
        payload: forgedProof(network, forgery, step.target === UNREGISTERED ? UNREGISTERED : step.target),
      });
      yield* appendEvents(log, [proof as ProtocolEvent]);
    }
  });

/** How to run one service in a scope of its own (runService, or a service's run function). */
export type ServiceStarter = Effect.Effect<ServiceHandle<AnyStateMachine>, unknown, EventLog | Scope.Scope>;

/**
 * The services of this process, each in a Scope of its own: `stop` closes it (the host stops
 * consuming, its timers die with it), `start` runs it again, which rebuilds its state by replay
 * of what its consumer group committed and handles the rest live.
 */
export const makeServiceControl = (starters: ReadonlyMap<string, ServiceStarter>) =>
  Effect.gen(function* () {
    const parent = yield* Effect.scope;
    const context = yield* Effect.context<EventLog>();
    const running = new Map<string, { readonly scope: Scope.CloseableScope; readonly handle: ServiceHandle<AnyStateMachine> }>();
    const start = (service: string) =>
      Effect.gen(function* () {
        const starter = starters.get(service);
        if (starter === undefined || running.has(service)) return;
        const scope = yield* Scope.fork(parent, ExecutionStrategy.sequential);
        const handle = yield* starter.pipe(Scope.extend(scope), Effect.provide(context), Effect.orDie);
        running.set(service, { scope, handle });
      });
    const stop = (service: string) =>
      Effect.gen(function* () {
        const r = running.get(service);
        if (r === undefined) return;
        running.delete(service);
        yield* Scope.close(r.scope, Exit.void);
      });
    return {
      control: { start, stop } satisfies ServiceControl,
      /** Starts every service, in the order given. */
      startAll: Effect.forEach([...starters.keys()], start, { discard: true }),
      /** The handles of the services running now. */
      handles: () => [...running.values()].map((r) => r.handle),
    };
  });

/** The brokers a kafka- or containers-mode run starts: a 3-node cluster (RF 3, min ISR 2) when a fault targets `kafka-N`, else one. */
export const kafkaNodesFor = (steps: readonly FaultStep[]): 1 | 3 => (steps.some((step) => BROKER.test(step.target)) ? 3 : 1);

/** Whether a schedule has delivery faults, which need the log wrapped. */
export const hasDeliveryFaults = (steps: readonly FaultStep[]): boolean => steps.some((s) => isDeliveryFaultKind(s.kind));

/** What a service process's environment needs for a schedule: with delivery faults, its consumers follow them (libs/event-log `followDeliveryFaults`). */
export const deliveryFaultsEnv = (steps: readonly FaultStep[]): Record<string, string> => (hasDeliveryFaults(steps) ? { ZKT_DELIVERY_FAULTS: "true" } : {});

/**
 * A fresh embedded log for a run with this schedule: wrapped for delivery faults (shuffles
 * seeded from the network) when it has some; otherwise delivery is the log's own.
 */
export const embeddedLogFor = (network: NetworkConfig, steps: readonly FaultStep[]) =>
  hasDeliveryFaults(steps)
    ? Layer.fresh(DeliveryFaultLog.layer({ random: makeRng(network.seed).fork("delivery-faults") }).pipe(Layer.provide(Layer.fresh(EmbeddedEventLog.layer()))))
    : Layer.fresh(EmbeddedEventLog.layer());
