import { Effect } from "effect";
import { ToxiproxyApiError } from "./errors.ts";

/** Which direction a toxic acts on: client to upstream, or upstream back to the client. */
export type ToxicStream = "upstream" | "downstream";

/** The toxics this package uses, with their attributes as the server's JSON names them. */
export type ToxicKind =
  /** Delays each chunk of data by `latency` ms, ± `jitter` ms. */
  | { readonly type: "latency"; readonly attributes: { readonly latency: number; readonly jitter?: number } }
  /** Drops all data; closes the connection after `timeout` ms (0: never). */
  | { readonly type: "timeout"; readonly attributes: { readonly timeout: number } }
  /** Resets the connection (TCP RST) `timeout` ms after the first data arrives. */
  | { readonly type: "reset_peer"; readonly attributes: { readonly timeout: number } }
  /** Limits the rate to `rate` KB/s. */
  | { readonly type: "bandwidth"; readonly attributes: { readonly rate: number } };

export type ToxicSpec = ToxicKind & {
  /** Defaults to `<type>_<stream>` on the server. */
  readonly name?: string;
  /** Defaults to downstream on the server. */
  readonly stream?: ToxicStream;
  /** The share of connections it applies to, 0..1; defaults to 1. */
  readonly toxicity?: number;
};

export type ToxicInfo = ToxicKind & { readonly name: string; readonly stream: ToxicStream; readonly toxicity: number };

export interface ProxyInfo {
  readonly name: string;
  /** host:port it listens on; the real port once started, also when created with port 0. */
  readonly listen: string;
  readonly upstream: string;
  readonly enabled: boolean;
  readonly toxics: readonly ToxicInfo[];
}

export interface NewProxy {
  readonly name: string;
  /** host:port; port 0 lets the server pick a free one. */
  readonly listen: string;
  readonly upstream: string;
  readonly enabled?: boolean;
}

/** A typed client of the Toxiproxy HTTP API. */
export interface ToxiproxyClient {
  readonly url: string;
  readonly version: Effect.Effect<string, ToxiproxyApiError>;
  readonly proxies: Effect.Effect<Readonly<Record<string, ProxyInfo>>, ToxiproxyApiError>;
  readonly proxy: (name: string) => Effect.Effect<ProxyInfo, ToxiproxyApiError>;
  readonly createProxy: (proxy: NewProxy) => Effect.Effect<ProxyInfo, ToxiproxyApiError>;
  readonly updateProxy: (
    name: string,
    patch: { readonly listen?: string; readonly upstream?: string; readonly enabled?: boolean },
  ) => Effect.Effect<ProxyInfo, ToxiproxyApiError>;
  /** Starts listening again. */
  readonly enable: (name: string) => Effect.Effect<ProxyInfo, ToxiproxyApiError>;
  /** Stops listening and closes every open connection: new ones are refused. */
  readonly disable: (name: string) => Effect.Effect<ProxyInfo, ToxiproxyApiError>;
  readonly deleteProxy: (name: string) => Effect.Effect<void, ToxiproxyApiError>;
  readonly toxics: (proxy: string) => Effect.Effect<readonly ToxicInfo[], ToxiproxyApiError>;
  readonly addToxic: (proxy: string, toxic: ToxicSpec) => Effect.Effect<ToxicInfo, ToxiproxyApiError>;
  readonly removeToxic: (proxy: string, toxic: string) => Effect.Effect<void, ToxiproxyApiError>;
  /** Enables every proxy and removes every toxic. */
  readonly reset: Effect.Effect<void, ToxiproxyApiError>;
}

const REQUEST_TIMEOUT_MS = 10_000;

/** A client of the server at `url` (e.g. http://127.0.0.1:8474); usable from any process. */
export const toxiproxyClient = (url: string): ToxiproxyClient => {
  const base = url.replace(/\/+$/, "");
  const request = <A>(method: string, path: string, body?: unknown): Effect.Effect<A, ToxiproxyApiError> =>
    Effect.tryPromise({
      try: async (signal) => {
        const response = await fetch(`${base}${path}`, {
          method,
          signal: AbortSignal.any([signal, AbortSignal.timeout(REQUEST_TIMEOUT_MS)]),
          ...(body === undefined ? {} : { headers: { "content-type": "application/json" }, body: JSON.stringify(body) }),
        });
        const text = await response.text();
        if (!response.ok) {
          let message = text.trim();
          try {
            message = (JSON.parse(text) as { error?: string }).error ?? message;
          } catch {
            // not JSON: keep the text
          }
          throw new ToxiproxyApiError({ method, path, status: response.status, message });
        }
        return (text.length === 0 ? undefined : JSON.parse(text)) as A;
      },
      catch: (e) =>
        e instanceof ToxiproxyApiError
          ? e
          : new ToxiproxyApiError({ method, path, status: 0, message: e instanceof Error ? e.message : String(e) }),
    });
  const proxyPath = (name: string) => `/proxies/${encodeURIComponent(name)}`;
  const updateProxy: ToxiproxyClient["updateProxy"] = (name, patch) => request<ProxyInfo>("PATCH", proxyPath(name), patch);
  return {
    url: base,
    version: request<{ version: string }>("GET", "/version").pipe(Effect.map((v) => v.version)),
    proxies: request<Record<string, ProxyInfo>>("GET", "/proxies"),
    proxy: (name) => request<ProxyInfo>("GET", proxyPath(name)),
    createProxy: (proxy) => request<ProxyInfo>("POST", "/proxies", { enabled: true, ...proxy }),
    updateProxy,
    enable: (name) => updateProxy(name, { enabled: true }),
    disable: (name) => updateProxy(name, { enabled: false }),
    deleteProxy: (name) => request<void>("DELETE", proxyPath(name)),
    toxics: (proxy) => request<ToxicInfo[]>("GET", `${proxyPath(proxy)}/toxics`),
    addToxic: (proxy, toxic) => request<ToxicInfo>("POST", `${proxyPath(proxy)}/toxics`, toxic),
    removeToxic: (proxy, toxic) => request<void>("DELETE", `${proxyPath(proxy)}/toxics/${encodeURIComponent(toxic)}`),
    reset: request<void>("POST", "/reset"),
  };
};
