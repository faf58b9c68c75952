// The CLI as a user runs it: `node bin/ie-janitor.js ...` in a child process, with `--emulator` so no Azure and
// no settings are needed. Needs the build (`npm test` builds first).
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createStorage, parseStorageSettings } from "../../src/adapters/storage";
import { EmulatorControlClient } from "../../tools/emulator/src/controlClient";
import { DEMO_POLICY_JSON } from "../../tools/emulator/src/demoPolicy";
import { DEMO_SUBSCRIPTIONS } from "../../tools/emulator/src/demoSeed";
import { startEmulator, type RunningEmulator } from "../../tools/emulator/src/server";
import { startAzurite, type AzuriteProcess } from "../../tools/local-functions-host/src/azuriteProcess";
import { answerOnTerminal, runCli } from "../support/cliProcess";

const root = path.resolve(__dirname, "../..");
const cli = runCli;

describe("ie-janitor CLI (built)", () => {
  it("plan --emulator --json prints one JSON document: the run record and every decision", async () => {
    const { code, stdout, stderr } = await cli(["plan", "--emulator", "--json"]);
    expect(code, stderr).toBe(0);
    const doc = JSON.parse(stdout);
    expect(doc).toMatchObject({ trigger: "cli", mode: "plan", status: "succeeded" });
    expect(doc.counts.planned).toBeGreaterThan(0);
    expect(doc.decisions.length).toBe(doc.counts.jobsSeen - (doc.reasons?.["malformed-job"] ?? 0));
    for (const d of doc.decisions) {
      expect(Object.keys(d)).toEqual(
        expect.arrayContaining([
          "jobId",
          "subscriptionId",
          "resourceGroup",
          "jobName",
          "jobType",
          "state",
          "action",
          "outcome",
          "reason",
        ]),
      );
      expect(d.reason).toBeTruthy();
    }
    expect(doc.decisions.filter((d: { outcome: string }) => d.outcome === "planned")).toHaveLength(
      doc.counts.planned,
    );
    expect(stderr).toContain("Run ");
  });

  it("--version prints the version in package.json", async () => {
    const { version } = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8"));
    const { code, stdout } = await cli(["--version"]);
    expect(code).toBe(0);
    expect(stdout).toBe(`${version}\n`);
  });

  it("plan --emulator prints a readable table sorted by subscription, resource group and job", async () => {
    const { code, stdout } = await cli(["plan", "--emulator"]);
    expect(code).toBe(0);
    const [header, ...rest] = stdout.split("\n");
    expect(header).toMatch(/^SUB\s+RESOURCE GROUP\s+JOB\s+TYPE\s+STATE/);
    expect(stdout).toContain("planned");
    const rows = rest.slice(0, rest.indexOf("")).map((line) => line.split(/\s+/).slice(0, 3));
    expect(rows.length).toBeGreaterThan(10);
    const key = (r: string[]) => r.map((c) => c.toLowerCase());
    const sorted = [...rows].sort((a, b) => {
      const [x, y] = [key(a), key(b)];
      for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return x[i]! < y[i]! ? -1 : 1;
      return 0;
    });
    expect(rows).toEqual(sorted);
    // The demo's Disabled subscription is named, with its reason.
    expect(stdout).toMatch(
      new RegExp(
        `Subscriptions skipped, failed or deferred:[\\s\\S]*${DEMO_SUBSCRIPTIONS.retired}\\s+skipped\\s+subscription-state\\s+state Disabled`,
      ),
    );
  });

  it("without a terminal, the last progress line has the summary's counts", async () => {
    const { code, stdout, stderr } = await cli(["plan", "--emulator", "--json"]);
    expect(code, stderr).toBe(0);
    const counts = JSON.parse(stdout).counts;
    const progress = stderr.split("\n").filter((l) => l.startsWith("progress: "));
    expect(progress.at(-1)).toBe(
      `progress: ${counts.subscriptionsScanned} subscriptions scanned, ${counts.jobsSeen} jobs seen, ${counts.planned} actions`,
    );
    expect(stderr).toContain(`  subscriptions: ${counts.subscriptionsScanned} scanned,`);
    expect(stderr).toContain(`  jobs: ${counts.jobsSeen} seen, ${counts.planned} actions (`);
    // The progress lines come before the summary.
    expect(stderr.lastIndexOf("progress: ")).toBeLessThan(stderr.indexOf("Run "));
  });

  it("apply without a terminal needs --yes, and changes nothing without it", async () => {
    const { code, stderr } = await cli(["apply", "--emulator"]);
    expect(code).toBe(2);
    expect(stderr).toContain("--yes");
  });

  it("apply --emulator --yes acts and reports what it did", async () => {
    const { code, stdout, stderr } = await cli(["apply", "--emulator", "--yes", "--json"]);
    expect(code, stderr).toBe(0);
    const doc = JSON.parse(stdout);
    expect(doc.mode).toBe("apply");
    expect(doc.counts.deleted).toBeGreaterThan(0);
    expect(doc.counts.planned).toBe(0);
  });

  it("explain shows the decision for one job, with its state and detail in both forms", async () => {
    const id =
      "/subscriptions/11111111-1111-4111-8111-111111111111/resourceGroups/rg-migration/providers/Microsoft.ImportExport/jobs/draft-exempt";
    const json = await cli(["explain", id, "--emulator", "--json"]);
    expect(json.code).toBe(0);
    const doc = JSON.parse(json.stdout);
    expect(doc).toMatchObject({ action: "none", reason: "exempt-tag", eligible: false, state: "Creating" });
    expect(doc.detail).toBeTruthy();
    const human = await cli(["explain", id, "--emulator"]);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^state: +Creating$/m);
    expect(human.stdout).toMatch(/^reason: +exempt-tag$/m);
    expect(human.stdout.split("\n")).toContain(`detail:   ${doc.detail}`);
  });

  // On a terminal (a pty made by util-linux `script`), apply shows the plan and asks for the number of actions.
  it("apply on a terminal acts only when the number of actions is typed back", async () => {
    expect(spawnSync("script", ["--version"]).status, "needs util-linux `script` for a terminal").toBe(0);
    const typed = (answer: "right" | "wrong") =>
      answerOnTerminal(["apply", "--emulator"], {}, (count) => (answer === "right" ? count : "0"));
    const wrong = await typed("wrong");
    expect(wrong.code).toBe(1);
    expect(wrong.out).toContain("Not applied: nothing was changed.");
    // (Cancelled as a line of its own; the word also names a Data Box stage in the plan's table.)
    expect(wrong.out).not.toMatch(/^Cancelled/m);
    expect(wrong.out).not.toContain("succeeded  rule-matched");
    const right = await typed("right");
    expect(right.code).toBe(0);
    expect(right.out).toMatch(/delete\s+succeeded\s+rule-matched/);
  });

  it.each([
    [["plan", "--bogus"], "unknown option"],
    [["explain", "not-an-id"], "JOB_RESOURCE_ID"],
    [["plan", "--subscription", "prod"], "--subscription"],
    [["frobnicate"], "unknown command"],
  ])("bad usage %j exits 2 naming the problem", async (args, message) => {
    const { code, stderr } = await cli(args);
    expect(code).toBe(2);
    expect(stderr.toLowerCase()).toContain(message.toLowerCase());
  });

  it("a bad setting stops with exit 2 and names the setting", async () => {
    const { code, stderr } = await cli(["plan"], {
      JANITOR_STORAGE: "UseDevelopmentStorage=true",
      JANITOR_MODE: "sometimes",
    });
    expect(code).toBe(2);
    expect(stderr).toContain("JANITOR_MODE");
  });
});

