// Scale-out: a run over 20 subscriptions fans out through the storage queue to parallel workers on the local
// host; the run-wide cap holds across them; and a worker that dies mid-message is survived. Apply is enabled here.
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createStorage, parseStorageSettings } from "../../src/adapters/storage";
import { EmulatorControlClient } from "../../tools/emulator/src/controlClient";
import { startEmulator, type RunningEmulator } from "../../tools/emulator/src/server";
import { startAzurite, type AzuriteProcess } from "../../tools/local-functions-host/src/azuriteProcess";
import { appBuilt, repoRoot, waitForRun, withAppStack } from "../support/appStack";
import { guid, seedJob, subscription } from "../support/jobFactory";

const policy = (maxActionsPerRun: number) =>
  JSON.stringify({
    version: 1,
    rules: [{ name: "stale-drafts", states: ["Creating"], olderThan: "P7D", action: "delete" }],
    guards: { gracePeriod: "PT0S" },
    limits: { maxActionsPerRun, maxActionsPerSubscription: 25, maxEligibleFraction: 1 },
  });

async function startRun(api: string, mode: "plan" | "apply"): Promise<string> {
  const res = await fetch(`${api}/runs`, {
    method: "POST",
    body: JSON.stringify({ mode }),
    headers: { "content-type": "application/json" },
  });
  expect(res.status).toBe(202);
  return ((await res.json()) as { runId: string }).runId;
}

interface Entry {
  subscriptionId: string;
  jobId?: string;
  phase: string;
  outcome?: string;
  reason: string;
  timestamp: string;
  seq: number;
}

