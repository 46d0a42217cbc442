import { createServer } from "node:net";
import { Effect } from "effect";

/** A port on 127.0.0.1 that was free a moment ago. */
export const freePort: Effect.Effect<number> = Effect.promise(
  () =>
    new Promise<number>((resolve, reject) => {
      const server = createServer();
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => {
        const address = server.address();
        server.close(() => resolve(typeof address === "object" && address !== null ? address.port : 0));
      });
    }),
);
