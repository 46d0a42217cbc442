import { Context, Effect, Layer, type Scope } from "effect";
import {
  clusterApi,
  KafkaCluster,
  startCluster,
  stopCluster,
  UnknownBroker,
  type Advertise,
  type ClusterOptions,
  type KafkaClusterApi,
  type StartError,
} from "@zk-testnet/kafka";
import type { ProxyInfo } from "./client.ts";
import type { ToxiproxyApiError, ToxiproxyFailed, ToxiproxyUnavailable } from "./errors.ts";
import { applyFault, healProxy, type NetworkFault } from "./faults.ts";
import { startToxiproxy, type ToxiproxyServer } from "./server.ts";

/** The proxy in front of one broker: clients reach the broker only through `listen`. */
export interface BrokerProxy {
  readonly nodeId: number;
  /** The proxy's name in Toxiproxy. */
  readonly name: string;
  /** host:port that the broker advertises and clients connect to. */
  readonly listen: string;
  /** The broker's own client listener. */
  readonly upstream: string;
}

/** Network faults on the client path of individual brokers, and healing them. */
export interface BrokerFaultControl {
  readonly proxies: readonly BrokerProxy[];
  /** Applies a fault to one broker's proxy; a fault of the same kind there is replaced. */
  readonly fault: (nodeId: number, fault: NetworkFault) => Effect.Effect<void, UnknownBroker | ToxiproxyApiError>;
  /** Removes every fault from one broker's proxy and enables it again. */
  readonly heal: (nodeId: number) => Effect.Effect<void, UnknownBroker | ToxiproxyApiError>;
  readonly healAll: Effect.Effect<void, ToxiproxyApiError>;
  /** The proxy as Toxiproxy has it now: enabled or not, and its toxics. */
  readonly status: (nodeId: number) => Effect.Effect<ProxyInfo, UnknownBroker | ToxiproxyApiError>;
}

/** A fault control over proxies that already exist, e.g. from another process that knows the API URL. */
export const brokerFaultControl = (toxiproxy: Pick<ToxiproxyServer, "client">, proxies: readonly BrokerProxy[]): BrokerFaultControl => {
  const { client } = toxiproxy;
  const proxyOf = (nodeId: number): Effect.Effect<BrokerProxy, UnknownBroker> => {
    const found = proxies.find((p) => p.nodeId === nodeId);
    return found === undefined
      ? Effect.fail(new UnknownBroker({ nodeId, message: `no proxy for broker ${nodeId}` }))
      : Effect.succeed(found);
  };
  return {
    proxies,
    fault: (nodeId, fault) => proxyOf(nodeId).pipe(Effect.flatMap((p) => applyFault(client, p.name, fault))),
    heal: (nodeId) => proxyOf(nodeId).pipe(Effect.flatMap((p) => healProxy(client, p.name))),
    healAll: Effect.forEach(proxies, (p) => healProxy(client, p.name), { discard: true }),
    status: (nodeId) => proxyOf(nodeId).pipe(Effect.flatMap((p) => client.proxy(p.name))),
  };
};

export interface ProxiedKafkaApi extends BrokerFaultControl {
  /** The cluster; its `bootstrap` and `brokers` are the proxies' addresses. */
  readonly cluster: KafkaClusterApi;
  readonly toxiproxy: ToxiproxyServer;
}

export type ProxiedKafkaOptions = Omit<ClusterOptions, "advertise"> & {
  /** A running server to create the proxies on; by default one is started for the scope. */
  readonly toxiproxy?: ToxiproxyServer;
  /** Proxy names are `<prefix>-broker-<id>`; a distinct prefix lets two clusters share one server. */
  readonly proxyPrefix?: string;
};

export type ProxiedKafkaError = StartError | ToxiproxyUnavailable | ToxiproxyFailed | ToxiproxyApiError;

/**
 * Starts Toxiproxy (unless given) and a Kafka cluster whose brokers each advertise one proxy:
 * listen 127.0.0.1:<free port> -> upstream 127.0.0.1:<broker port>. Clients that bootstrap from
 * `cluster.bootstrap` only ever learn proxy addresses from metadata. Replication and the KRaft
 * controller quorum stay direct. Everything is stopped when the scope closes.
 */
export const withProxiedBrokers = (options: ProxiedKafkaOptions): Effect.Effect<ProxiedKafkaApi, ProxiedKafkaError, Scope.Scope> =>
  Effect.gen(function* () {
    const { toxiproxy: given, proxyPrefix, ...clusterOptions } = options;
    const toxiproxy = given ?? (yield* startToxiproxy());
    const prefix = proxyPrefix ?? clusterOptions.label ?? "kafka";
    const proxies: BrokerProxy[] = [];
    // Runs after the cluster has stopped; only matters when the server outlives the scope (a shared one).
    yield* Effect.addFinalizer(() =>
      Effect.forEach(proxies, (p) => toxiproxy.client.deleteProxy(p.name).pipe(Effect.ignore), { discard: true }),
    );
    const advertise: Advertise<ToxiproxyApiError> = (broker) =>
      toxiproxy.client
        .createProxy({ name: `${prefix}-broker-${broker.id}`, listen: "127.0.0.1:0", upstream: `127.0.0.1:${broker.port}` })
        .pipe(
          Effect.map((p) => {
            proxies.push({ nodeId: broker.id, name: p.name, listen: p.listen, upstream: p.upstream });
            return p.listen;
          }),
        );
    const layout = yield* Effect.acquireRelease(startCluster({ ...clusterOptions, advertise }), (l) => stopCluster(l, true));
    return {
      ...brokerFaultControl(toxiproxy, proxies),
      cluster: clusterApi(layout, clusterOptions.heap),
      toxiproxy,
    };
  });

/** A Kafka cluster behind one Toxiproxy proxy per broker, for the scope of a layer. */
export class ProxiedKafka extends Context.Tag("@zk-testnet/toxiproxy/ProxiedKafka")<ProxiedKafka, ProxiedKafkaApi>() {
  /** Provides ProxiedKafka and, for code that only needs the cluster, KafkaCluster. */
  static readonly layer = (options: ProxiedKafkaOptions): Layer.Layer<ProxiedKafka | KafkaCluster, ProxiedKafkaError> =>
    Layer.scopedContext(
      withProxiedBrokers(options).pipe(
        Effect.map((api) => Context.make(ProxiedKafka, api).pipe(Context.add(KafkaCluster, api.cluster))),
      ),
    );
}
