// Benchmark: whole sweeps over many subscriptions, the engine in this process, the emulator and Azurite in
// child processes (so the memory figures are the janitor's own). Every ARM request gets an added latency, and
// the emulator throttles like ARM, so the figures show pacing as well as speed.
// Run: `npm run bench` (all benchmarks) or `npm run build && node dist/bench/sweepBench.js`.
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { createJanitor } from "../src/composition";
import { DEFAULT_SWEEP_CONCURRENCY } from "../src/domain/sweepConcurrency";
import type { Mode } from "../src/domain/vocabulary";
import { EmulatorControlClient } from "../tools/emulator/src/controlClient";
import type { SeedJob } from "../tools/emulator/src/seed";
import { ARM_LIMITS } from "../src/engine/pacing/armPacer";
import { startAzurite } from "../tools/local-functions-host/src/azuriteProcess";

const DAY = 86_400_000;

export interface SweepBenchCase {
  name: string;
  subscriptions: number;
  jobsPerSubscription: number;
  /** Creating jobs past the policy's 7 days (the rest are young): what apply deletes. */
  eligiblePerSubscription: number;
  modes: Mode[];
}

export interface SweepBenchOptions {
  latencyMs: number;
  concurrency: number;
}

export const subscriptionId = (i: number) => `c0000000-0000-4000-8000-${String(i).padStart(12, "0")}`;

export function job(sub: number, n: number, eligible: boolean, nowMs: number): SeedJob {
  const at = new Date(nowMs - (eligible ? 10 : 2) * DAY).toISOString();
  return {
    subscriptionId: subscriptionId(sub),
    resourceGroup: `rg-${n % 4}`,
    name: `job-${n}`,
    location: "West US",
    systemData: { createdAt: at, lastModifiedAt: at },
    properties: {
      jobType: n % 2 ? "Export" : "Import",
      state: "Creating",
      cancelRequested: false,
      returnAddress: {
        recipientName: "Bench Person",
        streetAddress1: `${n} Bench Street`,
        city: "Springfield",
        postalCode: "98000",
        countryOrRegion: "USA",
        phone: "+1 425-555-0100",
        email: "bench@example.com",
      },
    },
  };
}

/** The emulator in its own process, through the CLI as a user would start it. */
export async function startEmulatorProcess(): Promise<{
  child: ChildProcess;
  endpoint: string;
  caCertPath: string;
  controlUrl: string;
  caCertPem: string;
}> {
  const bin = path.resolve(__dirname, "../../bin/ie-janitor.js");
  const child = spawn(process.execPath, ["--max-old-space-size=8192", bin, "emulator", "--port", "0"], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const line = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (c: Buffer) => {
      out += c.toString();
      const nl = out.indexOf("\n");
      if (nl >= 0) resolve(out.slice(0, nl));
    });
    child.once("exit", (code) => reject(new Error(`emulator exited with ${code}`)));
  });
  const info = JSON.parse(line) as { endpoint: string; caCertPath: string; controlUrl: string };
  const { readFile } = await import("node:fs/promises");
  return { child, ...info, caCertPem: await readFile(info.caCertPath, "utf8") };
}

/** Peak RSS and heap while `work` runs, sampled every 50 ms. */
async function measurePeak<T>(
  work: () => Promise<T>,
): Promise<{ value: T; peakRssMb: number; peakHeapMb: number }> {
  let peakRss = 0;
  let peakHeap = 0;
  const sample = () => {
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed);
  };
  const timer = setInterval(sample, 50);
  try {
    const value = await work();
    sample();
    return { value, peakRssMb: round(peakRss / 1048576), peakHeapMb: round(peakHeap / 1048576) };
  } finally {
    clearInterval(timer);
  }
}

const round = (n: number) => Math.round(n * 10) / 10;

/**
 * Fresh emulator data: `subscriptions` enabled subscriptions, the first `withJobs` (default all) holding
 * `jobsPerSubscription` jobs each, `eligiblePerSubscription` of them old enough to act on; then every request
 * delayed by `latencyMs`. Returns the number of jobs seeded.
 */
export async function seedJobs(
  control: EmulatorControlClient,
  c: Pick<SweepBenchCase, "subscriptions" | "jobsPerSubscription" | "eligiblePerSubscription"> & {
    withJobs?: number;
  },
  latencyMs: number,
): Promise<number> {
  await control.reset({ seed: { subscriptions: [], jobs: [] } });
  const nowMs = Date.parse(await control.now());
  const subs = Array.from({ length: c.subscriptions }, (_, i) => ({
    subscriptionId: subscriptionId(i),
    state: "Enabled" as const,
  }));
  await control.addJobs({ subscriptions: subs });
  const batch: SeedJob[] = [];
  let jobs = 0;
  for (let s = 0; s < (c.withJobs ?? c.subscriptions); s++)
    for (let n = 0; n < c.jobsPerSubscription; n++) {
      batch.push(job(s, n, n < c.eligiblePerSubscription, nowMs));
      jobs++;
      if (batch.length === 5_000) await control.addJobs({ jobs: batch.splice(0) });
    }
  if (batch.length) await control.addJobs({ jobs: batch });
  await control.addFaults({ latencyMs });
  return jobs;
}

