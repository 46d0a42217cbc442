/**
 * Simulation throughput: simulated blocks per wall second, events per second, heap and RSS per
 * prover, for (a) `--provers` x `--blocks` blocks of 8 leaves, the run alone and with the
 * invariant check (every service replayed), and (b) `--registered` provers registered with a
 * few blocks; printed as ratios to a baseline, the default testnet's 8 provers over a short
 * chain, measured first in the same process. Nothing is asserted.
 *
 *   node services/orchestrator/bench/simulation.ts [--provers N] [--blocks N] [--registered N] [--beacon sim|drand] [--quick]
 *
 * The beacon signs in the simulated scheme, as `simulate` runs it; `--beacon drand` names
 * drand's BLS scheme for every run instead (about 30 ms of signing and pairing a round). (b)
 * grows the pool tenfold from 1,000 (100 with --quick) up to `--registered`, and stops at the
 * first size over its time budget, projecting the full size from the last two.
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { parseArgs } from "node:util";
import { Effect, Either } from "effect";
import { makeNetwork, type NetworkConfig } from "@zk-testnet/network";
import type { InvariantReport } from "@zk-testnet/testkit";
import { simulate, simulateUnchecked } from "../src/run/simulate.ts";

const { values } = parseArgs({
  options: {
    provers: { type: "string" },
    blocks: { type: "string" },
    registered: { type: "string" },
    beacon: { type: "string", default: "sim" },
    quick: { type: "boolean", default: false },
  },
});
const quick = values.quick === true;
const provers = Number(values.provers ?? (quick ? 100 : 1_000));
const blocks = Number(values.blocks ?? (quick ? 30 : 1_000));
const registered = Number(values.registered ?? 100_000);
for (const [name, n] of Object.entries({ provers, blocks, registered })) {
  if (!Number.isSafeInteger(n) || n < 1) {
    console.error(`--${name} must be a whole number of at least 1`);
    process.exit(2);
  }
}
if (values.beacon !== "sim" && values.beacon !== "drand") {
  console.error("--beacon is sim or drand");
  process.exit(2);
}
const beacon = values.beacon === "drand" ? { beacon: { scheme: "bls-unchained-g1-rfc9380" as const } } : {};
/** Wall seconds of one (b) size after which it stops growing the pool. */
const registryBudget = quick ? 6 : 120;
const registryBlocks = 3;

// Two epochs of 8 slots still hold one leaf-to-root path of 8 leaves (3 + 3 x 2 slots of
// deadlines), so a run ends 17 slots after its last block rather than the default 33.
const PARAMS = { epochSlots: 8, provingWindowEpochs: 2 } as const;
const TX_PER_BLOCK = 8;
const SLOT_MS = 1_000;
const GOAL_BLOCKS_PER_SECOND = 1_000;
const GOAL_BYTES = 2 * 2 ** 30;

const networkOf = (proverCount: number, slots: number): NetworkConfig =>
  Either.getOrThrow(makeNetwork({ seed: "bench", genesisMs: 2_000, slots, provers: proverCount, txPerBlock: TX_PER_BLOCK, slotMs: SLOT_MS, params: PARAMS, ...beacon }));

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

interface Measured {
  readonly label: string;
  readonly provers: number;
  readonly blocks: number;
  readonly finalized: number;
  readonly records: number;
  readonly wallSeconds: number;
  readonly cpuSeconds: number;
  /** Peak heap used during the run above what the process held before it (after a full GC), in bytes. */
  readonly heapBytes: number;
  /** The largest live set: heap used right after a full GC forced 1 s into the run and every 5 s after (undefined for a shorter run). */
  readonly liveBytes: number | undefined;
  /** Peak resident set during the run, and its growth over the run's start. */
  readonly peakRss: number;
  readonly rssBytes: number;
}

const countLines = (text: string): number => {
  let lines = 0;
  for (let at = text.indexOf("\n"); at !== -1; at = text.indexOf("\n", at + 1)) lines++;
  return lines;
};

/**
 * One simulation, timed, heap and RSS sampled every 50 ms and the live heap every 5 s (a timer
 * that reads memory or collects garbage leaves the order of the run's tasks alone).
 */
const measure = async (label: string, network: NetworkConfig, checked: boolean): Promise<Measured> => {
  gc();
  const before = process.memoryUsage();
  let peakHeap = before.heapUsed;
  let peakRss = before.rss;
  const sample = () => {
    const m = process.memoryUsage();
    peakHeap = Math.max(peakHeap, m.heapUsed);
    peakRss = Math.max(peakRss, m.rss);
  };
  let peakLive: number | undefined;
  let nextCollection = performance.now() + 1_000;
  const sampler = setInterval(() => {
    sample();
    if (performance.now() < nextCollection) return;
    gc();
    peakLive = Math.max(peakLive ?? 0, process.memoryUsage().heapUsed);
    nextCollection = performance.now() + 5_000;
  }, 50);
  const cpu = process.cpuUsage();
  const start = performance.now();
  const run: { readonly summary: { readonly finalized: number }; readonly jsonl: string; readonly invariants?: InvariantReport } = await Effect.runPromise(
    checked ? simulate(network) : simulateUnchecked(network),
  );
  const wallSeconds = (performance.now() - start) / 1000;
  const used = process.cpuUsage(cpu);
  sample();
  clearInterval(sampler);
  if (run.invariants !== undefined && !run.invariants.ok) console.log(`  ${label}: ${run.invariants.violations.length} invariant violations`);
  return {
    label,
    provers: network.provers.length,
    blocks: network.slots,
    finalized: run.summary.finalized,
    records: countLines(run.jsonl),
    wallSeconds,
    cpuSeconds: (used.user + used.system) / 1e6,
    heapBytes: peakHeap - before.heapUsed,
    liveBytes: peakLive === undefined ? undefined : peakLive - before.heapUsed,
    peakRss,
    rssBytes: peakRss - before.rss,
  };
};

