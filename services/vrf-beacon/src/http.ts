import { createServer } from "node:http";
import { HttpRouter, HttpServerResponse, type HttpServerError } from "@effect/platform";
import { NodeHttpServer } from "@effect/platform-node";
import { Data, Effect, type Scope } from "effect";
import { beaconChainInfo, type DrandBeacon, type DrandChainInfo } from "@zk-testnet/crypto";
import type { BeaconSpec } from "@zk-testnet/network";
import type { Round } from "@zk-testnet/protocol";
import type { BeaconContext } from "./machine.ts";

/** A network whose beacon cannot be described to drand clients (drand counts whole seconds). */
export class BeaconChainUnsupported extends Data.TaggedError("BeaconChainUnsupported")<{ readonly message: string }> {}

/** The drand chain info of the beacon: period and genesis in seconds, round 1 at genesis. */
export const chainInfoOf = (params: {
  readonly publicKey: string;
  readonly genesisMs: number;
  readonly slotMs: number;
  readonly beaconId: string;
  /** The scheme of the rounds (`/info`'s schemeID); by default drand's bls-unchained-g1-rfc9380. */
  readonly scheme?: string;
}): Effect.Effect<DrandChainInfo, BeaconChainUnsupported> =>
  params.slotMs % 1000 !== 0 || params.slotMs < 1000 || params.genesisMs % 1000 !== 0
    ? Effect.fail(
        new BeaconChainUnsupported({
          message: `drand needs whole seconds: slot length ${params.slotMs} ms and genesis ${params.genesisMs} ms must be multiples of 1000`,
        }),
      )
    : Effect.succeed(
        beaconChainInfo({
          publicKey: params.publicKey,
          periodSeconds: params.slotMs / 1000,
          genesisTime: params.genesisMs / 1000,
          beaconId: params.beaconId,
          ...(params.scheme === undefined ? {} : { schemeId: params.scheme }),
        }),
      );

/** "" or "/a/b": a leading slash, no trailing one. */
export const normalizeBasePath = (basePath: string): string => {
  const trimmed = basePath.trim().replace(/\/+$/, "");
  return trimmed === "" ? "" : trimmed.startsWith("/") ? trimmed : `/${trimmed}`;
};

/** The beacon's state as the API reads it: the rounds published so far. */
export type PublishedRounds = Pick<BeaconContext, "latest" | "rounds">;

const CORS = { "access-control-allow-origin": "*" } as const;
// A published round never changes, as on drand's own API.
const IMMUTABLE = { ...CORS, "cache-control": "public, max-age=604800, immutable" } as const;

const problem = (status: number, error: string) => HttpServerResponse.unsafeJson({ error }, { status, headers: CORS });

const beaconOf = (state: PublishedRounds, round: number): DrandBeacon | undefined => {
  const published = state.rounds[String(round)];
  return published === undefined ? undefined : { round: round as Round, randomness: published.randomness, signature: published.signature };
};

/** A round in a path: a positive decimal integer (drand counts from 1), or undefined. */
export const parseRound = (text: string | undefined): number | undefined => {
  if (text === undefined || !/^[1-9][0-9]{0,15}$/.test(text)) return undefined;
  const round = Number(text);
  return Number.isSafeInteger(round) ? round : undefined;
};

/**
 * drand's HTTP API over the beacon's rounds: `GET <base>/info`, `GET <base>/public/latest`,
 * `GET <base>/public/{round}`; errors are JSON `{ "error": ... }` (400 for a malformed round,
 * 404 for one not published yet or an unknown path).
 */
export const beaconRouter = (basePath: string, info: DrandChainInfo, rounds: Effect.Effect<PublishedRounds>) => {
  const base = normalizeBasePath(basePath);
  const path = (suffix: string) => `${base}${suffix}` as `/${string}`;
  return HttpRouter.empty.pipe(
    HttpRouter.get(path("/info"), Effect.succeed(HttpServerResponse.unsafeJson(info, { headers: CORS }))),
    HttpRouter.get(
      path("/public/latest"),
      Effect.map(rounds, (state) => {
        const beacon = beaconOf(state, state.latest);
        return beacon === undefined ? problem(404, "no round published yet") : HttpServerResponse.unsafeJson(beacon, { headers: CORS });
      }),
    ),
    HttpRouter.get(
      path("/public/:round"),
      Effect.gen(function* () {
        const params = yield* HttpRouter.params;
        const round = parseRound(params["round"]);
        if (round === undefined) return problem(400, `round must be a positive integer, got ${JSON.stringify(params["round"] ?? "")}`);
        const beacon = beaconOf(yield* rounds, round);
        return beacon === undefined ? problem(404, `round ${round} not published yet`) : HttpServerResponse.unsafeJson(beacon, { headers: IMMUTABLE });
      }),
    ),
    Effect.catchTag("RouteNotFound", () => Effect.succeed(problem(404, "not found"))),
  );
};

/** Serves the API on 127.0.0.1 until the scope closes; port 0 picks a free one. Returns the base URL. */
export const serveBeaconApi = (options: {
  readonly beacon: BeaconSpec;
  readonly info: DrandChainInfo;
  readonly rounds: Effect.Effect<PublishedRounds>;
}): Effect.Effect<{ readonly url: string; readonly port: number }, HttpServerError.ServeError, Scope.Scope> =>
  Effect.gen(function* () {
    const node = createServer();
    const server = yield* NodeHttpServer.make(() => node, { host: "127.0.0.1", port: options.beacon.port });
    // Kept-alive client connections would hold the close up; the API has nothing in flight worth waiting for.
    yield* Effect.addFinalizer(() => Effect.sync(() => node.closeAllConnections()));
    yield* server.serve(beaconRouter(options.beacon.basePath, options.info, options.rounds));
    const port = server.address._tag === "TcpAddress" ? server.address.port : options.beacon.port;
    return { url: `http://127.0.0.1:${port}${normalizeBasePath(options.beacon.basePath)}`, port };
  });
