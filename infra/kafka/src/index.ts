export * from "./errors.ts";
export { fetchJars } from "./jars.ts";
export { apiVersionsProbe } from "./probe.ts";
export {
  BROKER_JVM_OPTIONS,
  KafkaCluster,
  clusterApi,
  killNode,
  livePid,
  prepareCluster,
  startCluster,
  startNode,
  stopCluster,
  stopNode,
  type Advertise,
  type BrokerEndpoint,
  type BrokerNode,
  type ClusterLayout,
  type ClusterOptions,
  type KafkaClusterApi,
  type StartError,
} from "./cluster.ts";
export { infraDown, infraUp, readInfra, reapStrayBrokers } from "./state.ts";
export { cacheDir, repoRoot, stateDir } from "./paths.ts";
export { freeTcpPort } from "./ports.ts";
