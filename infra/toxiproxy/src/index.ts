export * from "./errors.ts";
export { TOXIPROXY_VERSION, buildToxiproxy, toxiproxyPackageDir } from "./build.ts";
export {
  toxiproxyClient,
  type NewProxy,
  type ProxyInfo,
  type ToxicInfo,
  type ToxicKind,
  type ToxicSpec,
  type ToxicStream,
  type ToxiproxyClient,
} from "./client.ts";
export { startToxiproxy, type ToxiproxyOptions, type ToxiproxyServer } from "./server.ts";
export {
  FAULT_TOXIC_PREFIX,
  NETWORK_FAULT_KINDS,
  applyFault,
  healProxy,
  parseNetworkFault,
  toxicsFor,
  type NetworkFault,
  type NetworkFaultKind,
} from "./faults.ts";
export {
  ProxiedKafka,
  brokerFaultControl,
  withProxiedBrokers,
  type BrokerFaultControl,
  type BrokerProxy,
  type ProxiedKafkaApi,
  type ProxiedKafkaError,
  type ProxiedKafkaOptions,
} from "./brokers.ts";
