import { Console, Effect } from "effect";
import { infraDown, infraUp, livePid, readInfra } from "@zk-testnet/kafka";
import { UsageError, intFlag, parseArgs } from "../args.ts";

const nodesFlag = (argv: readonly string[]) => {
  const parsed = parseArgs(argv, { nodes: "string" });
  if (parsed instanceof UsageError) return parsed;
  if (parsed.positionals.length > 0) return new UsageError({ message: `unexpected argument ${parsed.positionals[0]}` });
  const nodes = intFlag(parsed.flags, "nodes", 1, 1, 3);
  if (nodes instanceof UsageError) return nodes;
  if (nodes !== 1 && nodes !== 3) return new UsageError({ message: "--nodes must be 1 or 3" });
  return nodes;
};

/** `testnet infra up [--nodes 1|3]`: returns once every broker accepts requests. */
const up = (argv: readonly string[]) =>
  Effect.gen(function* () {
    const nodes = nodesFlag(argv);
    if (nodes instanceof UsageError) return yield* nodes;
    const layout = yield* infraUp({ nodes });
    for (const node of layout.nodes) {
      yield* Console.log(`broker ${node.id}: 127.0.0.1:${node.port} (pid ${livePid(node) ?? "?"}, log ${node.logFile})`);
    }
    yield* Console.log(`bootstrap=${layout.bootstrap}`);
  });

const down = (argv: readonly string[]) =>
  Effect.gen(function* () {
    if (argv.length > 0) return yield* new UsageError({ message: `unexpected argument ${argv[0]}` });
    const stopped = yield* infraDown;
    yield* Console.log(stopped === undefined ? "nothing to stop" : `stopped ${stopped.nodes.length} broker(s) of ${stopped.dir}`);
  });

const status = Effect.gen(function* () {
  const layout = readInfra();
  if (layout === undefined) return yield* Console.log("no brokers started by `testnet infra up`");
  for (const node of layout.nodes) {
    const pid = livePid(node);
    yield* Console.log(`broker ${node.id}: 127.0.0.1:${node.port} ${pid === undefined ? "down" : `up (pid ${pid})`}, log ${node.logFile}`);
  }
  yield* Console.log(`bootstrap=${layout.bootstrap}`);
});

export const infraCommand = (argv: readonly string[]) => {
  const [sub, ...rest] = argv;
  switch (sub) {
    case "up":
      return up(rest);
    case "down":
      return down(rest);
    case "status":
      return status;
    default:
      return Effect.fail(new UsageError({ message: `usage: testnet infra up [--nodes 1|3] | infra down | infra status` }));
  }
};
