import { Effect, type Scope } from "effect";
import { applyFault, FAULT_TOXIC_PREFIX, parseNetworkFault, startToxiproxy, type ToxiproxyClient, type ToxiproxyServer } from "@zk-testnet/toxiproxy";
import { isNetworkFault, SERVICE_NAMES, type FaultStep, type NetworkControl } from "./faults.ts";

// Network faults in kafka mode: each process a fault targets (a service, or a prover alone in a
// prover-pool process of its own) reaches the brokers through Toxiproxy proxies of its own, one a
// broker. The brokers advertise their own addresses; the process's Kafka client routes each
// broker address to its proxy (ZKT_BROKER_ROUTES), so it cannot go around them, and every other
// process connects directly, untouched by the fault.

/** The prover-pool process that runs one prover alone, for network faults on that prover. */
export const isolatedShardOf = (prover: string): string => `prover-pool-${prover}`;

/** The targets of a schedule's network faults: services, and provers to run alone. */
export const networkTargets = (steps: readonly FaultStep[]) => {
  const targets = new Set(steps.filter((s) => isNetworkFault(s.kind)).map((s) => s.target));
  const services = [...targets].filter((t) => (SERVICE_NAMES as readonly string[]).includes(t));
  const provers = [...targets].filter((t) => !services.includes(t));
  return { services, provers };
};

/** The process whose traffic a network fault on `target` goes through. */
const processOf = (target: string): string => ((SERVICE_NAMES as readonly string[]).includes(target) ? target : isolatedShardOf(target));

export interface ProcessProxies {
  readonly server: ToxiproxyServer;
  /** ZKT_BROKER_ROUTES of each proxied process: broker address to its proxy. */
  readonly routesOf: (process: string) => string | undefined;
  readonly control: NetworkControl;
}

/**
 * Network faults through Toxiproxy on the proxies a target's traffic goes through: `partition`
 * takes them down, the others add toxics; a heal removes only its own kind's toxics (a latency
 * and a bandwidth cap on one target heal apart).
 */
export const toxiproxyControl = (client: ToxiproxyClient, proxiesOf: (target: string) => readonly string[] | undefined, via: string): NetworkControl => ({
  via,
  unsupported: (kind, target) => (proxiesOf(target) !== undefined ? undefined : `${kind} of ${target}: it has no proxies of its own (the run was planned without this fault)`),
  inject: (target, kind, params) =>
    Effect.gen(function* () {
      const fault = yield* parseNetworkFault(kind === "partition" ? "down" : kind, { ...params, ...(kind === "timeout" && params["ms"] === undefined ? { ms: "0" } : {}) });
      for (const proxy of proxiesOf(target) ?? []) yield* applyFault(client, proxy, fault);
    }).pipe(Effect.catchAll((e) => Effect.logWarning(`network fault ${kind} on ${target} not carried out: ${e.message}`))),
  heal: (target, kind) =>
    Effect.forEach(
      proxiesOf(target) ?? [],
      (proxy) =>
        kind === "partition"
          ? client.enable(proxy)
          : Effect.flatMap(client.toxics(proxy), (toxics) =>
              Effect.forEach(
                toxics.filter((t) => t.name.startsWith(`${FAULT_TOXIC_PREFIX}${kind}-`)),
                (t) => client.removeToxic(proxy, t.name),
                { discard: true },
              ),
            ),
      { discard: true },
    ).pipe(Effect.catchAll((e) => Effect.logWarning(`heal of ${kind} on ${target} not carried out: ${e.message}`))),
});

/** A proxy name Toxiproxy accepts: the process and the broker's index. */
export const proxyName = (process: string, broker: number) => `${process.replace(/[^\w-]/g, "_")}-broker-${broker + 1}`;

/**
 * Starts Toxiproxy (built from the Go module proxy on first use) and one proxy per broker for
 * each process, all passing traffic untouched until a fault is injected. Stopped with the scope.
 */
export const proxyProcesses = (
  processes: readonly string[],
  brokers: readonly string[],
): Effect.Effect<ProcessProxies, unknown, Scope.Scope> =>
  Effect.gen(function* () {
    const server = yield* startToxiproxy();
    const client: ToxiproxyClient = server.client;
    const routes = new Map<string, string>();
    const proxies = new Map<string, string[]>();
    for (const process of processes) {
      const names: string[] = [];
      const entries: string[] = [];
      for (const [i, broker] of brokers.entries()) {
        const created = yield* client.createProxy({ name: proxyName(process, i), listen: "127.0.0.1:0", upstream: broker });
        names.push(created.name);
        entries.push(`${broker}=${created.listen}`);
      }
      proxies.set(process, names);
      routes.set(process, entries.join(","));
    }
    const control = toxiproxyControl(client, (target) => proxies.get(processOf(target)), "toxiproxy");
    return { server, routesOf: (process) => routes.get(process), control };
  });
