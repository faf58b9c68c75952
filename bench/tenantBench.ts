// Benchmark: whole tenants, the janitor's CLI and the peer (bench/peer.ts) each as a whole process, timed side by
// side against the same emulator (20 ms added to every ARM request, ARM-like throttling on) and a fresh Azurite
// per case. Prints the bounds a run cannot beat: ARM (requests x latency / concurrency; ARM's per-subscription
// buckets) and storage (rows the run wrote / Azurite's batch write rate, measured in the same run), the rows the
// run wrote per table and per job seen, HTTP 429s, and peak RSS of the janitor's process. Also the CPU seconds the
// janitor, Azurite and the emulator used while it ran, and that sum over the cores (`cpuBoundSeconds`): on a small
// machine the three processes share, that, not ARM or storage, is often what a run waits for.
// Run: `BENCH_ONLY=tenant npm run bench`; `BENCH_TENANT=dense,sparse` picks cases (dense, sparse, rss, apply);
// `BENCH_BASELINE=<root of another built checkout>` runs that build's CLI on each case too, right after this one's,
// so a before/after pair shares the machine's load (the table says which row is which, and the load average).
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { TableClient, TableServiceClient } from "@azure/data-tables";
import { BlobServiceClient } from "@azure/storage-blob";
import { DEFAULT_SWEEP_CONCURRENCY } from "../src/domain/sweepConcurrency";
import { EmulatorControlClient } from "../tools/emulator/src/controlClient";
import { DEFAULT_THROTTLING } from "../tools/emulator/src/settings";
import { startAzurite, type AzuriteProcess } from "../tools/local-functions-host/src/azuriteProcess";
import { seedJobs, startEmulatorProcess, subscriptionId } from "./sweepBench";

const root = path.resolve(__dirname, "../..");
const LATENCY_MS = 20;

export interface TenantCase {
  key: string;
  name: string;
  subscriptions: number;
  /** How many of the subscriptions hold jobs (the first ones). */
  withJobs: number;
  jobsPerSubscription: number;
  /** Jobs per subscription past the policy's 7 days: what a plan proposes and apply deletes. */
  eligiblePerSubscription: number;
  mode: "plan" | "apply";
  peer: boolean;
}

export const TENANT_CASES: TenantCase[] = [
  {
    key: "dense",
    name: "dense: 1,000 subscriptions x 100 jobs, plan",
    subscriptions: 1_000,
    withJobs: 1_000,
    jobsPerSubscription: 100,
    eligiblePerSubscription: 10,
    mode: "plan",
    peer: true,
  },
  {
    key: "sparse",
    name: "sparse: 1,000 subscriptions, 50 with 100 jobs, plan",
    subscriptions: 1_000,
    withJobs: 50,
    jobsPerSubscription: 100,
    eligiblePerSubscription: 10,
    mode: "plan",
    peer: true,
  },
  {
    key: "rss",
    name: "10,000 jobs (100 x 100), plan",
    subscriptions: 100,
    withJobs: 100,
    jobsPerSubscription: 100,
    eligiblePerSubscription: 10,
    mode: "plan",
    peer: false,
  },
  {
    key: "rss",
    name: "100,000 jobs (100 x 1,000), plan",
    subscriptions: 100,
    withJobs: 100,
    jobsPerSubscription: 1_000,
    eligiblePerSubscription: 10,
    mode: "plan",
    peer: false,
  },
  {
    key: "apply",
    name: "apply: 10,000 deletes over 1,000 subscriptions (100 jobs each)",
    subscriptions: 1_000,
    withJobs: 1_000,
    jobsPerSubscription: 100,
    eligiblePerSubscription: 10,
    mode: "apply",
    peer: true,
  },
];

const POLICY = JSON.stringify({
  version: 1,
  rules: [{ name: "stale-drafts", states: ["Creating"], olderThan: "P7D", action: "delete" }],
  guards: { gracePeriod: "PT0S" },
  limits: { maxActionsPerRun: 1_000_000, maxActionsPerSubscription: 10_000, maxEligibleFraction: 1 },
});

