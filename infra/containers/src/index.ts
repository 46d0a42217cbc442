export * from "./errors.ts";
export { ContainerFailed, demuxDockerLog, dockerNetwork, startContainer, type ContainerSpec, type ContainerState, type RunningContainer, type StartedNetwork } from "./containers.ts";
export { DockerEngine, pingEngine, startEngine, stopEngine, type DockerEngineApi, type EngineOrigin } from "./engine.ts";
export { BASE_IMAGE, KAFKA_IMAGE, NODE_SERVICE_IMAGE, ensureImages, ensureToxiproxyImage, type Images } from "./images.ts";
export { KAFKA_CONTAINER_PORT, KAFKA_NETWORK_PORT, clusterKafkaEnv, clusterNodeAlias, freeTcpPort, networkKafkaEnv, singleNodeKafkaEnv } from "./kafka-env.ts";
export { buildImagesScript, containersDir, engineLogFile, engineScript, engineStateDir } from "./paths.ts";
