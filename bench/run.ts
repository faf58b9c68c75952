// `npm run bench`: every benchmark in turn, printed as tables and saved to bench/results/latest.json.
// Benchmarks measure; tests never assert timings. `BENCH_ONLY=sweep,audit` runs a subset
// (emulator, audit, plan, dashboard, sweep, tenant, bundle).
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { benchAuditWrite } from "./auditWrite";
import { benchDashboard } from "./dashboardBench";
import { benchEmulatorLoad } from "./emulatorLoad";
import { benchPlan } from "./planBench";
import { DEFAULT_SWEEP_CONCURRENCY } from "../src/domain/sweepConcurrency";
import { benchSweep, DEFAULT_SWEEP_CASES } from "./sweepBench";
import { benchTenant } from "./tenantBench";

const root = path.resolve(__dirname, "../..");

async function main(): Promise<void> {
  const only = process.env.BENCH_ONLY?.split(",").map((s) => s.trim());
  const wanted = (name: string) => !only || only.includes(name);
  const results: Record<string, unknown> = {
    machine: {
      cpus: os.cpus().length,
      memoryGiB: Math.round(os.totalmem() / 2 ** 30),
      node: process.version,
    },
    startedAt: new Date().toISOString(),
  };
  if (wanted("emulator")) {
    console.log("\n# Emulator: load 100,000 jobs across 1,000 subscriptions, list one subscription");
    results.emulator = await benchEmulatorLoad();
    console.table(results.emulator);
  }
  if (wanted("audit")) {
    console.log("\n# Audit log on Azurite: batched and single writes, newest 100 of a day among 100,000");
    results.audit = await benchAuditWrite();
    console.table(results.audit);
  }
  if (wanted("plan")) {
    console.log(
      "\n# Saved plans on Azurite: 10,000 and 100,000 proposed actions over 1,000 subscriptions, written and read back page by page",
    );
    results.plan = await benchPlan();
    console.table(results.plan);
  }
  if (wanted("dashboard")) {
    console.log(
      "\n# Dashboard on Azurite: 10,000 runs and 100,000 audit entries, time to the first rows over HTTP and in Chromium",
    );
    results.dashboard = await benchDashboard();
    console.table(results.dashboard);
  }
  if (wanted("sweep")) {
    console.log("\n# Sweeps: 20 ms added to every ARM request, ARM-like throttling on, default pacing");
    results.sweep = await benchSweep(DEFAULT_SWEEP_CASES, {
      latencyMs: 20,
      concurrency: DEFAULT_SWEEP_CONCURRENCY,
    });
    console.table(results.sweep);
  }
  if (wanted("tenant")) {
    console.log(
      "\n# Tenants: the CLI and the peer (bench/peer.ts) as whole processes, same emulator (20 ms per ARM request), fresh Azurite per case",
    );
    results.tenant = await benchTenant(
      process.env.BENCH_TENANT?.split(",").map((s) => s.trim()),
      process.env.BENCH_BASELINE,
    );
    console.table(results.tenant);
  }
  if (wanted("bundle")) {
    console.log("\n# Functions app import time, bundled vs unbundled");
    const out = execFileSync(process.execPath, [path.join(root, "scripts/compareImportTime.mjs"), "--json"], {
      cwd: root,
      encoding: "utf8",
    });
    results.bundle = JSON.parse(out);
    console.log(out);
  }
  mkdirSync(path.join(root, "bench/results"), { recursive: true });
  writeFileSync(path.join(root, "bench/results/latest.json"), `${JSON.stringify(results, null, 2)}\n`);
  console.log("\nSaved bench/results/latest.json");
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
