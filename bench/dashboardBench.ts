// Benchmark: how soon does the dashboard show its first rows when the store holds 10,000 runs and 100,000 audit
// entries? The data is written through the product's own stores (TableRunStore, TableAuditStore) on a private
// in-memory Azurite; the built app runs on the local Functions host, and the figures are taken the way the page
// gets them: its data routes over HTTP (GET /api/ui/data/runs?limit=25, the audit page's default query of the last
// 7 days, 100 rows), and, when a Chromium is found, in the real browser from navigation to the first rendered row.
// Each figure is the median of several tries after one cold try. Goal: under 1 s each.
// Run: `npm run build && node dist/bench/dashboardBench.js` (or `BENCH_ONLY=dashboard npm run bench`).
import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import type { TableClient, TransactionAction } from "@azure/data-tables";
import {
  createStorage,
  createStorageOnTables,
  createTableClient,
  parseStorageSettings,
  tableNames,
} from "../src/adapters/storage";
import { MAX_BATCH, type Entity, type TableLike } from "../src/adapters/storage/tableAccess";
import { ZERO_COUNTS, type AuditEntry, type RunRecord } from "../src/domain/records";
import { startEmulator } from "../tools/emulator/src/server";
import { startAzurite } from "../tools/local-functions-host/src/azuriteProcess";
import { startLocalHost } from "../tools/local-functions-host/src/host";
import { chromiumPath, launchChromium } from "../test/support/browser";

const root = path.resolve(__dirname, "../..");
const DAY_MS = 86_400_000;
export const DASHBOARD_RUNS = 10_000;
export const DASHBOARD_ENTRIES = 100_000;
/** The runs are spread over this many days before now, newest first; each run's entries follow its start. */
const SPAN_DAYS = 30;
const SUBSCRIPTIONS = 8;
const TRIES = 7;

const subscriptionOf = (n: number) => `da5b0000-0000-4000-8000-${n.toString(16).padStart(12, "0")}`;
/** Run ids as the janitor makes them: UTC time to the second, then 8 hex digits (here the run's number). */
const runIdAt = (ms: number, n: number) =>
  `${new Date(ms)
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d{3}Z$/, "Z")}-${n.toString(16).padStart(8, "0")}`;

export interface SeededDashboard {
  /** Newest first, as the runs page lists them. */
  runIds: string[];
  /** The runs that acted (and so wrote audit entries), newest first; the others found nothing to do. */
  activeRunIds: string[];
  writeRunsMs: number;
  writeEntriesMs: number;
}

/** Entries a run that acts writes here: intent and outcome rows of 50 jobs in one subscription. */
const ENTRIES_PER_ACTIVE_RUN = 100;

/**
 * Writes `runs` finished runs spread over the last 30 days before `now`, and `entries` audit entries: runs at an
 * even spacing act on 50 jobs each (100 entries, the intent and outcome rows a run writes), the rest found nothing
 * to do (such runs write no entry; their reasons are counted on the run). Everything goes through the product's
 * stores: runs through TableRunStore, whose single creates are sent 100 at a time in one transaction (they share
 * one partition), entries through TableAuditStore.append, 5,000 a call, as sweeps write them.
 */
