import { createServer } from "node:net";
import { Effect } from "effect";

/** A TCP port that is free on 127.0.0.1 right now (the OS picks it). */
export const freeTcpPort: Effect.Effect<number> = Effect.async<number>((resume) => {
  const server = createServer();
  server.unref();
  server.once("error", (error) => resume(Effect.die(error)));
  server.listen(0, "127.0.0.1", () => {
    const address = server.address();
    const port = typeof address === "object" && address !== null ? address.port : 0;
    server.close(() => resume(port > 0 ? Effect.succeed(port) : Effect.die(new Error("no port assigned"))));
  });
});

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
});
