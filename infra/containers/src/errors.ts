import { Data } from "effect";

/** No Docker engine answers and none could be started; carries the tail of the engine's log. */
export class EngineUnavailable extends Data.TaggedError("EngineUnavailable")<{
  readonly message: string;
  readonly logFile: string;
  readonly logTail: string;
}> {}

/** build-images.sh failed; carries the end of its output. */
export class ImageBuildFailed extends Data.TaggedError("ImageBuildFailed")<{
  readonly message: string;
  readonly outputTail: string;
}> {}

export type ContainersError = EngineUnavailable | ImageBuildFailed;
