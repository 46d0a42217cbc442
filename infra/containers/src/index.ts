export * from "./errors.ts";
export { DockerEngine, pingEngine, startEngine, stopEngine, type DockerEngineApi, type EngineOrigin } from "./engine.ts";
export { BASE_IMAGE, KAFKA_IMAGE, ensureImages, type Images } from "./images.ts";
export { KAFKA_CONTAINER_PORT, freeTcpPort, singleNodeKafkaEnv } from "./kafka-env.ts";
export { buildImagesScript, containersDir, engineLogFile, engineScript, engineStateDir } from "./paths.ts";