const round = (n: number) => Math.round(n * 10) / 10;

type Emulator = Awaited<ReturnType<typeof startEmulatorProcess>>;

/** Counts the ARM requests the emulator served while a process ran: all of them, by kind, and 429s. */
class RequestCounter {
  private since = 0;
  private startTotal = 0;
  private timer: ReturnType<typeof setInterval> | undefined;
  private polling: Promise<void> = Promise.resolve();
  status429 = 0;
  missed = 0;
  byKind = { read: 0, write: 0, delete: 0 };

  constructor(private readonly control: EmulatorControlClient) {}

  async start(): Promise<void> {
    const page = await this.control.requests({ since: 2 ** 40 });
    this.startTotal = page.total;
    this.since = page.total;
    this.timer = setInterval(() => (this.polling = this.polling.then(() => this.poll())), 500);
  }

  async stop(): Promise<number> {
    clearInterval(this.timer);
    await this.polling;
    await this.poll();
    return (await this.control.requests({ since: 2 ** 40 })).total - this.startTotal;
  }

  private async poll(): Promise<void> {
    const page = await this.control.requests({ since: this.since });
    const first = page.items[0]?.seq;
    if (first !== undefined && first > this.since + 1) this.missed += first - this.since - 1;
    for (const r of page.items) {
      if (r.status === 429) this.status429++;
      const kind = r.method === "DELETE" ? "delete" : r.method === "GET" ? "read" : "write";
      this.byKind[kind]++;
      this.since = r.seq;
    }
  }
}

/** Runs a node script as a whole process; wall time from spawn to exit, peak RSS from the kernel. */
async function timeProcess(
  args: string[],
  env: Record<string, string>,
): Promise<{ wallMs: number; peakRssMb: number; cpuSeconds: number; stdout: string; code: number }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "janitor-bench-"));
  const peakFile = path.join(dir, "peak");
  const cpuFile = path.join(dir, "cpu");
  const started = performance.now();
  const child = spawn(process.execPath, ["--require", path.join(__dirname, "peakRss.js"), ...args], {
    cwd: root,
    env: { ...process.env, ...env, BENCH_PEAK_FILE: peakFile, BENCH_CPU_FILE: cpuFile },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (c: Buffer) => {
    if (stdout.length < 100_000) stdout += c.toString();
  });
  child.stderr.on("data", (c: Buffer) => {
    stderr = (stderr + c.toString()).slice(-4_000);
  });
  const code = await new Promise<number>((resolve) => child.once("exit", (c) => resolve(c ?? 1)));
  const wallMs = performance.now() - started;
  let peakRssMb = NaN;
  let cpuSeconds = NaN;
  try {
    peakRssMb = round(Number(readFileSync(peakFile, "utf8")) / 1024);
    cpuSeconds = round(Number(readFileSync(cpuFile, "utf8")) / 1000);
  } catch {
    // no file: the process died before exit handlers ran
  }
  rmSync(dir, { recursive: true, force: true });
  if (code !== 0 && code !== 3) process.stderr.write(`${args.join(" ")} exited ${code}: ${stderr}\n`);
  return { wallMs, peakRssMb, cpuSeconds, stdout, code };
}

