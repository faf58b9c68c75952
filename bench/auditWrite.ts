// Benchmark: how fast does the audit log write, batched and one entry at a time, and how fast does a reader get
// the newest 100 entries of one day when the log holds 100,000? Runs against a private in-memory Azurite
// through the real SDK. Run: `npm run build && node dist/bench/auditWrite.js`.
import { performance } from "node:perf_hooks";
import { createStorage, parseStorageSettings, type Storage } from "../src/adapters/storage";
import type { AuditEntry } from "../src/domain/records";
import { startAzurite } from "../tools/local-functions-host/src/azuriteProcess";

const WRITES = 10_000;
const TOTAL = 100_000;
const PER_DAY = 2_000; // 50 days of entries
const PER_CALL = 500; // entries per append() in the batched runs, as a sweep of many jobs would write
const JOBS = 1_000;
const DAY_MS = 86_400_000;
const START = Date.parse("2026-09-01T00:00:00Z");
const SUBSCRIPTION = "b0000000-0000-4000-8000-000000000001";

function entry(n: number): AuditEntry {
  const job = `job-${String(n % JOBS).padStart(4, "0")}`;
  const resourceGroup = `rg-${n % 5}`;
  return {
    // Spread evenly over the days, in order.
    timestamp: new Date(START + Math.floor(n / PER_DAY) * DAY_MS + (n % PER_DAY) * 40_000).toISOString(),
    runId: `${new Date(START + Math.floor(n / PER_DAY) * DAY_MS).toISOString().slice(0, 10).replace(/-/g, "")}T030000Z-bench`,
    seq: n % PER_DAY,
    trigger: "timer",
    mode: "apply",
    actor: "timer",
    subscriptionId: SUBSCRIPTION,
    resourceGroup,
    jobName: job,
    jobId: `/subscriptions/${SUBSCRIPTION}/resourceGroups/${resourceGroup}/providers/Microsoft.ImportExport/jobs/${job}`,
    jobType: "Import",
    stateBefore: "Completed",
    cancelRequestedBefore: false,
    ageDays: 31.5,
    ageBasis: "systemData.lastModifiedAt",
    rule: "completed-retention",
    action: "delete",
    phase: n % 2 === 0 ? "intent" : "outcome",
    ...(n % 2 === 1
      ? { outcome: "succeeded" as const, httpStatus: 200, stateAfter: "Deleted", durationMs: 180 }
      : {}),
    reason: "rule-matched",
    policyHash: "sha256:bench",
  };
}

async function writeBatched(storage: Storage, from: number, to: number): Promise<number> {
  const started = performance.now();
  for (let i = from; i < to; i += PER_CALL) {
    await storage.audit.append(Array.from({ length: Math.min(PER_CALL, to - i) }, (_, k) => entry(i + k)));
  }
  return performance.now() - started;
}

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await fn();
  return { ms: performance.now() - started, value };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const round = (n: number, digits = 0) => Math.round(n * 10 ** digits) / 10 ** digits;
const progress = (text: string) => process.stderr.write(`auditWrite: ${text}\n`);

export async function benchAuditWrite(): Promise<Record<string, number | string>> {
  const azurite = await startAzurite();
  try {
    const conn = parseStorageSettings({ JANITOR_STORAGE: azurite.connectionString });
    const batched = createStorage(conn, { tablePrefix: "BenchBatch" });
    const single = createStorage(conn, { tablePrefix: "BenchSingle" });
    await Promise.all([batched.ensureReady(), single.ensureReady()]);

    progress(`writing ${WRITES} entries batched (${PER_CALL} per call)`);
    const batchedMs = await writeBatched(batched, 0, WRITES);

    progress(`writing ${WRITES} entries one by one`);
    const singleStarted = performance.now();
    for (let i = 0; i < WRITES; i++) await single.audit.append([entry(i)]);
    const singleMs = performance.now() - singleStarted;

    progress(`filling the log to ${TOTAL} entries`);
    await writeBatched(batched, WRITES, TOTAL);

    // The newest 100 entries of one day in the middle of the 50 days.
    const day = new Date(START + 25 * DAY_MS);
    const dayQuery = {
      from: day.toISOString(),
      to: new Date(day.getTime() + DAY_MS).toISOString(),
      limit: 100,
    };
    const first = await timed(() => batched.audit.query(dayQuery));
    if (first.value.items.length !== 100)
      throw new Error(`expected 100 entries, got ${first.value.items.length}`);
    const dayTimes: number[] = [];
    for (let i = 0; i < 10; i++) dayTimes.push((await timed(() => batched.audit.query(dayQuery))).ms);

    const runId = first.value.items[0]!.runId;
    const jobId = first.value.items[0]!.jobId!;
    const runTimes: number[] = [];
    const jobTimes: number[] = [];
    for (let i = 0; i < 10; i++) {
      runTimes.push((await timed(() => batched.audit.query({ runId, limit: 100 }))).ms);
      jobTimes.push((await timed(() => batched.audit.query({ jobId, limit: 100 }))).ms);
    }

    return {
      entriesWritten: WRITES,
      rowsPerEntry: 3,
      batchedEntriesPerSecond: round(WRITES / (batchedMs / 1000)),
      batchedRowsPerSecond: round((3 * WRITES) / (batchedMs / 1000)),
      singleEntriesPerSecond: round(WRITES / (singleMs / 1000)),
      singleRowsPerSecond: round((3 * WRITES) / (singleMs / 1000)),
      logSize: TOTAL,
      newest100OfOneDayFirstMs: round(first.ms, 1),
      newest100OfOneDayMedianMs: round(median(dayTimes), 1),
      newest100OfOneRunMedianMs: round(median(runTimes), 1),
      newest100OfOneJobMedianMs: round(median(jobTimes), 1),
      note: "in-memory Azurite on this machine; the real service differs",
    };
  } finally {
    await azurite.stop();
  }
}

if (require.main === module) {
  benchAuditWrite().then(
    (figures) => {
      process.stdout.write(JSON.stringify({ bench: "auditWrite", ...figures }, null, 2) + "\n");
    },
    (error: unknown) => {
      process.stderr.write(`auditWrite failed: ${(error as Error)?.stack ?? String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
