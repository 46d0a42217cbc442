import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const main = fileURLToPath(new URL("./main.ts", import.meta.url));
const testnet = (...args: string[]) => spawnSync(process.execPath, [main, ...args], { encoding: "utf8", timeout: 60_000 });

describe("testnet CLI", () => {
  it.each([
    [["up", "--provers", "0"], /--provers must be a whole number/],
    [["up", "--txs", "-1"], /--txs must be a whole number/],
    [["up", "--frobnicate"], /unknown flag --frobnicate/],
    [["up", "--mode", "kafka", "--brokers", "127.0.0.1:1"], /no Kafka broker answers at 127\.0\.0\.1:1/],
    [["up", "--mode", "kafka", "--brokers", "not a broker"], /--brokers must be host:port/],
    [["up", "--slot-ms", "1500"], /multiple of 1000/],
    [["replay"], /usage: testnet replay/],
    [["replay", "/nonexistent/run.jsonl"], /no such file/],
    [["infra", "up", "--nodes", "2"], /--nodes must be 1 or 3/],
    [["launch"], /unknown command launch/],
  ])("%j fails with one line and exit code 2", (args, message) => {
    const result = testnet(...(args as string[]));
    expect(result.status).toBe(2);
    const stderr = result.stderr.split("\n").filter((l) => l.trim() !== "" && !/TimeoutNegativeWarning|Timeout duration|trace-warnings/.test(l));
    expect(stderr).toHaveLength(1);
    expect(stderr[0]).toMatch(message);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});
