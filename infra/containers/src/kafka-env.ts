import { BROKER_JVM_OPTIONS } from "@zk-testnet/kafka";

export { freeTcpPort } from "@zk-testnet/kafka";

/** The broker JVM's options in a container: the same as a broker process's (see BROKER_JVM_OPTIONS). */
const BROKER_JVM_OPTS = BROKER_JVM_OPTIONS.join(" ");

/** The port the broker's client listener uses inside the container. */
export const KAFKA_CONTAINER_PORT = 9092;

/**
 * Environment for a single-node KRaft broker+controller in a container (zk-testnet/kafka or the
 * official apache/kafka image) whose client port 9092 is published on `hostPort` of 127.0.0.1.
 * Clients are told to use 127.0.0.1:hostPort; the broker talks to itself on a listener of its
 * own (BROKER, 127.0.0.1:9094 inside the container) and the controller listens on 9093.
 */
export const singleNodeKafkaEnv = (
  hostPort: number,
  options: { readonly clusterId?: string; readonly heap?: string } = {},
): Record<string, string> => ({
  CLUSTER_ID: options.clusterId ?? "2NiEhidWSUiAVYoFpr6l3A",
  KAFKA_NODE_ID: "1",
  KAFKA_PROCESS_ROLES: "broker,controller",
  KAFKA_LISTENERS: `PLAINTEXT://0.0.0.0:${KAFKA_CONTAINER_PORT},BROKER://127.0.0.1:9094,CONTROLLER://127.0.0.1:9093`,
  KAFKA_ADVERTISED_LISTENERS: `PLAINTEXT://127.0.0.1:${hostPort},BROKER://127.0.0.1:9094`,
  KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: "PLAINTEXT:PLAINTEXT,BROKER:PLAINTEXT,CONTROLLER:PLAINTEXT",
  KAFKA_INTER_BROKER_LISTENER_NAME: "BROKER",
  KAFKA_CONTROLLER_LISTENER_NAMES: "CONTROLLER",
  KAFKA_CONTROLLER_QUORUM_VOTERS: "1@127.0.0.1:9093",
  KAFKA_LOG_DIRS: "/tmp/kraft-combined-logs",
  KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: "1",
  KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: "1",
  KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: "1",
  KAFKA_SHARE_COORDINATOR_STATE_TOPIC_REPLICATION_FACTOR: "1",
  KAFKA_SHARE_COORDINATOR_STATE_TOPIC_MIN_ISR: "1",
  KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: "0",
  KAFKA_HEAP_OPTS: options.heap ?? "-Xmx512M -Xms512M",
  KAFKA_JVM_PERFORMANCE_OPTS: BROKER_JVM_OPTS,
});

/** The port of the listener that containers on the broker's Docker network use. */
export const KAFKA_NETWORK_PORT = 19092;

/**
 * Environment for a single-node KRaft broker+controller on a Docker network, reached two ways:
 * containers on that network use `alias:19092` (KAFKA_NETWORK_PORT, the DOCKER listener,
 * advertised under the network alias), clients on this machine use 127.0.0.1:hostPort (port 9092
 * published there, the PLAINTEXT listener advertised as such). Kafka hands a client the advertised
 * address of the listener it connected to, so each side is only ever sent addresses it can reach.
 * The broker talks to itself on BROKER (127.0.0.1:9094), so it needs no network to do so; its
 * data is in /var/lib/kafka/data, the container's own file system, which a stop and start keep.
 */
