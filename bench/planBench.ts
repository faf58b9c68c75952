// Benchmark: a saved plan of 100,000 proposed actions over 1,000 subscriptions, and one of 10,000, written through
// the real PlanStorage (record in Table Storage, actions in Blob Storage) on a private in-memory Azurite and read
// back page by page. Memory must stay flat (the 100,000-action plan within 10% of the 10,000-action one), since a
// sweep writes one subscription's actions at a time and a reader holds one page and one bounded read.
//
// Peak RSS is noisy, so each size runs in a fresh child process per repetition (`BENCH_PLAN_REPS`, default 3),
// the sizes alternating so that load on the machine falls on both, and medians are compared. It is also not
// only what the code holds: with V8's default heap sizing, garbage piles up in proportion to how much is
// allocated before a full collection runs (the 100,000-action plan parses ten times the JSON), so the default
// peak grows with the plan by GC slack alone (10-20% here) although what is held after a collection is the same.
// Flatness is therefore judged in a bounded heap (`--max-old-space-size=48`, BOUNDED_HEAP_MIB): a reader or
// writer that held anything in proportion to the plan would need more there, or fail; one that holds a page
// and a bounded read has the same peak at both sizes. Both figures are reported. The blob requests of the read
// are counted too (from Node's own HTTP diagnostics channel): unlike times, they do not depend on the load.
// Run: `BENCH_ONLY=plan npm run bench`, or `npm run build && node --expose-gc dist/bench/planBench.js`.
import { execFile } from "node:child_process";
import diagnosticsChannel from "node:diagnostics_channel";
import type { ClientRequest } from "node:http";
import { performance } from "node:perf_hooks";
import { createStorage, parseStorageSettings, tableNames } from "../src/adapters/storage";
import { createContainerClient } from "../src/adapters/storage/storageConnection";
import { ACTIONS_LIMIT_MAX } from "../src/adapters/storage/PlanStorage";
import type { ProposedAction } from "../src/domain/plans";
import { policyHash, validatePolicy } from "../src/domain/policy";
import { startAzurite } from "../tools/local-functions-host/src/azuriteProcess";

const SUBSCRIPTIONS = 1_000;
const SIZES = [10_000, 100_000] as const;
const REPS = Number(process.env.BENCH_PLAN_REPS ?? 3);
/** The old space of the bounded runs: well above what a page needs, far below a plan held whole. */
const BOUNDED_HEAP_MIB = 48;

/** This process's blob requests while `counting`: listings, reads (GET of a blob), anything else. */
const blobRequests = { counting: false, listings: 0, reads: 0, other: 0 };
diagnosticsChannel.subscribe("http.client.request.start", (message) => {
  if (!blobRequests.counting) return;
  const request = (message as { request: ClientRequest }).request;
  if (/[?&]comp=list(&|$)/.test(request.path)) blobRequests.listings++;
  else if (request.method === "GET" && !request.path.includes("comp=")) blobRequests.reads++;
  else blobRequests.other++;
});

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
async function onePlan(size: number, rep: number, connectionString: string): Promise<Record<string, number>> {
  const connection = parseStorageSettings({ JANITOR_STORAGE: connectionString });
  const tablePrefix = `BenchPlan${size}r${rep}`;
  const storage = createStorage(connection, { tablePrefix });
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

  blobRequests.counting = true;
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
  blobRequests.counting = false;
  clearInterval(sampler);
  sample();
  // What is still held once the plan is read (a leak would grow with the plan's size; GC slack does not).
  (globalThis as { gc?: () => void }).gc?.();
  const retainedHeap = process.memoryUsage().heapUsed;
  if (read !== size) throw new Error(`wrote ${size} proposed actions, read back ${read}`);
  const peakRssMiB = round(process.resourceUsage().maxRSS / 1024, 1);
  // Azurite keeps blobs in memory: the next child's plan should not share it with this one's.
  await createContainerClient(connection, tableNames(tablePrefix).planContainer).deleteIfExists();

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
    readListings: blobRequests.listings,
    readBlobGets: blobRequests.reads,
    rssStartMiB: round(rssStart / 2 ** 20, 1),
    writePeakRssMiB: round(afterWrite.rss / 2 ** 20, 1),
    peakHeapUsedMiB: round(peak.heapUsed / 2 ** 20, 1),
    peakExternalMiB: round(peak.external / 2 ** 20, 1),
    heapAfterGcMiB: round(retainedHeap / 2 ** 20, 1),
    // resourceUsage().maxRSS is in KiB: the peak of this child process, which ran nothing but this size.
    peakRssMiB,
  };
}