export async function seedDashboardData(
  connectionString: string,
  options: { runs: number; entries: number; now: number; progress?: (text: string) => void },
): Promise<SeededDashboard> {
  const { runs, entries, now } = options;
  const active = Math.max(1, Math.min(runs, Math.floor(entries / ENTRIES_PER_ACTIVE_RUN)));
  const every = Math.floor(runs / active);
  const isActive = (i: number) => i % every === 0 && i / every < active;
  const gap = (SPAN_DAYS * DAY_MS) / runs;
  const startOf = (i: number) => Math.floor(now - (i + 1) * gap);
  const runIds = Array.from({ length: runs }, (_, i) => runIdAt(startOf(i), i));
  const perRun = (i: number) => (isActive(i) ? ENTRIES_PER_ACTIVE_RUN : 0);

  const record = (i: number): RunRecord => {
    const started = startOf(i);
    const apply = i % 3 === 0;
    const acted = perRun(i) / 2;
    return {
      runId: runIds[i]!,
      trigger: i % 5 === 0 ? "http" : "timer",
      mode: apply ? "apply" : "plan",
      requestedBy: i % 5 === 0 ? "operator@example.com" : "timer",
      status: i % 97 === 0 ? "partial" : "succeeded",
      queuedAt: new Date(started - 500).toISOString(),
      startedAt: new Date(started).toISOString(),
      finishedAt: new Date(started + 2_000 + acted * 1_000).toISOString(),
      policyHash: "sha256:bench",
      counts: {
        ...ZERO_COUNTS,
        subscriptionsScanned: SUBSCRIPTIONS,
        jobsSeen: 400,
        ...(apply ? { deleted: acted } : { planned: acted }),
      },
      reasons: { "no-rule": 300, "too-young": 100 - acted },
    };
  };

  const entry = (i: number, k: number): AuditEntry => {
    const subscriptionId = subscriptionOf(i % SUBSCRIPTIONS);
    const resourceGroup = `rg-${k % 5}`;
    const jobName = `job-${String(((i * 7 + k) >> 1) % 5_000).padStart(4, "0")}`;
    const apply = i % 3 === 0;
    const intent = k % 2 === 0;
    const failed = apply && !intent && k % 20 === 19; // now and then a delete fails
    return {
      timestamp: new Date(startOf(i) + 1_000 + k * 500).toISOString(),
      runId: runIds[i]!,
      seq: k + 1,
      trigger: i % 5 === 0 ? "http" : "timer",
      mode: apply ? "apply" : "plan",
      actor: i % 5 === 0 ? "operator@example.com" : "timer",
      subscriptionId,
      resourceGroup,
      jobName,
      jobId: `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.ImportExport/jobs/${jobName}`,
      jobType: k % 4 === 0 ? "Export" : "Import",
      stateBefore: "Completed",
      cancelRequestedBefore: false,
      ageDays: 31.5,
      ageBasis: "systemData.lastModifiedAt",
      rule: "completed-retention",
      action: "delete",
      phase: apply && intent ? "intent" : "outcome",
      ...(apply
        ? intent
          ? {}
          : failed
            ? { outcome: "failed" as const, httpStatus: 500, errorCode: "InternalServerError" }
            : { outcome: "succeeded" as const, httpStatus: 200, stateAfter: "Deleted", durationMs: 180 }
        : { outcome: "planned" as const }),
      reason: "rule-matched",
      policyHash: "sha256:bench",
    };
  };

  const conn = parseStorageSettings({ JANITOR_STORAGE: connectionString });
  const storage = createStorage(conn);
  await storage.ensureReady();
  const names = tableNames();
  const client = (name: string) => createTableClient(conn, name, { retryOptions: { maxRetries: 0 } });
  const runStore = createStorageOnTables({
    audit: client(names.audit),
    runs: batchingCreates(client(names.runs)),
    observations: client(names.observations),
    leases: client(names.leases),
  }).runs;

  let started = performance.now();
  // 1,000 at a time: ten transactions in flight.
  for (let from = 0; from < runs; from += 1_000)
    await Promise.all(runIds.slice(from, from + 1_000).map((_, k) => runStore.create(record(from + k))));
  const writeRunsMs = performance.now() - started;
  options.progress?.(`${runs} runs in ${Math.round(writeRunsMs)} ms`);

  const activeRuns = runIds.map((_, i) => i).filter(isActive);
  const RUNS_PER_CALL = 50;
  started = performance.now();
  for (let c = 0; c < activeRuns.length; c += RUNS_PER_CALL) {
    const batch = activeRuns
      .slice(c, c + RUNS_PER_CALL)
      .flatMap((i) => Array.from({ length: perRun(i) }, (_, k) => entry(i, k)));
    await storage.audit.append(batch);
    options.progress?.(`${Math.min(c + RUNS_PER_CALL, activeRuns.length) * ENTRIES_PER_ACTIVE_RUN} entries`);
  }
  const writeEntriesMs = performance.now() - started;
  return { runIds, activeRunIds: activeRuns.map((i) => runIds[i]!), writeRunsMs, writeEntriesMs };
}

/**
 * A table client whose createEntity calls are gathered into transactions of up to 100 (all of one partition, as
 * the run store's are); every other call goes straight through.
 */