async function auditOf(api: string, runId: string): Promise<Entry[]> {
  const items: Entry[] = [];
  let cursor: string | null = null;
  do {
    const page = (await (
      await fetch(
        `${api}/audit?runId=${runId}&limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
      )
    ).json()) as {
      items: Entry[];
      nextCursor: string | null;
    };
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return items;
}

describe.skipIf(!appBuilt)("scale-out through queues", () => {
  const SUBS = Array.from({ length: 20 }, (_, i) => guid(0xf00 + i));
  const seed = {
    subscriptions: SUBS.map((s) => subscription(s)),
    jobs: SUBS.flatMap((sub, i) => [
      seedJob({ sub, name: `stale-a-${i}`, state: "Creating", days: 10, systemData: true }),
      seedJob({ sub, name: `stale-b-${i}`, state: "Creating", days: 11, systemData: true }),
      seedJob({ sub, name: `young-${i}`, state: "Creating", days: 1, systemData: true }),
    ]),
  };
  const stack = withAppStack({
    seed,
    settings: { JANITOR_POLICY: policy(25), JANITOR_MANUAL_APPLY: "enabled" },
  });

  it("fans a 20-subscription run out to parallel workers, with exact counts and the run cap held", async () => {
    // Prepare: every ARM request takes a little while, so that parts overlap if they run in parallel.
    await stack().control.addFaults({ latencyMs: 40 });
    // Act
    const runId = await startRun(stack().api, "apply");
    const run = await waitForRun(stack().api, runId, 120_000);
    // Assess: one part per subscription, all merged; 40 eligible, the run cap of 25 held across workers.
    expect(run).toMatchObject({ status: "succeeded", partsTotal: 20, partsDone: 20 });
    expect(run.counts).toMatchObject({
      subscriptionsScanned: 20,
      jobsSeen: 60,
      deleted: 25,
      deferred: 15,
      skipped: 20,
    });
    const audit = await auditOf(stack().api, runId);
    expect(audit.filter((e) => e.reason === "cap-run")).toHaveLength(15);
    expect((await stack().control.jobs()).length).toBe(60 - 25);
    const deletes = (await stack().control.requests()).items.filter((r) => r.method === "DELETE");
    expect(deletes).toHaveLength(25);
    expect(new Set(deletes.map((d) => d.path)).size).toBe(25);
    expect((await stack().control.requests({ forbidden: true })).forbiddenTotal).toBe(0);

    // At least two subscriptions were being swept at the same time (their audit spans overlap).
    const spans = SUBS.map((sub) => {
      const times = audit.filter((e) => e.subscriptionId === sub).map((e) => Date.parse(e.timestamp));
      return [Math.min(...times), Math.max(...times)] as const;
    });
    const overlapping = spans.some(([a0, a1], i) =>
      spans.some(([b0, b1], j) => i !== j && a0 < b1 && b0 < a1),
    );
    expect(overlapping).toBe(true);
  });
});

describe.skipIf(!appBuilt)("a worker that dies mid-message", () => {
  const SUB = guid(0xdead);
  let emulator: RunningEmulator;
  let azurite: AzuriteProcess;
  let control: EmulatorControlClient;
  const hosts: ChildProcess[] = [];

  beforeAll(async () => {
    [emulator, azurite] = await Promise.all([
      startEmulator({
        seed: {
          subscriptions: [subscription(SUB)],
          jobs: [0, 1, 2].map((i) =>
            seedJob({ sub: SUB, name: `stale-${i}`, state: "Creating", days: 10, systemData: true }),
          ),
        },
      }),
      startAzurite(),
    ]);
    control = new EmulatorControlClient(emulator);
  });
  afterAll(async () => {
    for (const h of hosts) if (h.exitCode === null) h.kill("SIGKILL");
    await Promise.allSettled([emulator.close(), azurite.stop()]);
  });

  /** The app on the local host in its own process, so it can be killed like a crashed instance. */
  function startHostProcess(): Promise<{ api: string; child: ChildProcess }> {
    const script = `
      const { startLocalHost } = require(${JSON.stringify(path.join(repoRoot, "dist/tools/local-functions-host/src/host.js"))});
      startLocalHost({ appRoot: ${JSON.stringify(repoRoot)}, port: 0, queuePollMs: 100, queueLeaseSeconds: 2, log: () => {} })
        .then((h) => console.log("URL " + h.url));`;
    const child = spawn(process.execPath, ["-e", script], {
      env: {
        PATH: process.env.PATH ?? "",
        AzureWebJobsStorage: azurite.connectionString,
        JANITOR_STORAGE: azurite.connectionString,
        JANITOR_ARM_ENDPOINT: emulator.endpoint,
        JANITOR_ARM_CA_CERT: emulator.caCertPath,
        JANITOR_POLICY: policy(100),
        JANITOR_MANUAL_APPLY: "enabled",
        JANITOR_ARM_TIMEOUT: "PT5S",
        JANITOR_LEASE_TTL: "PT10S",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    hosts.push(child);
    return new Promise((resolve, reject) => {
      let out = "";
      child.stdout!.on("data", (c: Buffer) => {
        out += c.toString();
        const m = /URL (\S+)/.exec(out);
        if (m) resolve({ api: `${m[1]}/api`, child });
      });
      child.on("exit", (code) => reject(new Error(`host exited ${code}: ${out}`)));
    });
  }

  it("retries the message, does no action twice, and the audit shows every action once with intent and outcome", async () => {
    // Prepare: the first delete hangs for a while on the service side.
    await control.addFaults({ method: "DELETE", latencyMs: 2_500, count: 1 });
    const first = await startHostProcess();
    const runId = await startRun(first.api, "apply");
    const storage = createStorage(parseStorageSettings({ JANITOR_STORAGE: azurite.connectionString }));

    // Act: kill the worker while its first delete is on its way (the service has it; the answer is not back).
    for (let i = 0; ; i++) {
      const [deleteFault] = await control.faults();
      if ((deleteFault?.applied ?? 0) > 0) break;
      if (i > 400) throw new Error("no delete was sent");
      await new Promise((r) => setTimeout(r, 25));
    }
    const intents = (await storage.audit.query({ runId, limit: 100 })).items.filter(
      (e) => e.phase === "intent",
    );
    expect(intents).toHaveLength(1);
    first.child.kill("SIGKILL");
    const second = await startHostProcess();
    const run = await waitForRun(second.api, runId, 60_000);

    // Assess
    expect(run.status).toBe("succeeded");
    expect(run.counts).toMatchObject({ deleted: 3 });
    expect(await control.jobs()).toHaveLength(0);
    const deletes = (await control.requests()).items.filter((r) => r.method === "DELETE");
    expect(deletes.map((d) => d.path).sort()).toEqual([...new Set(deletes.map((d) => d.path))].sort());
    const audit = await auditOf(second.api, runId);
    for (const i of [0, 1, 2]) {
      const mine = audit.filter((e) => e.jobId?.endsWith(`/stale-${i}`)).sort((a, b) => a.seq - b.seq);
      expect(
        mine.map((e) => `${e.phase}:${e.outcome ?? "-"}`),
        `stale-${i}`,
      ).toEqual(["intent:-", "outcome:succeeded"]);
    }
    second.child.kill("SIGTERM");
  });

  it("records an action cut off before it was sent as not done, and the next run does it once", async () => {
    // Prepare: one job; the worker's re-read of it (between intent and delete) hangs.
    await control.reset({
      seed: {
        subscriptions: [subscription(SUB)],
        jobs: [seedJob({ sub: SUB, name: "stale-x", state: "Creating", days: 10, systemData: true })],
      },
    });
    await control.addFaults({ method: "GET", path: "/jobs/stale-x$", latencyMs: 3_000, count: 1 });
    const first = await startHostProcess();
    const runId = await startRun(first.api, "apply");

    // Act: kill the worker while the re-read hangs: its delete was never sent.
    for (let i = 0; ; i++) {
      const [readFault] = await control.faults();
      if ((readFault?.applied ?? 0) > 0) break;
      if (i > 400) throw new Error("the re-read was never sent");
      await new Promise((r) => setTimeout(r, 25));
    }
    first.child.kill("SIGKILL");
    const second = await startHostProcess();
    const run = await waitForRun(second.api, runId, 90_000);

    // Assess: the retry closes the intent as not done (the job is unchanged) and does not act on it again in
    // the same run; the next run deletes it, once.
    expect(run).toMatchObject({ status: "succeeded", counts: { deleted: 0, failed: 1 } });
    expect((await control.requests()).items.filter((r) => r.method === "DELETE")).toHaveLength(0);
    const mine = (await auditOf(second.api, runId))
      .filter((e) => e.jobId?.endsWith("/stale-x"))
      .sort((a, b) => a.seq - b.seq);
    expect(mine.map((e) => `${e.phase}:${e.outcome ?? "-"}`)).toEqual(["intent:-", "outcome:failed"]);
    const next = await waitForRun(second.api, await startRun(second.api, "apply"), 90_000);
    expect(next).toMatchObject({ status: "succeeded", counts: { deleted: 1 } });
    expect((await control.requests()).items.filter((r) => r.method === "DELETE")).toHaveLength(1);
    second.child.kill("SIGTERM");
  });
});
