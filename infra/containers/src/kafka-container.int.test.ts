import { Effect, Either } from "effect";
import kafkajs from "kafkajs";
import { GenericContainer, Wait, getContainerRuntimeClient, type StartedTestContainer } from "testcontainers";
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from "vitest";
import { DockerEngine } from "./engine.ts";
import { KAFKA_IMAGE, ensureImages } from "./images.ts";
import { KAFKA_CONTAINER_PORT, freeTcpPort, singleNodeKafkaEnv } from "./kafka-env.ts";

const { Kafka, Partitioners, logLevel } = kafkajs;

// ZKT_KAFKA_IMAGE=apache/kafka:4.1.2 runs the same test on the official image (needs a registry).
const image = process.env["ZKT_KAFKA_IMAGE"] ?? KAFKA_IMAGE;
const topic = "container-pause";

/** Resolves when `done()` holds, polling; rejects after `ms`. */
const eventually = async (what: string, done: () => boolean, ms = 60_000): Promise<void> => {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
};

/** Whether a promise is still pending after `ms`. */
const stillPendingAfter = async (promise: Promise<unknown>, ms: number): Promise<boolean> => {
  const pending = Symbol("pending");
  const winner = await Promise.race([
    promise.then(
      () => "settled",
      () => "settled",
    ),
    new Promise((resolve) => setTimeout(() => resolve(pending), ms)),
  ]);
  return winner === pending;
};

describe("zk-testnet/kafka in a container", () => {
  let container: StartedTestContainer | undefined;
  let hostPort = 0;
  const brokerLog: string[] = [];

  // Set when the engine, the image or the container is not there. The test then fails with it:
  // a failing beforeAll alone would only mark the test as skipped.
  let setupError: Error | undefined;

  const setUp = async (): Promise<void> => {
    // DOCKER_HOST comes from the test runner's global setup (engine.sh start).
    const ready = await Effect.runPromise(
      Effect.gen(function* () {
        const engine = yield* DockerEngine;
        if (image === KAFKA_IMAGE) yield* ensureImages;
        return engine;
      }).pipe(Effect.provide(DockerEngine.fromEnv), Effect.either),
    );
    if (Either.isLeft(ready)) {
      const error = ready.left;
      const detail = error._tag === "EngineUnavailable" ? error.logTail : error.outputTail;
      throw new Error(`${error._tag}: ${error.message}${detail ? `\n${detail}` : ""}`);
    }
    if (process.env["TESTCONTAINERS_RYUK_DISABLED"] !== "true") {
      throw new Error("TESTCONTAINERS_RYUK_DISABLED must be true: the reaper's image cannot be pulled without a registry");
    }

    hostPort = await Effect.runPromise(freeTcpPort);
    container = await new GenericContainer(image)
      .withExposedPorts({ container: KAFKA_CONTAINER_PORT, host: hostPort })
      .withEnvironment(singleNodeKafkaEnv(hostPort))
      .withLogConsumer((stream) => stream.on("data", (chunk: Buffer | string) => brokerLog.push(chunk.toString())))
      .withWaitStrategy(Wait.forLogMessage("Kafka Server started"))
      .withStartupTimeout(120_000)
      .start();
  };

  beforeAll(async () => {
    try {
      await setUp();
    } catch (error) {
      setupError = error instanceof Error ? error : new Error(String(error));
    }
  });

  afterAll(async () => {
    await container?.stop({ timeout: 10_000 });
  });

  it("produces and consumes through the published port, across a pause and unpause of the container", async () => {
    if (setupError !== undefined) throw setupError;
    onTestFailed(() => {
      console.error(`--- broker container log, last 60 lines ---\n${brokerLog.join("").split("\n").slice(-60).join("\n")}`);
    });
    const started = container;
    if (started === undefined) throw new Error("the container did not start");
    expect(started.getMappedPort(KAFKA_CONTAINER_PORT)).toBe(hostPort);

    const kafka = new Kafka({
      clientId: "containers-int-test",
      brokers: [`127.0.0.1:${hostPort}`],
      logLevel: logLevel.NOTHING,
      requestTimeout: 30_000,
    });
    const admin = kafka.admin();
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    const consumer = kafka.consumer({ groupId: "containers-int-test", sessionTimeout: 30_000 });
    try {
      await Promise.all([admin.connect(), producer.connect(), consumer.connect()]);
      await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });

      const received: string[] = [];
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ message }) => {
          received.push(message.value?.toString() ?? "");
        },
      });

      await producer.send({ topic, acks: -1, messages: [{ key: "k", value: "before-pause" }] });
      await eventually("the first message", () => received.length >= 1);
      expect(received).toEqual(["before-pause"]);

      // Freeze every process of the broker (cgroup freezer), as a network partition or a stalled
      // machine would: a request sent now gets no answer until the container is thawed.
      const client = await getContainerRuntimeClient();
      const handle = client.container.getById(started.getId());
      await handle.pause();
      expect((await handle.inspect()).State.Paused).toBe(true);
      const duringPause = producer.send({ topic, acks: -1, messages: [{ key: "k", value: "during-pause" }] });
      duringPause.catch(() => undefined);
      expect(await stillPendingAfter(duringPause, 3_000)).toBe(true);

      await handle.unpause();
      expect((await handle.inspect()).State.Paused).toBe(false);
      // The client recovers on its own: the request sent during the pause is answered, and new ones work.
      await duringPause;
      await producer.send({ topic, acks: -1, messages: [{ key: "k", value: "after-unpause" }] });
      await eventually("the messages sent during and after the pause", () => received.length >= 3);
      expect(received).toEqual(["before-pause", "during-pause", "after-unpause"]);
    } finally {
      await Promise.allSettled([consumer.disconnect(), producer.disconnect(), admin.disconnect()]);
    }
  });
});