/** CPU seconds (user and system) a process has used so far, from /proc (Linux); NaN elsewhere. */
function cpuSecondsOf(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  try {
    // Fields 14 and 15 of /proc/<pid>/stat, after the command name in parentheses; clock ticks of 1/100 s.
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

const seed = (control: EmulatorControlClient, c: TenantCase) => seedJobs(control, c, LATENCY_MS);

/** Rows per table (and plan blobs) in Azurite, to count what a run wrote. */
async function countRows(azurite: AzuriteProcess): Promise<Record<string, number>> {
  const options = { allowInsecureConnection: true };
  const service = TableServiceClient.fromConnectionString(azurite.connectionString, options);
  const counts: Record<string, number> = {};
  for await (const t of service.listTables()) {
    const name = t.name!;
    if (name.startsWith("BenchRate")) continue;
    const table = TableClient.fromConnectionString(azurite.connectionString, name, options);
    let n = 0;
    for await (const page of table
      .listEntities({ queryOptions: { select: ["PartitionKey"] } })
      .byPage({ maxPageSize: 1000 }))
      n += page.length;
    counts[name] = n;
  }
  const blobs = BlobServiceClient.fromConnectionString(azurite.connectionString);
  let planBlobs = 0;
  for await (const c of blobs.listContainers())
    for await (const _ of blobs.getContainerClient(c.name).listBlobsFlat()) planBlobs++;
  counts.planBlobs = planBlobs;
  return counts;
}

/** Azurite's batch write rate here and now: 10,000 rows in transactions of 100, 8 at a time. */
export async function azuriteBatchRate(azurite: AzuriteProcess): Promise<number> {
  const table = TableClient.fromConnectionString(azurite.connectionString, `BenchRate${Date.now()}`, {
    allowInsecureConnection: true,
  });
  await table.createTable();
  const batches = Array.from({ length: 100 }, (_, b) =>
    Array.from({ length: 100 }, (_, r) => ({
      partitionKey: `p${b}`,
      rowKey: `r${String(r).padStart(4, "0")}`,
      runId: "20261201T000000Z-00000000",
      outcome: "planned",
      reason: "rule-matched",
      jobId: `/subscriptions/${subscriptionId(b)}/resourceGroups/rg-0/providers/Microsoft.ImportExport/jobs/job-${r}`,
    })),
  );
  const started = performance.now();
  const queue = [...batches];
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      for (let b = queue.shift(); b; b = queue.shift())
        await table.submitTransaction(b.map((e) => ["create", e]));
    }),
  );
  const rate = 10_000 / ((performance.now() - started) / 1000);
  await table.deleteTable();
  return Math.round(rate);
}

function janitorEnv(emulator: Emulator, azurite: AzuriteProcess): Record<string, string> {
  return {
    JANITOR_ARM_ENDPOINT: emulator.endpoint,
    JANITOR_ARM_CA_CERT: emulator.caCertPath,
    JANITOR_STORAGE: azurite.connectionString,
    JANITOR_POLICY: POLICY,
  };
}

/**
 * `baseline`: the root of another build of the janitor (e.g. a checkout of an earlier commit, built): its CLI runs
 * each case too, right after this one's, so a before/after pair shares the machine's load.
 */
