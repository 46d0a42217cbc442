import { execFile } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const main = fileURLToPath(new URL("../main.ts", import.meta.url));
const testnet = (...args: string[]) =>
  new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
    execFile(process.execPath, [main, ...args], { encoding: "utf8", timeout: 120_000 }, (error, stdout, stderr) =>
      resolve({ status: error === null ? 0 : typeof error.code === "number" ? error.code : null, stdout, stderr }),
    );
  });
const errorLines = (stderr: string) => stderr.split("\n").filter((l) => l.trim() !== "" && !/TimeoutNegativeWarning|Timeout duration|trace-warnings/.test(l));

describe("testnet up --sim", () => {
  it.each([
    [["up", "--sim", "--mode", "kafka"], /--sim and --mode kafka exclude each other/],
    [["up", "--mode", "sim", "--beacon-port", "8080"], /a simulation serves no beacon API/],
    [["up", "--sim", "--brokers", "127.0.0.1:9092"], /--brokers needs --mode kafka/],
  ])("%j fails with one line and exit code 2", { concurrent: true, timeout: 60_000 }, async (args, message) => {
    const result = await testnet(...(args as string[]));
    expect(result.status).toBe(2);
    expect(errorLines(result.stderr)).toEqual([expect.stringMatching(message)]);
  });

  it("runs the network under a virtual clock and prints the summary, metrics and invariant report", { concurrent: true, timeout: 120_000 }, async () => {
    const logOut = join(mkdtempSync(join(tmpdir(), "zkt-up-sim-")), "run.jsonl");
    const args = ["--slots", "2", "--provers", "4", "--txs", "2", "--slot-ms", "1000", "--seed", "up-sim", "--faults", "crash:prover-2@slot1", "--log-out", logOut];
    const started = Date.now();
    const result = await testnet("up", "--sim", ...args);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^testnet: sim mode, 4 provers, 2 blocks of 2 txs, slot 1000 ms, seed up-sim/);
    expect(result.stdout).toMatch(/fault injected: crash on prover-2/);
    expect(result.stdout).toMatch(/time to finality: p50 .* over 2 block\(s\)/);
    expect(result.stdout).toMatch(/all 6 invariants hold/);
    expect(result.stdout).toMatch(/blocks: 2 proposed, 2 finalized/);
    // The virtual run covers 2 slots and a 32-slot proving window: far more than the wall time it takes.
    expect(Date.now() - started).toBeLessThan(34_000);
    const again = await testnet("up", "--mode", "sim", ...args);
    expect(again.stdout).toBe(result.stdout);
  });
});
