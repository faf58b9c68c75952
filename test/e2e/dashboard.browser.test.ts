/// <reference lib="dom" />
// The dashboard in a real headless Chromium against the app on the local host (Azurite and the emulator with
// seeded jobs): runs, a plan run to its end, the audit log filtered and downloaded, a job's decision, hostile
// names rendered as text, the CSP, keyboard reach, and screenshots at a wide and a narrow size.
import fs from "node:fs";
import path from "node:path";
import type { Browser, ConsoleMessage, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appBuilt, repoRoot, withAppStack } from "../support/appStack";
import { buildDashboard, launchChromium } from "../support/browser";
import { guid, seedJob, subscription } from "../support/jobFactory";

const HOSTILE = "<img src=x onerror=alert(1)>";
const SUB = guid(0xd1);
const SUB2 = guid(0xd2);
const seed = {
  subscriptions: [subscription(SUB), subscription(SUB2)],
  jobs: [
    seedJob({ sub: SUB, name: "stale-draft", state: "Creating", days: 10, systemData: true }),
    seedJob({ sub: SUB, name: "old-done", state: "Completed", days: 45, systemData: true }),
    seedJob({ sub: SUB, name: "young-draft", state: "Creating", days: 1, systemData: true }),
    seedJob({
      sub: SUB2,
      name: HOSTILE,
      state: "Creating",
      days: 12,
      systemData: true,
      tags: { owner: HOSTILE },
    }),
    seedJob({ sub: SUB2, name: "exempt-draft", state: "Creating", days: 10, tags: { janitor: "exempt" } }),
  ],
};
const POLICY = JSON.stringify({
  version: 1,
  rules: [
    { name: "stale-drafts", states: ["Creating"], olderThan: "P7D", action: "delete" },
    { name: "completed-retention", states: ["Completed"], olderThan: "P30D", action: "delete" },
  ],
  guards: { gracePeriod: "PT0S" },
});
const SHOTS = path.join(repoRoot, ".test-results/screenshots");
const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; object-src 'none'; frame-ancestors 'none'";