function batchingCreates(table: TableClient): TableLike {
  const pending: { entity: Entity; resolve: (v: unknown) => void; reject: (e: unknown) => void }[] = [];
  let timer: NodeJS.Timeout | undefined;
  const flush = () => {
    timer = undefined;
    while (pending.length > 0) {
      const batch = pending.splice(0, MAX_BATCH);
      table.submitTransaction(batch.map((p): TransactionAction => ["create", p.entity])).then(
        (result) => batch.forEach((p) => p.resolve(result)),
        (error: unknown) => batch.forEach((p) => p.reject(error)),
      );
    }
  };
  const createEntity = (entity: Entity) =>
    new Promise((resolve, reject) => {
      pending.push({ entity, resolve, reject });
      if (pending.length >= MAX_BATCH) flush();
      else timer ??= setTimeout(flush, 5);
    });
  return new Proxy(table as unknown as TableLike, {
    get: (target, property) => {
      if (property === "createEntity") return createEntity;
      const value = (target as unknown as Record<string | symbol, unknown>)[property];
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const round = (n: number, digits = 0) => Math.round(n * 10 ** digits) / 10 ** digits;
const progress = (text: string) => process.stderr.write(`dashboardBench: ${text}\n`);

/** A cold try, then TRIES more: the cold one and the median of the rest. */
async function measure(
  name: string,
  once: () => Promise<void>,
): Promise<{ firstMs: number; medianMs: number; tries: number }> {
  const times: number[] = [];
  for (let i = 0; i <= TRIES; i++) {
    const started = performance.now();
    await once();
    times.push(performance.now() - started);
  }
  progress(`${name}: ${times.map((t) => Math.round(t)).join(", ")} ms`);
  return { firstMs: round(times[0]!, 1), medianMs: round(median(times.slice(1)), 1), tries: TRIES };
}

/** The audit page's default query (audit.tsx): the last 7 days, 100 rows, newest first. */
const auditDefaultQuery = () =>
  new URLSearchParams({
    to: new Date().toISOString(),
    from: new Date(Date.now() - 7 * DAY_MS).toISOString(),
    limit: "100",
  });

export async function benchDashboard(): Promise<Record<string, number | string>[]> {
  const [azurite, emulator] = await Promise.all([
    startAzurite(),
    startEmulator({ seed: { subscriptions: [], jobs: [] } }),
  ]);
  const closers: (() => Promise<unknown>)[] = [() => azurite.stop(), () => emulator.close()];
  try {
    progress(`writing ${DASHBOARD_RUNS} runs and ${DASHBOARD_ENTRIES} audit entries through the stores`);
    const seeded = await seedDashboardData(azurite.connectionString, {
      runs: DASHBOARD_RUNS,
      entries: DASHBOARD_ENTRIES,
      now: Date.now() - 60_000,
      progress,
    });
    progress(
      `written: runs in ${Math.round(seeded.writeRunsMs)} ms, entries in ${Math.round(seeded.writeEntriesMs)} ms`,
    );

    const host = await startLocalHost({
      appRoot: root,
      port: 0,
      env: {
        AzureWebJobsStorage: azurite.connectionString,
        JANITOR_STORAGE: azurite.connectionString,
        JANITOR_ARM_ENDPOINT: emulator.endpoint,
        JANITOR_ARM_CA_CERT: emulator.caCertPath,
        JANITOR_UI_LOCAL: "open",
      },
      log: () => {},
    });
    closers.unshift(() => host.close());
    const data = `${host.url}/api/ui/data`;
    const get = async (url: string, check: (body: { items: unknown[]; nextCursor?: string }) => void) => {
      const res = await fetch(url, { headers: { accept: "application/json" } });
      if (res.status !== 200) throw new Error(`GET ${url}: HTTP ${res.status} ${await res.text()}`);
      check((await res.json()) as { items: unknown[]; nextCursor?: string });
    };
    const full = (want: number) => (body: { items: unknown[]; nextCursor?: string }) => {
      if (body.items.length !== want || !body.nextCursor)
        throw new Error(`expected a full page of ${want} with a next page, got ${body.items.length}`);
    };

    const rows: Record<string, number | string>[] = [];
    // The machine's load while a figure was taken: other work on a shared machine slows every figure.
    const row = (
      what: string,
      via: string,
      m: { firstMs: number; medianMs: number; tries: number; medianSeenByPlaywrightMs?: number },
    ) =>
      rows.push({
        what,
        via,
        runs: DASHBOARD_RUNS,
        auditEntries: DASHBOARD_ENTRIES,
        ...m,
        underOneSecond: m.medianMs < 1000 ? "yes" : "NO",
        loadAverage1m: round(os.loadavg()[0]!, 1),
      });

    progress("HTTP: the data routes as the page calls them");
    row(
      "runs page, first 25 runs",
      "HTTP GET /api/ui/data/runs?limit=25",
      await measure("runs over HTTP", () => get(`${data}/runs?limit=25`, full(25))),
    );
    let cursor = "";
    await get(`${data}/runs?limit=25`, (body) => (cursor = body.nextCursor ?? ""));
    row(
      "runs page, second page",
      "HTTP GET /api/ui/data/runs?limit=25&cursor=...",
      await measure("runs page 2 over HTTP", () =>
        get(`${data}/runs?limit=25&cursor=${encodeURIComponent(cursor)}`, full(25)),
      ),
    );
    row(
      "audit page, default query (last 7 days, 100 rows)",
      "HTTP GET /api/ui/data/audit?from&to&limit=100",
      await measure("audit over HTTP", () => get(`${data}/audit?${auditDefaultQuery()}`, full(100))),
    );
    const oneRun = seeded.activeRunIds[Math.floor(seeded.activeRunIds.length / 2)]!;
    row(
      "audit page, one run's entries",
      "HTTP GET /api/ui/data/audit?runId=...&limit=100",
      await measure("audit of one run over HTTP", () =>
        get(`${data}/audit?runId=${oneRun}&limit=100`, (body) => {
          if (body.items.length === 0) throw new Error(`no entries for run ${oneRun}`);
        }),
      ),
    );
    const failed = auditDefaultQuery();
    failed.set("outcome", "failed");
    row(
      "audit page, last 7 days, outcome failed (a sparse filter)",
      "HTTP GET /api/ui/data/audit?from&to&outcome=failed&limit=100",
      await measure("audit, failed only, over HTTP", () => get(`${data}/audit?${failed}`, () => {})),
    );

    let browserPath: string | undefined;
    try {
      browserPath = chromiumPath();
    } catch {
      progress("no Chromium found (CHROMIUM_PATH or /usr/bin/chromium): browser figures left out");
    }
    if (browserPath) {
      progress(`browser: ${browserPath}, 1280x800, navigation to the first rendered row`);
      const browser = await launchChromium();
      try {
        const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
        // The page's own clock: when the first row of a data table is in the document, from navigation start.
        // (A string: this file is compiled without the DOM's types.)
        await context.addInitScript({
          content: `new MutationObserver((_, seen) => {
            if (document.querySelector("[role=region] tbody tr")) {
              window.firstRowAt = performance.now();
              seen.disconnect();
            }
          }).observe(document, { childList: true, subtree: true });`,
        });
        const firstRow = async (hash: string, region: string, settled?: string) => {
          const page = await context.newPage();
          try {
            const started = performance.now();
            await page.goto(`${host.url}/api/ui#/${hash}`, { waitUntil: "commit" });
            await page.getByRole("region", { name: region }).locator("tbody tr").first().waitFor();
            const seenByPlaywright = performance.now() - started;
            const inPage = Number(await page.evaluate("window.firstRowAt"));
            // The next try starts on a quiet store: the runs page's chart reads the audit log after the list.
            if (settled) await page.locator(settled).first().waitFor({ timeout: 120_000 });
            await page.waitForLoadState("networkidle");
            return { inPage, seenByPlaywright };
          } finally {
            await page.close();
          }
        };
        const inBrowser = async (name: string, hash: string, region: string, settled?: string) => {
          const tries: { inPage: number; seenByPlaywright: number }[] = [];
          for (let i = 0; i <= TRIES; i++) tries.push(await firstRow(hash, region, settled));
          progress(
            `${name}: ${tries.map((t) => `${Math.round(t.inPage)} (${Math.round(t.seenByPlaywright)})`).join(", ")} ms`,
          );
          const rest = tries.slice(1);
          return {
            firstMs: round(tries[0]!.inPage, 1),
            medianMs: round(median(rest.map((t) => t.inPage)), 1),
            tries: TRIES,
            // The same from the driving process: goto() to Playwright seeing the row, its own delays included.
            medianSeenByPlaywrightMs: round(median(rest.map((t) => t.seenByPlaywright)), 1),
          };
        };
        row(
          "runs page, first row rendered",
          "Chromium, /api/ui#/runs (navigation start to the first row in the page)",
          await inBrowser(
            "runs in the browser",
            "runs",
            "Runs, newest first",
            "#chart-title ~ .chart canvas, #chart-title ~ .error",
          ),
        );
        row(
          "audit page, first row rendered (default query)",
          "Chromium, /api/ui#/audit (navigation start to the first row in the page)",
          await inBrowser("audit in the browser", "audit", "Audit entries"),
        );
      } finally {
        await browser.close();
      }
    }
    rows.push({
      what: "seeding (not a page figure)",
      via: "TableRunStore.create, 100 per transaction; TableAuditStore.append, 5,000 entries per call",
      runs: DASHBOARD_RUNS,
      auditEntries: DASHBOARD_ENTRIES,
      writeRunsMs: round(seeded.writeRunsMs),
      writeEntriesMs: round(seeded.writeEntriesMs),
    });
    // Kept apart too: bench/results/latest.json holds only the benchmarks of the last `npm run bench`.
    mkdirSync(path.join(root, "bench/results"), { recursive: true });
    writeFileSync(
      path.join(root, "bench/results/dashboard.json"),
      `${JSON.stringify({ measuredAt: new Date().toISOString(), cpus: os.cpus().length, rows }, null, 2)}\n`,
    );
    return rows;
  } finally {
    for (const close of closers) await close().catch(() => {});
  }
}

if (require.main === module) {
  benchDashboard().then(
    (rows) => process.stdout.write(`${JSON.stringify({ bench: "dashboard", rows }, null, 2)}\n`),
    (error: unknown) => {
      process.stderr.write(`dashboardBench failed: ${(error as Error)?.stack ?? String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
