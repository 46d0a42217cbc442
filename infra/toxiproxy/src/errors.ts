import { Data } from "effect";

/** toxiproxy-server is neither cached nor buildable (no Go, or the build failed). */
export class ToxiproxyUnavailable extends Data.TaggedError("ToxiproxyUnavailable")<{
  readonly message: string;
}> {}

/** The server process exited or its API never answered; carries the tail of its output. */
export class ToxiproxyFailed extends Data.TaggedError("ToxiproxyFailed")<{
  readonly message: string;
  readonly logTail: string;
}> {}

/** A request to the HTTP API failed: status 0 when the server could not be reached at all. */
export class ToxiproxyApiError extends Data.TaggedError("ToxiproxyApiError")<{
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly message: string;
}> {}

/** A network fault with a missing or malformed parameter. */
export class InvalidFault extends Data.TaggedError("InvalidFault")<{
  readonly message: string;
}> {}
