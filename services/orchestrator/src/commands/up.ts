import { Console, Effect } from "effect";
import { KafkaCluster, apiVersionsProbe } from "@zk-testnet/kafka";
import { UsageError, intFlag, parseArgs } from "../args.ts";

/**
 * `testnet up [--nodes 1|3] [--once]`. For now this brings up the infrastructure the testnet
 * runs on (Kafka in KRaft mode on 127.0.0.1), checks that every broker answers, and keeps it
 * up until Ctrl-C; the services are not there yet (see README, "Not done yet").
 */
export const upCommand = (argv: readonly string[]) =>
  Effect.gen(function* () {
    const parsed = parseArgs(argv, { nodes: "string", once: "boolean" });
    if (parsed instanceof UsageError) return yield* parsed;
    if (parsed.positionals.length > 0) return yield* new UsageError({ message: `unexpected argument ${parsed.positionals[0]}` });
    const nodes = intFlag(parsed.flags, "nodes", 1, 1, 3);
    if (nodes instanceof UsageError) return yield* nodes;
    if (nodes !== 1 && nodes !== 3) return yield* new UsageError({ message: "--nodes must be 1 or 3" });

    yield* Effect.gen(function* () {
      const cluster = yield* KafkaCluster;
      for (const node of cluster.layout.nodes) {
        const ok = yield* Effect.promise(() => apiVersionsProbe("127.0.0.1", node.port));
        yield* Console.log(`broker ${node.id}: 127.0.0.1:${node.port} ${ok ? "answers ApiVersions" : "DOES NOT ANSWER"} (log ${node.logFile})`);
      }
      yield* Console.log(`brokers: ${cluster.bootstrap}`);
      yield* Console.log("services: not implemented yet; only the infrastructure is up");
      if (parsed.flags["once"] === true) return;
      yield* Console.log("press Ctrl-C to stop");
      yield* Effect.never;
    }).pipe(Effect.provide(KafkaCluster.layer({ nodes, label: "up" })));
    yield* Console.log("stopped");
  });