export const networkKafkaEnv = (
  alias: string,
  hostPort: number,
  options: { readonly clusterId?: string; readonly heap?: string } = {},
): Record<string, string> => ({
  ...singleNodeKafkaEnv(hostPort, options),
  KAFKA_LISTENERS: `PLAINTEXT://0.0.0.0:${KAFKA_CONTAINER_PORT},DOCKER://0.0.0.0:${KAFKA_NETWORK_PORT},BROKER://127.0.0.1:9094,CONTROLLER://127.0.0.1:9093`,
  KAFKA_ADVERTISED_LISTENERS: `PLAINTEXT://127.0.0.1:${hostPort},DOCKER://${alias}:${KAFKA_NETWORK_PORT},BROKER://127.0.0.1:9094`,
  KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: "PLAINTEXT:PLAINTEXT,DOCKER:PLAINTEXT,BROKER:PLAINTEXT,CONTROLLER:PLAINTEXT",
  KAFKA_LOG_DIRS: "/var/lib/kafka/data",
});

/** The Docker network alias of node `n` (1-based) of a containers-mode cluster. */
export const clusterNodeAlias = (node: number): string => `kafka-${node}`;

/**
 * Environment for node `node` (1 to `nodes`) of a KRaft cluster of broker+controller containers
 * on one Docker network, as kafka mode's 3-node cluster: replication factor `nodes`,
 * `min.insync.replicas` 2 (1 for fewer than 3 nodes), a 6 s broker session so a killed node is
 * noticed within seconds. Each node is reached as `kafka-N:19092` by the containers and as
 * 127.0.0.1:hostPort (its own published port) from this machine; the nodes replicate over
 * `kafka-N:9094` and vote over `kafka-N:9093`. Data in /var/lib/kafka/data, which a stop and
 * start keep.
 */
export const clusterKafkaEnv = (
  node: number,
  nodes: number,
  hostPort: number,
  options: { readonly clusterId?: string; readonly heap?: string } = {},
): Record<string, string> => {
  const alias = clusterNodeAlias(node);
  const minIsr = nodes >= 3 ? "2" : "1";
  return {
    CLUSTER_ID: options.clusterId ?? "2NiEhidWSUiAVYoFpr6l3A",
    KAFKA_NODE_ID: String(node),
    KAFKA_PROCESS_ROLES: "broker,controller",
    KAFKA_LISTENERS: `PLAINTEXT://0.0.0.0:${KAFKA_CONTAINER_PORT},DOCKER://0.0.0.0:${KAFKA_NETWORK_PORT},BROKER://0.0.0.0:9094,CONTROLLER://0.0.0.0:9093`,
    KAFKA_ADVERTISED_LISTENERS: `PLAINTEXT://127.0.0.1:${hostPort},DOCKER://${alias}:${KAFKA_NETWORK_PORT},BROKER://${alias}:9094`,
    KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: "PLAINTEXT:PLAINTEXT,DOCKER:PLAINTEXT,BROKER:PLAINTEXT,CONTROLLER:PLAINTEXT",
    KAFKA_INTER_BROKER_LISTENER_NAME: "BROKER",
    KAFKA_CONTROLLER_LISTENER_NAMES: "CONTROLLER",
    KAFKA_CONTROLLER_QUORUM_VOTERS: Array.from({ length: nodes }, (_, i) => `${i + 1}@${clusterNodeAlias(i + 1)}:9093`).join(","),
    KAFKA_LOG_DIRS: "/var/lib/kafka/data",
    KAFKA_DEFAULT_REPLICATION_FACTOR: String(nodes),
    KAFKA_MIN_INSYNC_REPLICAS: minIsr,
    KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: String(nodes),
    KAFKA_OFFSETS_TOPIC_NUM_PARTITIONS: "10",
    KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: String(nodes),
    KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: minIsr,
    KAFKA_SHARE_COORDINATOR_STATE_TOPIC_REPLICATION_FACTOR: String(nodes),
    KAFKA_SHARE_COORDINATOR_STATE_TOPIC_MIN_ISR: minIsr,
    KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: "0",
    KAFKA_BROKER_SESSION_TIMEOUT_MS: "6000",
    KAFKA_BROKER_HEARTBEAT_INTERVAL_MS: "1000",
    KAFKA_HEAP_OPTS: options.heap ?? "-Xmx384M -Xms384M",
    KAFKA_JVM_PERFORMANCE_OPTS: BROKER_JVM_OPTS,
  };
};