describe.runIf(appBuilt)("dashboard in headless Chromium (local host, emulator, Azurite)", () => {
  buildDashboard(repoRoot);
  const stack = withAppStack({ seed, settings: { JANITOR_POLICY: POLICY, JANITOR_UI_LOCAL: "open" } });
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];
  const dialogs: string[] = [];
  let runId = "";

  beforeAll(async () => {
    browser = await launchChromium();
    const context = await browser.newContext({
      viewport: { width: 1280, height: 800 },
      acceptDownloads: true,
    });
    page = await context.newPage();
    page.on("console", (m: ConsoleMessage) => {
      if (m.type() === "error" || /Content Security Policy/i.test(m.text()))
        problems.push(`${m.text()} (${m.location().url})`);
    });
    page.on("pageerror", (err) => problems.push(`pageerror: ${err.message}`));
    page.on("dialog", async (d) => {
      dialogs.push(d.message());
      await d.dismiss();
    });
    fs.mkdirSync(SHOTS, { recursive: true });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
  });

  const ui = (hash = "") => `${stack().host.url}/api/ui${hash ? `#/${hash}` : ""}`;

  it("serves the page with a strict CSP, nosniff, and its own bundled files only", async () => {
    const res = await fetch(`${stack().host.url}/api/ui`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-security-policy")).toBe(CSP);
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    const html = await res.text();
    expect(html).not.toMatch(/<script>|<script [^>]*>[^<]+<\/script>|https?:\/\//);
    const js = await fetch(`${stack().host.url}/api/ui/app.js`);
    expect(js.headers.get("content-type")).toMatch(/^text\/javascript/);
    expect(js.headers.get("content-security-policy")).toBe(CSP);
    expect((await fetch(`${stack().host.url}/api/ui/..%2Fpackage.json`)).status).toBe(404);
  });

  it("opens the runs page, starts a plan run and follows it to its end", async () => {
    await page.goto(ui("runs"));
    await page.getByRole("heading", { name: "Runs", level: 1 }).waitFor();
    await page.getByLabel("Reason (optional)").fill(`checking ${HOSTILE}`);
    await page.getByRole("button", { name: "Start a plan run" }).click();
    await page.waitForURL(/#\/runs\/[A-Za-z0-9-]+$/);
    runId = decodeURIComponent(page.url().split("#/runs/")[1]!);
    await page.locator(".facts .status-succeeded").waitFor({ timeout: 30_000 });
    await expect
      .poll(() => page.locator("tbody tr").filter({ hasText: "stale-draft" }).count())
      .toBeGreaterThan(0);
    // The run's reason and the hostile job's name are shown as the text they are.
    await expect.poll(() => page.getByText(HOSTILE, { exact: true }).count()).toBeGreaterThan(0);
    expect(await page.getByText(`checking ${HOSTILE}`).count()).toBe(1);
    await page.screenshot({ path: path.join(SHOTS, "run-1280x800.png"), fullPage: true });

    await page.goto(ui("runs"));
    const row = page.locator("tbody tr").filter({ hasText: runId });
    await row.waitFor();
    expect(await row.textContent()).toMatch(/succeeded.*http.*plan/);
    await page.locator(".chart canvas").waitFor();
    await page.screenshot({ path: path.join(SHOTS, "runs-1280x800.png"), fullPage: true });
  });

  it("renders a job named and tagged with HTML as text: no element, no script", async () => {
    expect(runId).not.toBe("");
    await page.goto(ui(`audit?runId=${runId}`));
    await page.getByRole("link", { name: HOSTILE }).first().waitFor();
    expect(await page.locator("img").count()).toBe(0);
    await page.getByRole("link", { name: HOSTILE }).first().click();
    await page.locator(".verdict").waitFor();
    expect(await page.getByRole("heading", { name: HOSTILE }).count()).toBe(1);
    expect(await page.locator("img").count()).toBe(0);
    expect(dialogs).toEqual([]);
  });

  it("filters the audit log by run and outcome, and downloads exactly the rows shown as the API's CSV", async () => {
    await page.goto(ui(`audit?runId=${runId}`));
    await page.locator("tbody tr").first().waitFor();
    const all = await page.locator("tbody tr").count();
    await page.getByLabel("Outcome").selectOption("planned");
    await page.getByLabel("Job name").fill("stale-draft");
    await page.getByRole("button", { name: "Show entries" }).click();
    await page.waitForURL(/outcome=planned/);
    await expect.poll(() => page.locator("tbody tr").count()).toBe(1);
    expect(all).toBeGreaterThan(1);
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("link", { name: "Download these rows as CSV" }).click(),
    ]);
    const csv = fs.readFileSync((await download.path())!, "utf8");
    const api = await fetch(
      `${stack().api}/audit?runId=${runId}&jobName=stale-draft&outcome=planned&limit=100&format=csv`,
    );
    expect(csv).toBe(await api.text());
    expect(csv.trim().split("\n")).toHaveLength(2);
    await page.screenshot({ path: path.join(SHOTS, "audit-1280x800.png"), fullPage: true });
  });

  it("shows a job's live decision with its reasons in words", async () => {
    await page.goto(ui(`job?subscriptionId=${SUB2}&resourceGroup=rg-test&jobName=exempt-draft`));
    await page.locator(".verdict").waitFor();
    expect(await page.locator(".verdict").textContent()).toBe("The janitor leaves this job alone.");
    expect(await page.locator(".facts").textContent()).toContain("exempt by a tag");
    await page.getByLabel("Job name").fill("stale-draft");
    await page.getByLabel("Subscription id").fill(SUB);
    await page.getByRole("button", { name: "Explain" }).click();
    await expect.poll(() => page.locator(".verdict").textContent()).toMatch(/would delete this job now/);
    expect(await page.locator(".facts").textContent()).toContain("a policy rule matched");
  });

  it("shows health and settings, never a secret", async () => {
    await page.goto(ui("health"));
    await page.getByText("Mode of scheduled runs").waitFor();
    const text = (await page.locator("main").textContent())!;
    expect(text).toContain("0 0 3 * * *");
    expect(text).not.toMatch(/AccountKey|DefaultEndpointsProtocol|devstoreaccount1/);
  });

  it("reaches every control of a page with the keyboard alone", async () => {
    for (const hash of ["runs", `audit?runId=${runId}`, `runs/${runId}`]) {
      await page.goto(ui(hash));
      await page.locator("main h1").waitFor();
      await page.waitForLoadState("networkidle");
      const controls = await page.evaluate(() => {
        const all = document.querySelectorAll<HTMLElement>(
          "a[href], button:not([disabled]), input, select, textarea, summary, [tabindex='0']",
        );
        let n = 0;
        all.forEach((el) => {
          if (el.checkVisibility() && !el.classList.contains("skip")) el.dataset.kb = String(n++);
        });
        return n;
      });
      const reached = new Set<string>();
      for (let i = 0; i < controls + 20 && reached.size < controls; i++) {
        await page.keyboard.press("Tab");
        const id = await page.evaluate(() => (document.activeElement as HTMLElement | null)?.dataset.kb);
        if (id !== undefined) reached.add(id);
      }
      expect(reached.size, `${hash}: controls reached by Tab`).toBe(controls);
    }
  });

  it("is readable at 390x844, and no CSP violation or script error was reported", async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(ui("runs"));
    await page.locator("tbody tr").first().waitFor();
    await page.screenshot({ path: path.join(SHOTS, "runs-390x844.png"), fullPage: true });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(1);
    await page.setViewportSize({ width: 1280, height: 800 });
    expect(problems).toEqual([]);
    expect(dialogs).toEqual([]);
  });
});