export async function benchTenant(
  keys?: string[],
  baseline?: string,
): Promise<Record<string, number | string>[]> {
  const cases = TENANT_CASES.filter((c) => !keys || keys.includes(c.key));
  const results: Record<string, number | string>[] = [];
  const emulator = await startEmulatorProcess();
  const control = new EmulatorControlClient(emulator);
  let batchRate: number | undefined;
  try {
    for (const c of cases) {
      const jobs = await seed(control, c);
      let peer: Awaited<ReturnType<typeof timeProcess>> | undefined;
      let peerRequests = 0;
      // BENCH_NO_PEER=1: the janitor's runs only (e.g. to repeat them after the peer was measured).
      if (c.peer && !process.env.BENCH_NO_PEER) {
        const counter = new RequestCounter(control);
        await counter.start();
        peer = await timeProcess([path.join(__dirname, "peer.js"), c.mode], {
          PEER_ENDPOINT: emulator.endpoint,
          PEER_CA_CERT: emulator.caCertPath,
        });
        peerRequests = await counter.stop();
        if (c.mode === "apply") await seed(control, c); // the peer deleted them
      }
      for (const [label, janitorRoot] of [["janitor", root], ...(baseline ? [["baseline", baseline]] : [])]) {
        if (label === "baseline" && c.mode === "apply") await seed(control, c); // the first janitor deleted them
        const azurite = await startAzurite();
        try {
          batchRate ??= await azuriteBatchRate(azurite);
          const before = await countRows(azurite);
          const counter = new RequestCounter(control);
          await counter.start();
          const bin = path.join(janitorRoot!, "bin/ie-janitor.js");
          const args = [bin, c.mode, ...(c.mode === "apply" ? ["--yes"] : [])];
          const load = os.loadavg()[0]!;
          // The baseline build's default was 8 (BENCH_BASELINE_CONCURRENCY if it was something else).
          const concurrency = Number(
            process.env.JANITOR_CONCURRENCY ??
              (label === "baseline"
                ? (process.env.BENCH_BASELINE_CONCURRENCY ?? 8)
                : DEFAULT_SWEEP_CONCURRENCY),
          );
          const cpuBefore = {
            azurite: cpuSecondsOf(azurite.pid),
            emulator: cpuSecondsOf(emulator.child.pid),
          };
          const run = await timeProcess(args, janitorEnv(emulator, azurite));
          const requests = await counter.stop();
          // The three processes share the machine's cores: their CPU time over the cores is a bound too.
          const cpu = {
            janitor: run.cpuSeconds,
            azurite: round(cpuSecondsOf(azurite.pid) - cpuBefore.azurite),
            emulator: round(cpuSecondsOf(emulator.child.pid) - cpuBefore.emulator),
          };
          const cpuBoundMs = ((cpu.janitor + cpu.azurite + cpu.emulator) / os.cpus().length) * 1000;
          const after = await countRows(azurite);
          const rows: Record<string, number> = {};
          let rowsWritten = 0;
          for (const [table, n] of Object.entries(after)) {
            rows[table] = n - (before[table] ?? 0);
            if (table !== "planBlobs") rowsWritten += rows[table]!;
          }
          // Bounds: ARM at the janitor's concurrency (requests within a subscription are sequential, each costs
          // the added latency), ARM's per-subscription buckets, and Azurite writing the rows at its batch rate.
          const armBoundMs = (requests * LATENCY_MS) / concurrency;
          const swept = c.withJobs;
          const bucketMs = Math.max(
            0,
            ((counter.byKind.read / swept - DEFAULT_THROTTLING.reads.capacity) /
              DEFAULT_THROTTLING.reads.refillPerSecond) *
              1000,
            ((counter.byKind.delete / swept - DEFAULT_THROTTLING.deletes.capacity) /
              DEFAULT_THROTTLING.deletes.refillPerSecond) *
              1000,
          );
          const storageBoundMs = (rowsWritten / batchRate) * 1000;
          const boundMs = Math.max(armBoundMs, bucketMs, storageBoundMs);
          results.push({
            case: c.name,
            build: label!,
            loadAverage: round(load),
            jobs,
            exit: run.code,
            janitorSeconds: round(run.wallMs / 1000),
            ...(peer && {
              peerSeconds: round(peer.wallMs / 1000),
              speedupVsPeer: round(peer.wallMs / run.wallMs),
              peerRequests,
            }),
            janitorRequests: requests,
            http429: counter.status429,
            ...(counter.missed > 0 && { requestsNotSeenIn429Count: counter.missed }),
            concurrency,
            armBoundSeconds: round(armBoundMs / 1000),
            bucketBoundSeconds: round(bucketMs / 1000),
            azuriteBatchRowsPerSecond: batchRate,
            rowsWritten,
            storageBoundSeconds: round(storageBoundMs / 1000),
            ratioToBound: round(run.wallMs / boundMs),
            cpuSeconds: JSON.stringify(cpu),
            cpuBoundSeconds: round(cpuBoundMs / 1000),
            rowsPerJobSeen: Math.round((rowsWritten / Math.max(1, jobs)) * 1000) / 1000,
            rowsByTable: JSON.stringify(rows),
            peakRssMb: run.peakRssMb,
          });
          process.stderr.write(`${JSON.stringify(results.at(-1))}\n`);
        } finally {
          await azurite.stop();
        }
      }
    }
  } finally {
    await control.clearFaults().catch(() => undefined);
    emulator.child.kill("SIGTERM");
  }
  return results;
}

if (require.main === module) {
  benchTenant(
    process.env.BENCH_TENANT?.split(",").map((s) => s.trim()),
    process.env.BENCH_BASELINE,
  ).then(
    (rows) => console.table(rows),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
