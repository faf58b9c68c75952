// Saved plans through the built CLI (`node bin/ie-janitor.js ...` in a child process) on an emulator and an
// Azurite of the test's own: plan -> plans show (json, csv) -> approve by another user with an exclusion ->
// apply --plan --yes acts on exactly the approved actions (the emulator's request log); a second apply is
// refused; under four-eyes the requester cannot approve.
import { spawnSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PLAN_ACTION_FIELDS } from "../../src/domain/planCsv";
import { EmulatorControlClient } from "../../tools/emulator/src/controlClient";
import { startEmulator, type RunningEmulator } from "../../tools/emulator/src/server";
import { startAzurite, type AzuriteProcess } from "../../tools/local-functions-host/src/azuriteProcess";
import { answerOnTerminal, runCli } from "../support/cliProcess";
import { guid, seedJob, subscription } from "../support/jobFactory";
import { isReadOnlyRequest } from "../support/storedTrail";

const SUB = guid(0xd1);
const POLICY = JSON.stringify({
  version: 1,
  rules: [{ name: "stale-drafts", states: ["Creating"], olderThan: "P7D", action: "delete" }],
  guards: { gracePeriod: "PT0S" },
  limits: {
    maxActionsPerRun: 100,
    maxActionsPerSubscription: 100,
    maxEligibleFraction: 1,
    minJobsForFraction: 10,
  },
});
const jobId = (name: string) =>
  `/subscriptions/${SUB}/resourceGroups/rg-test/providers/Microsoft.ImportExport/jobs/${name}`;

const cli = runCli;

