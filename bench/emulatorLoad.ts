// Benchmark: can the emulator hold 100,000 jobs across 1,000 subscriptions, and list one subscription quickly?
// Loads the jobs through the control API in batches (as a test or the local host would), then lists one
// subscription's jobs through the real SDK. Run: `npm run build && node dist/bench/emulatorLoad.js`.
import type { TokenCredential } from "@azure/core-auth";
import { SubscriptionClient } from "@azure/arm-resources-subscriptions";
import { StorageImportExport } from "@azure/arm-storageimportexport";
import { EmulatorControlClient } from "../tools/emulator/src/controlClient";
import type { SeedJob } from "../tools/emulator/src/seed";
import { startEmulator } from "../tools/emulator/src/server";

const SUBSCRIPTIONS = 1_000;
const JOBS_PER_SUBSCRIPTION = 100;
const BATCH = 5_000;
const STATES = ["Creating", "Shipping", "Received", "Transferring", "Packaging", "Completed", "Closed"];

const credential: TokenCredential = {
  getToken: async () => ({ token: "dev", expiresOnTimestamp: Date.now() + 3_600_000 }),
};

const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;
const subscriptionId = (i: number) => `b0000000-0000-4000-8000-${String(i).padStart(12, "0")}`;

/** A job of realistic size: return address, shipping details and one drive, like the real service returns. */
function benchJob(sub: number, n: number, nowMs: number): SeedJob {
  const state = STATES[n % STATES.length]!;
  const createdAt = new Date(nowMs - (n % 10) * 86_400_000).toISOString();
  return {
    subscriptionId: subscriptionId(sub),
    resourceGroup: `rg-${n % 5}`,
    name: `job-${String(n).padStart(4, "0")}`,
    location: "West US",
    tags: n % 10 === 0 ? { janitor: "exempt" } : {},
    systemData: { createdAt, lastModifiedAt: createdAt },
    properties: {
      storageAccountId: `/subscriptions/${subscriptionId(sub)}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/st${n}`,
      jobType: n % 2 === 0 ? "Import" : "Export",
      state,
      cancelRequested: false,
      provisioningState: "Succeeded",
      returnAddress: {
        recipientName: "Bench Person",
        streetAddress1: `${n} Bench Street`,
        city: "Springfield",
        postalCode: "98000",
        countryOrRegion: "USA",
        phone: "+1 425-555-0100",
        email: "bench@example.com",
      },
      deliveryPackage:
        state === "Creating" ? undefined : { carrierName: "FedEx", trackingNumber: `77${sub}${n}` },
      driveList: [
        { driveId: `D${sub}-${n}`, bitLockerKey: "000000-111111-222222-333333", state: "Specified" },
      ],
    },
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

export async function benchEmulatorLoad(): Promise<Record<string, number | string>> {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const before = process.memoryUsage();
  const emulator = await startEmulator({ settings: { throttling: false } });
  try {
    const control = new EmulatorControlClient(emulator);
    const nowMs = Date.parse(await control.now());

    // Load in batches through the control API.
    const loadStart = performance.now();
    let batch: SeedJob[] = [];
    for (let sub = 0; sub < SUBSCRIPTIONS; sub++) {
      for (let n = 0; n < JOBS_PER_SUBSCRIPTION; n++) {
        batch.push(benchJob(sub, n, nowMs));
        if (batch.length === BATCH) {
          await control.addJobs({ jobs: batch });
          batch = [];
        }
      }
    }
    if (batch.length > 0) await control.addJobs({ jobs: batch });
    const loadMs = performance.now() - loadStart;
    const summary = await control.summary();
    gc?.();
    const after = process.memoryUsage();

    // List one subscription's jobs through the real SDK (100 jobs, one page of $top=100), cold then warm.
    const options = {
      endpoint: emulator.endpoint,
      tlsOptions: { ca: emulator.caCertPem },
      retryOptions: { maxRetries: 0 },
    };
    const target = subscriptionId(Math.floor(SUBSCRIPTIONS / 2));
    const client = new StorageImportExport(credential, target, options);
    const listOnce = async () => {
      const start = performance.now();
      let count = 0;
      for await (const _job of client.jobs.listBySubscription({ top: 100 })) count++;
      return { ms: performance.now() - start, count };
    };
    const cold = await listOnce();
    const warm: number[] = [];
    for (let i = 0; i < 10; i++) warm.push((await listOnce()).ms);

    // Discovery of all 1,000 subscriptions (pages of 100).
    const subsStart = performance.now();
    let subscriptionsListed = 0;
    for await (const _s of new SubscriptionClient(credential, options).subscriptions.list())
      subscriptionsListed++;
    const listSubscriptionsMs = performance.now() - subsStart;

    return {
      jobsLoaded: summary.jobs,
      subscriptions: summary.subscriptions,
      batchSize: BATCH,
      loadMs: Math.round(loadMs),
      jobsPerSecond: Math.round(summary.jobs / (loadMs / 1000)),
      rssBeforeMB: mb(before.rss),
      rssAfterMB: mb(after.rss),
      heapUsedBeforeMB: mb(before.heapUsed),
      heapUsedAfterMB: mb(after.heapUsed),
      gcExposed: gc === undefined ? "no (run with --expose-gc for steadier memory figures)" : "yes",
      listOneSubscriptionJobs: cold.count,
      listOneSubscriptionColdMs: Math.round(cold.ms * 10) / 10,
      listOneSubscriptionWarmMedianMs: Math.round(median(warm) * 10) / 10,
      subscriptionsListed,
      listAllSubscriptionsMs: Math.round(listSubscriptionsMs),
    };
  } finally {
    await emulator.close();
  }
}

if (require.main === module) {
  benchEmulatorLoad().then(
    (figures) => {
      process.stdout.write(JSON.stringify({ bench: "emulatorLoad", ...figures }, null, 2) + "\n");
    },
    (error: unknown) => {
      process.stderr.write(`emulatorLoad failed: ${(error as Error)?.stack ?? String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
