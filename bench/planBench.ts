// Benchmark: a saved plan of 100,000 proposed actions over 1,000 subscriptions, and one of 10,000, written through
// the real PlanStorage (record in Table Storage, actions in Blob Storage) on a private in-memory Azurite and read
// back page by page. Each size runs in its own child process, so its peak RSS is its own: memory must stay flat
// (the 100,000-action plan within 10% of the 10,000-action one), since a sweep writes one subscription's actions
// at a time and a reader holds one page and one blob. Run: `npm run build && node dist/bench/planBench.js`.
import { execFile } from "node:child_process";
import { performance } from "node:perf_hooks";
import { createStorage, parseStorageSettings } from "../src/adapters/storage";
import { ACTIONS_LIMIT_MAX } from "../src/adapters/storage/PlanStorage";
import type { ProposedAction } from "../src/domain/plans";
import { policyHash, validatePolicy } from "../src/domain/policy";
import { startAzurite } from "../tools/local-functions-host/src/azuriteProcess";

const SUBSCRIPTIONS = 1_000;
const SIZES = [10_000, 100_000] as const;

const subscriptionOf = (n: number) => `b1a40000-0000-4000-8000-${n.toString(16).padStart(12, "0")}`;

function action(sub: string, n: number): ProposedAction {
  const name = `job-${String(n).padStart(6, "0")}`;
  const resourceGroup = `rg-${n % 7}`;
  return {
    jobId: `/subscriptions/${sub}/resourceGroups/${resourceGroup}/providers/Microsoft.ImportExport/jobs/${name}`,
    source: "importexport",
    subscriptionId: sub,
    resourceGroup,
    jobName: name,
    jobType: n % 4 === 0 ? "Export" : "Import",
    state: n % 3 === 0 ? "Creating" : "Completed",
    cancelRequested: false,
    rule: n % 3 === 0 ? "stale-drafts" : "completed-retention",
    action: "delete",
    ageDays: 31.5,
    ageBasis: n % 3 === 0 ? "systemData.createdAt" : "systemData.lastModifiedAt",
    lastModifiedAt: "2026-09-01T00:00:00.0000000Z",
  };
}

const round = (n: number, digits = 0) => Math.round(n * 10 ** digits) / 10 ** digits;
const progress = (text: string) => process.stderr.write(`planBench: ${text}\n`);

