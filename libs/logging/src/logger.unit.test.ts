import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "@effect/vitest";
import { Effect } from "effect";
import { PinoLogging, makePino } from "./logger.ts";

describe("pino logging", () => {
  it.effect("routes Effect logs to pino JSON with the service and annotation fields", () =>
    Effect.gen(function* () {
      const dir = mkdtempSync(join(tmpdir(), "zkt-log-"));
      const file = join(dir, "aggregator.log");
      const root = makePino({ file });
      yield* Effect.logInfo("node assigned").pipe(
        Effect.annotateLogs({ module: "assignment", block: 7, slot: 7, node: "7/0/3", prover: "prover-2", fee: 5n }),
        Effect.provide(PinoLogging.layer(root, "aggregator")),
      );
      root.flush();
      const line = JSON.parse(readFileSync(file, "utf8").trim().split("\n")[0]!) as Record<string, unknown>;
      rmSync(dir, { recursive: true, force: true });
      expect(line).toMatchObject({ level: 30, service: "aggregator", module: "assignment", block: 7, slot: 7, node: "7/0/3", prover: "prover-2", fee: "5", msg: "node assigned" });
      expect(typeof line["time"]).toBe("string");
    }),
  );
});