function inChild(
  size: number,
  rep: number,
  connectionString: string,
  heapFlags: string[],
): Promise<Record<string, number>> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ["--expose-gc", ...heapFlags, __filename, "--child", String(size), String(rep)],
      { env: { ...process.env, BENCH_PLAN_STORAGE: connectionString }, maxBuffer: 1 << 20 },
      (err, stdout, stderr) => {
        if (err) return reject(new Error(`plan bench of ${size} failed: ${stderr || err.message}`));
        resolve(JSON.parse(stdout.trim().split("\n").pop()!) as Record<string, number>);
      },
    );
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** One row per size: medians over the repetitions, with the spread of peak RSS. */
export async function benchPlan(): Promise<Record<string, number | string>[]> {
  if (!Number.isInteger(REPS) || REPS < 1 || REPS > 50)
    throw new RangeError("BENCH_PLAN_REPS must be a whole number from 1 to 50");
  const azurite = await startAzurite();
  try {
    const runs = new Map<number, Record<string, number>[]>(SIZES.map((size) => [size, []]));
    const bounded = new Map<number, Record<string, number>[]>(SIZES.map((size) => [size, []]));
    for (let rep = 1; rep <= REPS; rep++) {
      // Alternating which size goes first, so a change in the machine's load falls on both.
      for (const size of rep % 2 === 1 ? SIZES : [...SIZES].reverse()) {
        progress(`repetition ${rep}/${REPS}: a plan of ${size} actions over ${SUBSCRIPTIONS} subscriptions`);
        runs.get(size)!.push(await inChild(size, rep, azurite.connectionString, []));
        const flags = [`--max-old-space-size=${BOUNDED_HEAP_MIB}`];
        bounded.get(size)!.push(await inChild(size, REPS + rep, azurite.connectionString, flags));
      }
    }
    const rows = SIZES.map((size) => {
      const reps = runs.get(size)!;
      const med = (key: string) => round(median(reps.map((r) => r[key]!)), 1);
      const rss = reps.map((r) => r.peakRssMiB!);
      return {
        actions: size,
        subscriptions: SUBSCRIPTIONS,
        repetitions: reps.length,
        writeMs: med("writeMs"),
        readMs: med("readMs"),
        readActionsPerSecond: round(size / (median(reps.map((r) => r.readMs!)) / 1000)),
        pages: reps[0]!.pages!,
        readListings: reps[0]!.readListings!,
        readBlobGets: reps[0]!.readBlobGets!,
        slowestPageMs: med("slowestPageMs"),
        peakHeapUsedMiB: med("peakHeapUsedMiB"),
        heapAfterGcMiB: med("heapAfterGcMiB"),
        peakRssMiB: med("peakRssMiB"),
        peakRssMinMiB: Math.min(...rss),
        peakRssMaxMiB: Math.max(...rss),
        boundedPeakRssMiB: round(median(bounded.get(size)!.map((r) => r.peakRssMiB!)), 1),
        boundedPeakHeapUsedMiB: round(median(bounded.get(size)!.map((r) => r.peakHeapUsedMiB!)), 1),
      } as Record<string, number | string>;
    });
    const small = rows[0]!;
    for (const row of rows) {
      row.peakRssVsSmallest = round((row.peakRssMiB as number) / (small.peakRssMiB as number), 3);
      const ratio = (row.boundedPeakRssMiB as number) / (small.boundedPeakRssMiB as number);
      row.boundedPeakRssVsSmallest = round(ratio, 3);
      row.flat = ratio <= 1.1 ? "yes" : "NO (bounded-heap median more than 10% above)";
    }
    return rows;
  } finally {
    await azurite.stop();
  }
}

if (require.main === module) {
  const [flag, size, rep] = process.argv.slice(2);
  const run =
    flag === "--child"
      ? onePlan(Number(size), Number(rep), process.env.BENCH_PLAN_STORAGE ?? "")
      : benchPlan().then((rows) => ({ bench: "plan", rows }));
  run.then(
    (figures) => process.stdout.write(`${JSON.stringify(figures)}\n`),
    (error: unknown) => {
      process.stderr.write(`planBench failed: ${(error as Error)?.stack ?? String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