/** One size, in this process: write the plan, read it back page by page; figures with this process's peak RSS. */
async function onePlan(size: number, connectionString: string): Promise<Record<string, number>> {
  const storage = createStorage(parseStorageSettings({ JANITOR_STORAGE: connectionString }), {
    tablePrefix: `BenchPlan${size}`,
  });
  await storage.ensureReady();
  const policy = validatePolicy(
    {
      version: 1,
      rules: [
        { name: "stale-drafts", states: ["Creating"], olderThan: "P7D", action: "delete" },
        { name: "completed-retention", states: ["Completed"], olderThan: "P30D", action: "delete" },
      ],
    },
    "bench policy",
  );
  const planId = `20260901T030000Z-bench-${size}`;
  const perSubscription = size / SUBSCRIPTIONS;
  const now = Date.now();
  const rssStart = process.memoryUsage().rss;
  // Sampled as it runs: which phase holds the memory (the peak RSS alone cannot say).
  const peak = { rss: 0, heapUsed: 0, external: 0 };
  const sample = () => {
    const m = process.memoryUsage();
    peak.rss = Math.max(peak.rss, m.rss);
    peak.heapUsed = Math.max(peak.heapUsed, m.heapUsed);
    peak.external = Math.max(peak.external, m.external + m.arrayBuffers);
  };
  const sampler = setInterval(sample, 20);

  const writeStarted = performance.now();
  await storage.plans.create({
    planId,
    status: "pending",
    trigger: "timer",
    requestedBy: "timer",
    createdAt: new Date(now).toISOString(),
    expiresAt: new Date(now + 7 * 86_400_000).toISOString(),
    policy,
    policyHash: policyHash(policy),
  });
  // As a sweep writes them: one subscription's actions at a time, a few subscriptions at once.
  const CONCURRENCY = 8;
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (let s = next++; s < SUBSCRIPTIONS; s = next++) {
        const sub = subscriptionOf(s);
        const actions = Array.from({ length: perSubscription }, (_, i) =>
          action(sub, s * perSubscription + i),
        );
        await storage.plans.writeActions(planId, sub, actions);
      }
    }),
  );
  const writeMs = performance.now() - writeStarted;
  sample();
  const afterWrite = { ...peak };

  const readStarted = performance.now();
  let read = 0;
  let pages = 0;
  let slowestPageMs = 0;
  let cursor: string | undefined;
  do {
    const pageStarted = performance.now();
    const page = await storage.plans.readActions(planId, { limit: ACTIONS_LIMIT_MAX, cursor });
    slowestPageMs = Math.max(slowestPageMs, performance.now() - pageStarted);
    read += page.items.length;
    pages++;
    cursor = page.nextCursor;
  } while (cursor);
  const readMs = performance.now() - readStarted;
  clearInterval(sampler);
  sample();
  // What is still held once the plan is read (a leak would grow with the plan's size; GC slack does not).
  (globalThis as { gc?: () => void }).gc?.();
  const retainedHeap = process.memoryUsage().heapUsed;
  if (read !== size) throw new Error(`wrote ${size} proposed actions, read back ${read}`);

  return {
    actions: size,
    subscriptions: SUBSCRIPTIONS,
    writeMs: round(writeMs),
    writeActionsPerSecond: round(size / (writeMs / 1000)),
    readMs: round(readMs),
    readActionsPerSecond: round(size / (readMs / 1000)),
    pages,
    pageSize: ACTIONS_LIMIT_MAX,
    slowestPageMs: round(slowestPageMs, 1),
    rssStartMiB: round(rssStart / 2 ** 20, 1),
    writePeakRssMiB: round(afterWrite.rss / 2 ** 20, 1),
    peakHeapUsedMiB: round(peak.heapUsed / 2 ** 20, 1),
    peakExternalMiB: round(peak.external / 2 ** 20, 1),
    heapAfterGcMiB: round(retainedHeap / 2 ** 20, 1),
    // resourceUsage().maxRSS is in KiB: the peak of this child process, which ran nothing but this size.
    peakRssMiB: round(process.resourceUsage().maxRSS / 1024, 1),
  };
}

function inChild(size: number, connectionString: string): Promise<Record<string, number>> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ["--expose-gc", __filename, "--child", String(size)],
      { env: { ...process.env, BENCH_PLAN_STORAGE: connectionString }, maxBuffer: 1 << 20 },
      (err, stdout, stderr) => {
        if (err) return reject(new Error(`plan bench of ${size} failed: ${stderr || err.message}`));
        resolve(JSON.parse(stdout.trim().split("\n").pop()!) as Record<string, number>);
      },
    );
  });
}

export async function benchPlan(): Promise<Record<string, number | string>[]> {
  const azurite = await startAzurite();
  try {
    const rows: Record<string, number | string>[] = [];
    for (const size of SIZES) {
      progress(`writing and reading a plan of ${size} actions over ${SUBSCRIPTIONS} subscriptions`);
      rows.push(await inChild(size, azurite.connectionString));
    }
    const small = rows[0]!.peakRssMiB as number;
    for (const row of rows) {
      row.peakRssVsSmallest = round((row.peakRssMiB as number) / small, 3);
      row.flat = (row.peakRssMiB as number) <= small * 1.1 ? "yes" : "NO (more than 10% above)";
    }
    return rows;
  } finally {
    await azurite.stop();
  }
}

if (require.main === module) {
  const [flag, size] = process.argv.slice(2);
  const run =
    flag === "--child"
      ? onePlan(Number(size), process.env.BENCH_PLAN_STORAGE ?? "")
      : benchPlan().then((rows) => ({ bench: "plan", rows }));
  run.then(
    (figures) => process.stdout.write(`${JSON.stringify(figures)}\n`),
    (error: unknown) => {
      process.stderr.write(`planBench failed: ${(error as Error)?.stack ?? String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