// The CLI against an emulator and an Azurite of the test's own, so the test can break discovery or a listing,
// or hold a subscription's lease as another run would.
describe("ie-janitor plan when part of the run goes wrong (built)", () => {
  let emulator: RunningEmulator;
  let azurite: AzuriteProcess;
  let control: EmulatorControlClient;
  let env: Record<string, string>;
  beforeAll(async () => {
    [emulator, azurite] = await Promise.all([startEmulator({ seed: "demo" }), startAzurite()]);
    control = new EmulatorControlClient(emulator);
    env = {
      JANITOR_ARM_ENDPOINT: emulator.endpoint,
      JANITOR_ARM_CA_CERT: emulator.caCertPath,
      JANITOR_STORAGE: azurite.connectionString,
      JANITOR_POLICY: DEMO_POLICY_JSON,
    };
  });
  afterAll(async () => {
    await Promise.allSettled([emulator?.close(), azurite?.stop()]);
  });
  beforeEach(async () => {
    await control.clearFaults();
  });

  it("discovery failing: exit 1, and the output says what failed, never that nothing needs attention", async () => {
    // Prepare
    await control.addFaults({ method: "GET", path: "^/subscriptions$", status: 403 });
    // Act
    const { code, stdout, stderr } = await cli(["plan"], env);
    // Assess
    expect(code, stderr).toBe(1);
    expect(stdout).not.toMatch(/needs attention/i);
    expect(stdout).toMatch(/^Run failed: subscription discovery failed/);
    expect(stderr).toMatch(/: failed\n/);
  });

  it("a listing failing: exit 3 (1 when it was the only one), and the table names the subscription and reason", async () => {
    // Prepare
    const broken = DEMO_SUBSCRIPTIONS.devTest;
    await control.addFaults({
      method: "GET",
      path: `^/subscriptions/${broken}/providers/Microsoft\\.ImportExport/jobs$`,
      status: 403,
    });
    const named = new RegExp(`^${broken}\\s+failed\\s+listing-failed`, "m");
    // Act
    const all = await cli(["plan"], env);
    const alone = await cli(["plan", "--subscription", broken], env);
    // Assess
    expect(all.code, all.stderr).toBe(3);
    expect(all.stdout).toMatch(named);
    expect(alone.code, alone.stderr).toBe(1);
    expect(alone.stdout).toMatch(named);
    expect(alone.stdout).not.toMatch(/needs attention/i);
  });

  it("a subscription held by another run's lease: apply exits 3 naming it deferred; plan, leaseless in the CLI, plans it", async () => {
    // Prepare: another run holds the devTest subscription's lease.
    const storage = createStorage(parseStorageSettings(env));
    await storage.ensureReady();
    const held = DEMO_SUBSCRIPTIONS.devTest;
    const lease = await storage.leases.acquire(`subscription:${held}`, "another-run/part-0/x", 60_000);
    expect(lease).toBeDefined();
    try {
      // A plan run of the CLI acts on nothing and is its run's only worker: it takes no lease, so nothing waits.
      const planned = await cli(["plan"], env);
      expect(planned.stdout).not.toMatch(/lease-held/);
      expect(planned.stderr).not.toMatch(/lease-held/);
      // Act: a run that acts takes each subscription's lease.
      const { code, stdout, stderr } = await cli(["apply", "--yes"], env);
      // Assess
      expect(code, stderr).toBe(3);
      expect(stdout).toMatch(new RegExp(`^${held}\\s+deferred\\s+lease-held`, "m"));
      // Every other subscription was swept and listed as usual.
      expect(stdout).toMatch(new RegExp(`^${DEMO_SUBSCRIPTIONS.production.slice(0, 8)}\\s+rg-`, "m"));
    } finally {
      await storage.leases.release(lease!);
    }
  });
});