describe("ie-janitor plans and apply --plan (built)", () => {
  let emulator: RunningEmulator;
  let azurite: AzuriteProcess;
  let control: EmulatorControlClient;
  let env: Record<string, string>;
  beforeAll(async () => {
    [emulator, azurite] = await Promise.all([
      startEmulator({
        seed: {
          subscriptions: [subscription(SUB)],
          jobs: ["a", "b", "c"].map((n) =>
            seedJob({ sub: SUB, name: `draft-${n}`, state: "Creating", days: 10, systemData: true }),
          ),
        },
      }),
      startAzurite(),
    ]);
    control = new EmulatorControlClient(emulator);
    env = {
      JANITOR_ARM_ENDPOINT: emulator.endpoint,
      JANITOR_ARM_CA_CERT: emulator.caCertPath,
      JANITOR_STORAGE: azurite.connectionString,
      JANITOR_POLICY: POLICY,
    };
  });
  afterAll(async () => {
    await Promise.allSettled([emulator?.close(), azurite?.stop()]);
  });
  const as = (user: string, extra: Record<string, string> = {}) => ({ ...env, USER: user, ...extra });

  it("plan, show, four-eyes approval by another user with an exclusion, apply exactly that, once", async () => {
    // Prepare: olivia makes a plan.
    const made = await cli(["plan", "--json"], as("olivia"));
    expect(made.code, made.stderr).toBe(0);
    const planId = JSON.parse(made.stdout).runId as string;

    const listed = await cli(["plans", "--status", "pending", "--json"], as("olivia"));
    expect(listed.code, listed.stderr).toBe(0);
    expect(JSON.parse(listed.stdout).items).toEqual([
      expect.objectContaining({ planId, status: "pending", requestedBy: "cli:olivia" }),
    ]);
    const table = await cli(["plans"], as("olivia"));
    expect(table.stdout).toMatch(new RegExp(`^${planId}\\s+pending\\s+cli:olivia`, "m"));

    const shown = await cli(["plans", "show", planId, "--json"], as("olivia"));
    expect(shown.code, shown.stderr).toBe(0);
    const doc = JSON.parse(shown.stdout);
    expect(doc).toMatchObject({ planId, status: "pending", counts: { actions: 3 } });
    expect(doc.actions.map((a: { jobName: string }) => a.jobName).sort()).toEqual([
      "draft-a",
      "draft-b",
      "draft-c",
    ]);
    const csv = await cli(["plans", "show", planId, "--format", "csv"], as("olivia"));
    expect(csv.code, csv.stderr).toBe(0);
    const lines = csv.stdout.trimEnd().split("\r\n");
    expect(lines[0]).toBe(PLAN_ACTION_FIELDS.join(","));
    expect(lines).toHaveLength(4);
    expect(lines.slice(1).every((l) => l.startsWith(`${jobId("draft-")}`))).toBe(true);

    // Act and assess: the requester cannot approve under four-eyes (the default).
    const self = await cli(["plans", "approve", planId], as("olivia"));
    expect(self.code).toBe(2);
    expect(self.stderr).toContain("four-eyes");
    const early = await cli(["apply", "--plan", planId, "--yes"], as("olivia"));
    expect(early.code).toBe(2);
    expect(early.stderr).toContain("it is still pending");
    const notInPlan = await cli(["plans", "approve", planId, "--exclude", jobId("nope")], as("adam"));
    expect(notInPlan.code).toBe(2);
    expect(notInPlan.stderr).toContain("--exclude: not in the plan");

    const approved = await cli(
      ["plans", "approve", planId, "--exclude", jobId("draft-b"), "--comment", "b is still needed", "--json"],
      as("adam"),
    );
    expect(approved.code, approved.stderr).toBe(0);
    expect(JSON.parse(approved.stdout)).toMatchObject({
      status: "approved",
      approvedBy: "cli:adam",
      excluded: [jobId("draft-b").toLowerCase()],
    });

    const before = (await control.requests()).total;
    const applied = await cli(["apply", "--plan", planId, "--yes", "--json"], as("olivia"));
    expect(applied.code, applied.stderr).toBe(0);
    const run = JSON.parse(applied.stdout);
    expect(run).toMatchObject({ mode: "apply", status: "succeeded", planId, approvedBy: "cli:adam" });
    expect(run.counts.deleted).toBe(2);
    const writes = (await control.requests()).items.filter((r) => r.seq > before && !isReadOnlyRequest(r));
    expect(writes.map((r) => `${r.method} ${r.path.split("/").pop()}`).sort()).toEqual([
      "DELETE draft-a",
      "DELETE draft-c",
    ]);
    const audit = await cli(["audit", "--run", run.runId, "--format", "json"], env);
    const entries = JSON.parse(audit.stdout).items as { jobName?: string; reason: string; planId?: string }[];
    expect(entries.find((e) => e.jobName === "draft-b")?.reason).toBe("plan-excluded");
    expect(entries.every((e) => e.planId === planId)).toBe(true);

    const again = await cli(["apply", "--plan", planId, "--yes"], as("olivia"));
    expect(again.code).toBe(2);
    expect(again.stderr).toContain(`it was already applied by run ${run.runId}`);
    const after = await cli(["plans", "show", planId], as("olivia"));
    expect(after.stdout).toMatch(/^status: +applied$/m);
    expect(after.stdout).toMatch(/draft-b .*excluded$/m);
  });

  it("reject, and a rejected plan cannot be approved or applied", async () => {
    const made = await cli(["plan", "--json"], as("olivia"));
    const planId = JSON.parse(made.stdout).runId as string;
    const rejected = await cli(["plans", "reject", planId, "--comment", "not now"], as("adam"));
    expect(rejected.code, rejected.stderr).toBe(0);
    expect(rejected.stdout).toContain(`Plan ${planId} rejected by cli:adam`);
    const approve = await cli(["plans", "approve", planId], as("adam"));
    expect(approve.code).toBe(2);
    expect(approve.stderr).toContain("it was rejected");
    const apply = await cli(["apply", "--plan", planId, "--yes"], as("adam"));
    expect(apply.code).toBe(2);
    expect(apply.stderr).toContain("it was rejected");
  });

  it("self-approval is allowed, and says so, only under JANITOR_APPROVAL=self-allowed", async () => {
    const made = await cli(["plan", "--json"], as("olivia"));
    const planId = JSON.parse(made.stdout).runId as string;
    const self = await cli(["plans", "approve", planId], as("olivia", { JANITOR_APPROVAL: "self-allowed" }));
    expect(self.code, self.stderr).toBe(0);
    expect(self.stdout).toContain(`Plan ${planId} approved by cli:olivia`);
    const audit = await cli(["audit", "--run", planId, "--action", "none", "--format", "json"], env);
    const entry = JSON.parse(audit.stdout).items.find(
      (e: { reason: string }) => e.reason === "plan-approved",
    );
    expect(entry.errorMessage).toContain("self-approved");
  });

  // On a terminal (a pty made by util-linux `script`), apply --plan asks for the number of approved actions.
  it("apply --plan on a terminal acts only when the number of approved actions is typed back", async () => {
    expect(spawnSync("script", ["--version"]).status, "needs util-linux `script` for a terminal").toBe(0);
    await control.reset({
      seed: {
        subscriptions: [subscription(SUB)],
        jobs: ["d", "e"].map((n) =>
          seedJob({ sub: SUB, name: `draft-${n}`, state: "Creating", days: 10, systemData: true }),
        ),
      },
    });
    const planId = JSON.parse((await cli(["plan", "--json"], as("olivia"))).stdout).runId as string;
    const ok = await cli(["plans", "approve", planId, "--exclude", jobId("draft-e")], as("adam"));
    expect(ok.code, ok.stderr).toBe(0);
    const typed = (answer: "right" | "wrong") =>
      answerOnTerminal(["apply", "--plan", planId], as("olivia"), (count) =>
        answer === "right" ? count : "7",
      );
    const wrong = await typed("wrong");
    expect(wrong.code).toBe(1);
    expect(wrong.out).toContain(
      `Type 1 to delete 1 and cancel 0 job(s) of plan ${planId}, approved by cli:adam`,
    );
    expect(wrong.out).toMatch(/draft-e .*excluded/);
    expect(wrong.out).toContain("Not applied: nothing was changed.");
    const right = await typed("right");
    expect(right.code, right.out).toBe(0);
    expect(right.out).toMatch(/draft-d .*delete\s+succeeded/);
    expect(right.out).toMatch(/draft-e .*plan-excluded/);
  });
});