export async function benchSweep(
  cases: SweepBenchCase[],
  options: SweepBenchOptions,
): Promise<Record<string, number | string>[]> {
  const results: Record<string, number | string>[] = [];
  const [emulator, azurite] = await Promise.all([startEmulatorProcess(), startAzurite()]);
  const control = new EmulatorControlClient(emulator);
  try {
    let prefix = 0;
    for (const c of cases) {
      // Prepare: fresh data, ARM-like throttling on, every request delayed by the latency.
      await seedJobs(control, c, options.latencyMs);

      for (const mode of c.modes) {
        const janitor = await createJanitor(
          {
            JANITOR_ARM_ENDPOINT: emulator.endpoint,
            JANITOR_ARM_CA_CERT: emulator.caCertPath,
            JANITOR_STORAGE: azurite.connectionString,
            JANITOR_POLICY: JSON.stringify({
              version: 1,
              rules: [{ name: "stale-drafts", states: ["Creating"], olderThan: "P7D", action: "delete" }],
              guards: { gracePeriod: "PT0S" },
              limits: {
                maxActionsPerRun: 1_000_000,
                maxActionsPerSubscription: 10_000,
                maxEligibleFraction: 1,
              },
            }),
          },
          { engine: { concurrency: options.concurrency }, tablePrefix: `Bench${++prefix}` },
        );
        global.gc?.();
        const started = performance.now();
        const {
          value: run,
          peakRssMb,
          peakHeapMb,
        } = await measurePeak(() =>
          janitor.engine.executeRun(
            { trigger: "cli", mode, requestedBy: "cli:bench" },
            `bench-${prefix}-${mode}`,
            {
              deadline: new Date(Date.now() + 3_600_000),
            },
          ),
        );
        const wallMs = performance.now() - started;
        const stats = janitor.engine.armStats.at(-1)!;
        const perSub = c.jobsPerSubscription;
        // Lower bound: within a subscription requests are sequential, subscriptions run `concurrency` at a
        // time, each request costs the added latency; and no subscription can beat ARM's delete bucket.
        const requests = stats.requests.read + stats.requests.write + stats.requests.delete;
        const latencyBoundMs = (requests * options.latencyMs) / options.concurrency;
        const deletesPerSub = stats.requests.delete / c.subscriptions;
        const bucketBoundMs =
          Math.max(0, (deletesPerSub - ARM_LIMITS.delete.capacity) / ARM_LIMITS.delete.refillPerSecond) *
          1000;
        const lowerBoundMs = Math.max(latencyBoundMs, bucketBoundMs);
        results.push({
          case: c.name,
          mode,
          subscriptions: c.subscriptions,
          jobs: c.subscriptions * perSub,
          concurrency: options.concurrency,
          latencyMs: options.latencyMs,
          status: run.status,
          planned: run.counts.planned,
          deleted: run.counts.deleted,
          armReads: stats.requests.read,
          armWrites: stats.requests.write,
          armDeletes: stats.requests.delete,
          http429: stats.throttled,
          pacingWaits: stats.pacingWaits,
          wallSeconds: round(wallMs / 1000),
          lowerBoundSeconds: round(lowerBoundMs / 1000),
          ratioToLowerBound: round(wallMs / lowerBoundMs),
          peakRssMb,
          peakHeapMb,
        });
        process.stderr.write(`${JSON.stringify(results.at(-1))}\n`);
      }
      await control.clearFaults();
    }
  } finally {
    emulator.child.kill("SIGTERM");
    await azurite.stop();
  }
  return results;
}

export const DEFAULT_SWEEP_CASES: SweepBenchCase[] = [
  {
    name: "1,000 subscriptions x 100 jobs",
    subscriptions: 1_000,
    jobsPerSubscription: 100,
    eligiblePerSubscription: 10,
    modes: ["plan", "apply"],
  },
  {
    name: "10,000 jobs (100 x 100)",
    subscriptions: 100,
    jobsPerSubscription: 100,
    eligiblePerSubscription: 10,
    modes: ["plan"],
  },
  {
    name: "100,000 jobs in big subscriptions (100 x 1,000)",
    subscriptions: 100,
    jobsPerSubscription: 1_000,
    eligiblePerSubscription: 10,
    modes: ["plan"],
  },
];

if (require.main === module) {
  benchSweep(DEFAULT_SWEEP_CASES, { latencyMs: 20, concurrency: DEFAULT_SWEEP_CONCURRENCY }).then(
    (rows) => console.table(rows),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
