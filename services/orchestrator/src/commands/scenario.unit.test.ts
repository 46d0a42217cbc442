import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { scenarioNames } from "../scenario/load.ts";

const main = fileURLToPath(new URL("../main.ts", import.meta.url));
/** Runs the CLI as a process (exit codes are part of its contract); several at once, as each mostly loads modules. */
const testnet = (...args: string[]) =>
  new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
    execFile(process.execPath, [main, ...args], { encoding: "utf8", timeout: 120_000 }, (error, stdout, stderr) =>
      resolve({ status: error === null ? 0 : typeof error.code === "number" ? error.code : null, stdout, stderr }),
    );
  });
const errorLines = (stderr: string) => stderr.split("\n").filter((l) => l.trim() !== "" && !/TimeoutNegativeWarning|Timeout duration|trace-warnings/.test(l));

const dir = mkdtempSync(join(tmpdir(), "zkt-scenario-cli-"));
const badFile = join(dir, "bad.yaml");
writeFileSync(badFile, "name: bad\ndescription: a scenario with a typo\nnetwork: { provers: 4, slotMs: 1000 }\nslots: 2\nexpect:\n  takeovers: { atleast: 1 }\n");
/** A scenario that cannot pass: a healthy network never takes a node over. */
const failingFile = join(dir, "never-takes-over.yaml");
writeFileSync(
  failingFile,
  [
    "name: never-takes-over",
    "description: expects a takeover from a network without faults",
    "network: { provers: 4, txPerBlock: 2, slotMs: 1000, params: { epochSlots: 4, provingWindowEpochs: 2 } }",
    "slots: 2",
    "expect:",
    "  allFinalized: true",
    "  takeovers: { atLeast: 1 }",
    "",
  ].join("\n"),
);

describe("testnet scenario", () => {
  it.each([
    [["scenario"], /usage: testnet scenario list \| scenario run/],
    [["scenario", "run"], /usage: testnet scenario list \| scenario run/],
    [["scenario", "run", "no-such-scenario"], /no scenario named no-such-scenario in e2e\/scenarios \(one of: .*baseline-honest/],
    [["scenario", "run", "baseline-honest", "--mode", "cloud"], /--mode must be one of sim, embedded, kafka, containers, got cloud/],
    [["scenario", "run", "baseline-honest", "--seed", "1", "--seeds", "2"], /--seed and --seeds exclude each other/],
    [["scenario", "run", "baseline-honest", "--brokers", "127.0.0.1:9092"], /--brokers needs --mode kafka/],
    [["scenario", "run", "baseline-honest", "--mode", "kafka", "--seeds", "2", "--brokers", "127.0.0.1:1"], /--brokers takes one run/],
    [["scenario", "run", "all", "--mode", "kafka", "--brokers", "127.0.0.1:1"], /--brokers takes one run/],
    [["scenario", "run", "baseline-honest", "--mode", "kafka", "--seed", "1", "--brokers", "127.0.0.1:1"], /no Kafka broker answers at 127\.0\.0\.1:1/],
    // A real-time mode runs seed 1 alone unless told otherwise: one run, so --brokers may serve it.
    [["scenario", "run", "baseline-honest", "--mode", "kafka", "--brokers", "127.0.0.1:1"], /no Kafka broker answers at 127\.0\.0\.1:1/],
    [["scenario", "run", "/nonexistent/x.yaml"], /\/nonexistent\/x\.yaml: no such file/],
    [["scenario", "run", badFile], /bad\.yaml:6: expect\.takeovers\.atleast: is not a field here/],
    [["scenario", "run", failingFile, "--mode", "embedded"], /scenario never-takes-over runs in sim, not embedded/],
  ])("%j fails with one line and exit code 2", { concurrent: true, timeout: 60_000 }, async (args, message) => {
    const result = await testnet(...(args as string[]));
    expect(result.status).toBe(2);
    const stderr = errorLines(result.stderr);
    expect(stderr).toHaveLength(1);
    expect(stderr[0]).toMatch(message);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it("lists every scenario of the catalogue with its modes and description", { concurrent: true, timeout: 60_000 }, async () => {
    const result = await testnet("scenario", "list");
    expect(result.status).toBe(0);
    const lines = result.stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^NAME\s+MODES\s+DESCRIPTION$/);
    expect(lines.slice(1).map((l) => l.split(/\s+/)[0])).toEqual(scenarioNames());
    expect(result.stdout).toMatch(/baseline-honest\s+sim,embedded,kafka,containers\s+Six honest provers/);
  });

  it("runs a scenario with one seed, exit 0, and writes both reports", { concurrent: true, timeout: 120_000 }, async () => {
    const reportDir = join(dir, "pass");
    const result = await testnet("scenario", "run", "baseline-honest", "--seed", "3", "--report-dir", reportDir);
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/PASSED +baseline-honest seed 3 \(sim\)/);
    expect(result.stdout).toMatch(/1 passed, 0 failed, 0 errors/);
    const report = JSON.parse(readFileSync(join(reportDir, "report.json"), "utf8"));
    expect(report.scenarios[0].runs[0]).toMatchObject({ seed: "3", mode: "sim", outcome: "passed", violations: [], expectationFailures: [] });
    expect(report.scenarios[0].runs[0].logHash).toMatch(/^[0-9a-f]{64}$/);
    expect(readFileSync(join(reportDir, "junit.xml"), "utf8")).toMatch(/<testcase classname="scenarios\.sim\.baseline-honest" name="baseline-honest seed 3 \(sim\)"/);
  });

  it("fails a run that misses an expectation: exit 1, the reproduce command, the saved log, both reports", { concurrent: true, timeout: 120_000 }, async () => {
    const reportDir = join(dir, "fail");
    const result = await testnet("scenario", "run", failingFile, "--seed", "1", "--report-dir", reportDir);
    expect(result.status).toBe(1);
    expect(result.stdout).toMatch(/FAILED +never-takes-over seed 1 \(sim\)/);
    expect(result.stdout).toMatch(/expect\.takeovers: 0 takeovers, expected at least 1/);
    expect(result.stdout).toContain(`reproduce: ./testnet scenario run ${failingFile} --seed 1 --mode sim`);
    expect(errorLines(result.stderr)).toEqual([expect.stringMatching(/ScenariosFailed: 1 of 1 run\(s\) did not pass/)]);
    const log = join(reportDir, "logs", "never-takes-over-seed-1-sim.jsonl");
    expect(existsSync(log) && existsSync(join(reportDir, "logs", "never-takes-over-seed-1-sim.network.json"))).toBe(true);
    const junit = readFileSync(join(reportDir, "junit.xml"), "utf8");
    expect(junit).toMatch(/<testsuites name="zk-testnet scenarios" tests="1" failures="1" errors="0" skipped="0"/);
    expect(junit).toMatch(/<failure message="expect\.takeovers: 0 takeovers, expected at least 1; reproduce: \.\/testnet scenario run .*never-takes-over\.yaml --seed 1 --mode sim"/);
    const replay = await testnet("replay", log);
    expect(replay.status).toBe(0);
    expect(replay.stdout).toMatch(/blocks: 2 proposed, 2 finalized/);
  });
});
