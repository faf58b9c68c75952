/// <reference lib="dom" />
// The Plans page in a real headless Chromium against the app on the local host with Easy Auth's headers
// (WEBSITE_AUTH_ENABLED=True): an operator makes a plan run from the page, an approver (another principal) sees
// it awaiting approval first, excludes one job, comments and approves; the operator applies it from the page, and
// the emulator's request log shows exactly the approved jobs deleted. Another plan is rejected with a comment,
// and a principal with no janitor role gets no data.
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appBuilt, principal, repoRoot, waitForRun, withAppStack } from "../support/appStack";
import { buildDashboard, launchChromium } from "../support/browser";
import { guid, seedJob, subscription } from "../support/jobFactory";

const SUB = guid(0xd7);
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
const seed = {
  subscriptions: [subscription(SUB)],
  jobs: [
    ...["a", "b", "c"].map((n) =>
      seedJob({ sub: SUB, name: `draft-${n}`, state: "Creating", days: 10, systemData: true }),
    ),
    seedJob({ sub: SUB, name: "young-draft", state: "Creating", days: 1, systemData: true }),
  ],
};
const OPERATOR = principal("olivia@example.com", ["Janitor.Operator"]);
const APPROVER = principal("adam@example.com", ["Janitor.Approver"]);
const NOBODY = principal("nora@example.com", []);

