import { Cause, Data } from "effect";
import { describe, expect, it } from "vitest";
import { firstLine } from "./run.ts";

class ClusterDown extends Data.TaggedError("ClusterDown")<{ readonly message?: string }> {}

describe("a run error's one line", () => {
  it("is the error's tag and the first non-blank line of its message", () => {
    expect(firstLine(Cause.fail(new ClusterDown({ message: "\n\nbroker kafka-2 did not start\nits log: ..." })))).toBe("ClusterDown: broker kafka-2 did not start");
    expect(firstLine(Cause.fail(new Error("exit 1")))).toBe("exit 1");
    expect(firstLine(Cause.fail("the brokers took too long"))).toBe("the brokers took too long");
  });

  it("says what failed, and where, when the error has no message", () => {
    expect(firstLine(Cause.fail(new ClusterDown({})))).toMatch(/^ClusterDown without a message \(at .*run\.unit\.test\.ts:\d+:\d+\)$/);
    expect(firstLine(Cause.die(new Error("")))).toMatch(/^Error without a message \(at /);
  });
});
