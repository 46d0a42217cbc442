import { createServer } from "node:net";
import { Effect } from "effect";

/**
 * A TCP port on 127.0.0.1 that was free a moment ago (the OS picks it, the socket is closed
 * again): for a broker, a proxy, a published container port, the beacon. Another process may
 * take it in between; callers that start something on it retry on a new one.
 */
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
