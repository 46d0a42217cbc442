import { Cause, Context, Effect, Exit, Layer, Scope } from "effect";
import { DockerEngine } from "./engine.ts";

/**
 * A Vitest globalSetup for test projects that start containers: runs `engine.sh start` once per
 * run and exports DOCKER_HOST and TESTCONTAINERS_RYUK_DISABLED=true to the test workers; at the end
 * of the run it stops the engine, but only if it was the one that started it.
 *
 * When no engine can be had it exports ZKT_DOCKER_ENGINE_ERROR instead of failing the whole run:
 * tests that need the engine then fail with that reason (DockerEngine.fromEnv), the others run.
 */
export default async function setup(): Promise<() => Promise<void>> {
  const scope = Effect.runSync(Scope.make());
  const exit = await Effect.runPromiseExit(
    Layer.buildWithScope(DockerEngine.layer, scope).pipe(Effect.map((context) => Context.get(context, DockerEngine))),
  );
  if (Exit.isSuccess(exit)) {
    Object.assign(process.env, exit.value.env);
  } else {
    const failure = Cause.failureOption(exit.cause);
    process.env["ZKT_DOCKER_ENGINE_ERROR"] =
      failure._tag === "Some" ? `${failure.value.message}\n${failure.value.logTail}` : Cause.pretty(exit.cause);
  }
  return async () => {
    await Effect.runPromise(Scope.close(scope, Exit.void));
  };
}