describe.runIf(appBuilt)("the Plans page in headless Chromium (Easy Auth headers, emulator, Azurite)", () => {
  buildDashboard(repoRoot);
  const stack = withAppStack({
    seed,
    settings: { JANITOR_POLICY: POLICY, WEBSITE_AUTH_ENABLED: "True", JANITOR_MANUAL_APPLY: "enabled" },
  });
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const problems: string[] = [];
  let approvedPlan = "";

  const as = async (header: string): Promise<Page> => {
    const context = await browser.newContext({
      viewport: { width: 1280, height: 800 },
      extraHTTPHeaders: { "x-ms-client-principal": header },
    });
    contexts.push(context);
    const page = await context.newPage();
    page.on("pageerror", (err) => problems.push(`pageerror: ${err.message}`));
    return page;
  };
  const ui = (hash: string) => `${stack().host.url}/api/ui#/${hash}`;
  const api = (path: string, init: RequestInit = {}, who = OPERATOR) =>
    fetch(`${stack().api}/${path}`, {
      ...init,
      headers: { "content-type": "application/json", "x-ms-client-principal": who },
    });

  beforeAll(async () => {
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    for (const c of contexts) await c.close();
    await browser?.close();
  });

  it("plan from the page, approve with an exclusion and a comment, apply: only the approved jobs go", async () => {
    const operator = await as(OPERATOR);
    await operator.goto(ui("runs"));
    await operator.getByRole("button", { name: "Start a plan run" }).click();
    await operator.waitForURL(/#\/runs\/[A-Za-z0-9-]+$/);
    approvedPlan = decodeURIComponent(operator.url().split("#/runs/")[1]!);
    await waitForRun(stack().api, approvedPlan);
    const approver = await as(APPROVER);
    await approver.goto(ui("plans"));
    const first = approver.getByRole("region", { name: "Awaiting approval" }).locator("tbody tr");
    await first.first().waitFor();
    expect(await first.first().textContent()).toContain(approvedPlan);
    expect(await first.first().textContent()).toContain("olivia@example.com");
    await first.first().getByRole("link", { name: approvedPlan }).click();
    await approver.waitForURL(new RegExp(`#/plans/${approvedPlan}$`));

    const actions = approver.locator("ul.actions li");
    await expect.poll(() => actions.count()).toBe(3);
    expect(await approver.getByText("young-draft").count()).toBe(0);
    await actions.filter({ hasText: "draft-b" }).getByLabel("Exclude").check();
    await approver.getByText("1 excluded.").waitFor();
    await approver.getByLabel("Comment").fill("b is still needed");
    await approver.getByRole("button", { name: "Approve" }).click();
    await approver.locator(".facts .status-approved").waitFor();
    const facts = (await approver.locator(".facts").textContent())!;
    expect(facts).toContain("adam@example.com");
    expect(facts).toContain("b is still needed");
    expect(facts).toContain("1 job left out by the approver");
    expect(await approver.getByRole("button", { name: "Approve" }).count()).toBe(0);

    const before = (await stack().control.requests()).total;
    await operator.goto(ui(`plans/${approvedPlan}`));
    await operator.getByRole("button", { name: "Apply this plan now" }).click();
    await operator.waitForURL((url) => !url.hash.endsWith(approvedPlan) && url.hash.startsWith("#/runs/"));
    const applyRun = decodeURIComponent(operator.url().split("#/runs/")[1]!);
    expect(await waitForRun(stack().api, applyRun)).toMatchObject({
      status: "succeeded",
      planId: approvedPlan,
      approvedBy: "adam@example.com",
    });
    const deletes = (await stack().control.requests()).items.filter(
      (r) => r.seq > before && r.method === "DELETE",
    );
    expect(deletes.map((r) => r.path.split("/").pop()).sort()).toEqual(["draft-a", "draft-c"]);
    const audit = (await (await api(`audit?runId=${applyRun}`)).json()) as {
      items: { jobName?: string; reason: string; action: string; outcome: string }[];
    };
    expect(audit.items.find((e) => e.jobName === "draft-b")?.reason).toBe("plan-excluded");
    const deleted = audit.items.filter((e) => e.action === "delete" && e.outcome === "succeeded");
    expect(deleted.map((e) => e.jobName).sort()).toEqual(["draft-a", "draft-c"]);

    await approver.goto(ui("plans"));
    const done = approver
      .getByRole("region", { name: "Approved, applied, rejected and expired" })
      .locator("tbody tr")
      .filter({ hasText: approvedPlan });
    await done.waitFor();
    expect(await done.textContent()).toMatch(/applied/);
  });

  it("rejects another plan with a comment, and shows it rejected", async () => {
    const made = await api("runs", { method: "POST", body: JSON.stringify({ mode: "plan" }) });
    expect(made.status).toBe(202);
    const { runId: planId } = (await made.json()) as { runId: string };
    await waitForRun(stack().api, planId);
    const approver = await as(APPROVER);
    await approver.goto(ui(`plans/${planId}`));
    await approver.locator(".facts .status-pending").waitFor();
    await approver.getByLabel("Comment").fill("not this week");
    await approver.getByRole("button", { name: "Reject" }).click();
    await approver.locator(".facts .status-rejected").waitFor();
    const facts = (await approver.locator(".facts").textContent())!;
    expect(facts).toContain("adam@example.com");
    expect(facts).toContain("not this week");
    expect(await (await api(`plans/${planId}`)).json()).toMatchObject({
      status: "rejected",
      rejectedBy: "adam@example.com",
      comment: "not this week",
    });
    await approver.goto(ui("plans"));
    const row = approver.locator("tbody tr").filter({ hasText: planId });
    await row.waitFor();
    expect(await row.textContent()).toMatch(/rejected/);
  });

  it("gives a signed-in principal without any janitor role no data: 403 from the data routes", async () => {
    const nobody = await as(NOBODY);
    for (const route of ["me", "runs", "plans", `plans/${approvedPlan}`, "audit", "settings"]) {
      const res = await nobody.request.get(`${stack().host.url}/api/ui/data/${route}`);
      expect(res.status(), route).toBe(403);
    }
    await nobody.goto(ui("plans"));
    await nobody.getByRole("alert").first().waitFor();
    expect(await nobody.getByRole("alert").first().textContent()).toMatch(/^Not allowed/);
    expect(await nobody.locator("tbody tr").count()).toBe(0);
    expect(await nobody.getByText(approvedPlan).count()).toBe(0);
    expect(problems).toEqual([]);
  });
});