const fmt = (n: number, digits = 0) => n.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
const kib = (bytes: number) => `${fmt(bytes / 1024, 1)} KiB`;
const mib = (bytes: number) => `${fmt(bytes / 2 ** 20)} MiB`;
const blocksPerSecond = (m: Measured) => m.blocks / m.wallSeconds;
const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}x`;

const print = (m: Measured, base?: Measured) => {
  console.log(
    `${m.label}: ${fmt(m.provers)} provers x ${fmt(m.blocks)} blocks (${fmt(m.finalized)} finalized), ${fmt(m.records)} records, ${fmt(m.wallSeconds, 1)} s wall / ${fmt(m.cpuSeconds, 1)} s CPU`,
  );
  const vs = (a: number, b: number) => (base === undefined ? "" : ` (${ratio(a, b)} baseline)`);
  console.log(
    `  ${fmt(blocksPerSecond(m), 1)} blocks/s${base === undefined ? "" : vs(blocksPerSecond(m), blocksPerSecond(base))}, ` +
      `${fmt(m.blocks / m.cpuSeconds, 1)} blocks per CPU s, ${fmt(m.records / m.wallSeconds)} events/s${base === undefined ? "" : vs(m.records / m.wallSeconds, base.records / base.wallSeconds)}`,
  );
  console.log(
    `  peak heap +${mib(m.heapBytes)} (${kib(m.heapBytes / m.provers)} a prover), ` +
      `${m.liveBytes === undefined ? "live heap not sampled (under 1 s)" : `peak live heap +${mib(m.liveBytes)} (${kib(m.liveBytes / m.provers)} a prover)`}, ` +
      `peak RSS ${mib(m.peakRss)} (+${mib(m.rssBytes)}, ${kib(m.rssBytes / m.provers)} a prover)`,
  );
};

console.log(
  `${TX_PER_BLOCK} leaves a block, ${SLOT_MS} ms slots, epochs of ${PARAMS.epochSlots} slots, proving window ${PARAMS.provingWindowEpochs} epochs ` +
    `(a run simulates its blocks and ${PARAMS.provingWindowEpochs * PARAMS.epochSlots + 1} slots more), default deadlines, no faults, seed "bench"; ` +
    `${quick ? "quick sizes" : "full sizes"}; beacon: ${values.beacon === "drand" ? "drand's BLS scheme" : "the simulated scheme (sim-ed25519)"}; ` +
    `Node ${process.version}, wall times include whatever else runs on the machine`,
);

// Unmeasured: the first run also pays for loading and compiling the code.
await Effect.runPromise(simulate(networkOf(8, 2)));
const baseline = await measure("baseline: 8 provers, checked", networkOf(8, quick ? 10 : 20), true);
print(baseline);

const unchecked = await measure("(a) the run alone", networkOf(provers, blocks), false);
print(unchecked, baseline);
const checked = await measure("(a) the run, the six invariants and every service replayed", networkOf(provers, blocks), true);
print(checked, baseline);
console.log(
  `  the check and replay: ${fmt(checked.wallSeconds - unchecked.wallSeconds, 1)} s wall, ${fmt(checked.cpuSeconds - unchecked.cpuSeconds, 1)} s CPU (within the noise of a shared machine when small); ` +
    `goal ${fmt(GOAL_BLOCKS_PER_SECOND)} blocks/s: ${ratio(blocksPerSecond(unchecked), GOAL_BLOCKS_PER_SECOND)} unchecked, ${ratio(blocksPerSecond(checked), GOAL_BLOCKS_PER_SECOND)} checked`,
);

let last: Measured | undefined;
let previous: Measured | undefined;
for (let size = Math.min(quick ? 100 : 1_000, registered); ; size = Math.min(size * 10, registered)) {
  const m = await measure("(b) provers registered, the run alone", networkOf(size, registryBlocks), false);
  print(m, baseline);
  previous = last;
  last = m;
  if (size >= registered) break;
  if (m.wallSeconds > registryBudget) {
    // With one size only, assume CPU time linear in the pool.
    const exponent = previous === undefined ? 1 : Math.log(m.cpuSeconds / previous.cpuSeconds) / Math.log(m.provers / previous.provers);
    const projected = m.cpuSeconds * (registered / m.provers) ** exponent;
    console.log(
      `  stopped over ${registryBudget} s: CPU time grows as provers^${exponent.toFixed(2)}${previous === undefined ? " (assumed)" : ""}, ` +
        `so ${fmt(registered)} provers would take about ${fmt(projected / 60, 1)} CPU minutes`,
    );
    break;
  }
}
if (last !== undefined) {
  const perProver = last.heapBytes / last.provers;
  const livePerProver = (last.liveBytes ?? Number.NaN) / last.provers;
  console.log(
    `  at ${fmt(last.provers)} provers: ${kib(perProver)} of peak heap and ${kib(livePerProver)} live a prover; ${fmt(registered)} provers at those rates: ` +
      `${mib(perProver * registered)} peak, ${mib(livePerProver * registered)} live; process peak RSS ${mib(last.peakRss)} (goal under ${mib(GOAL_BYTES)}; ` +
      `V8 lets its heap grow to several times the live set unless --max-old-space-size bounds it)`,
  );
}
