/// <reference lib="dom" />
// The dashboard with a large store in a real headless Chromium: runs and audit entries written through the
// product's own stores on Azurite (bench/dashboardBench.ts seeds the same way), the pages show one page of rows at
// a time, newest first, and the next and previous pages follow on. The figure is 10,000 runs and 100,000
// audit entries; writing the entries alone takes Azurite minutes on a 2-core machine (`BENCH_ONLY=dashboard npm run
// bench` measures the pages at that size), so this test writes 2,000 runs and 5,000 entries (50 runs that acted,
// 100 entries each): 80 pages of runs and a dozen audit pages in the default 7 days, in well under a minute.
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedDashboardData, type SeededDashboard } from "../../bench/dashboardBench";
import { appBuilt, repoRoot, withAppStack } from "../support/appStack";
import { buildDashboard, launchChromium } from "../support/browser";

const SCALE_RUNS = 2_000;
const SCALE_ENTRIES = 5_000;
const RUNS_PAGE = 25;

describe.runIf(appBuilt)("the dashboard over a large store (headless Chromium, local host, Azurite)", () => {
  buildDashboard(repoRoot);
  const stack = withAppStack({
    seed: { subscriptions: [], jobs: [] },
    settings: { JANITOR_UI_LOCAL: "open" },
  });
  let browser: Browser;
  let page: Page;
  let seeded: SeededDashboard;
  const problems: string[] = [];

  beforeAll(async () => {
    [seeded, browser] = await Promise.all([
      seedDashboardData(stack().azurite.connectionString, {
        runs: SCALE_RUNS,
        entries: SCALE_ENTRIES,
        now: Date.now() - 60_000,
      }),
      launchChromium(),
    ]);
    page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
    page.on("pageerror", (err) => problems.push(err.message));
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
  });

  const ui = (hash: string) => `${stack().host.url}/api/ui#/${hash}`;
  const firstCells = (region: string, column: number) =>
    page.getByRole("region", { name: region }).locator(`tbody tr td:nth-child(${column})`).allTextContents();

  it("lists the runs a page at a time, newest first, and pages forward and back", async () => {
    await page.goto(ui("runs"));
    const rows = page.getByRole("region", { name: "Runs, newest first" }).locator("tbody tr");
    await rows.first().waitFor();
    expect(await firstCells("Runs, newest first", 1)).toEqual(seeded.runIds.slice(0, RUNS_PAGE));

    const pager = page.getByRole("navigation", { name: "Runs pages" });
    await pager.getByRole("button", { name: "Next page" }).click();
    await expect
      .poll(() => firstCells("Runs, newest first", 1))
      .toEqual(seeded.runIds.slice(RUNS_PAGE, 2 * RUNS_PAGE));
    await pager.getByRole("button", { name: "Next page" }).click();
    await expect
      .poll(() => firstCells("Runs, newest first", 1))
      .toEqual(seeded.runIds.slice(2 * RUNS_PAGE, 3 * RUNS_PAGE));
    await pager.getByRole("button", { name: "Previous page" }).click();
    await expect
      .poll(() => firstCells("Runs, newest first", 1))
      .toEqual(seeded.runIds.slice(RUNS_PAGE, 2 * RUNS_PAGE));
    // A run's page opens from the list while the chart is still reading the audit log.
    await page.getByRole("link", { name: seeded.runIds[RUNS_PAGE]! }).click();
    await page.getByRole("heading", { name: `Run ${seeded.runIds[RUNS_PAGE]}` }).waitFor();
  });

  it("shows the audit log's default 7 days a page of 100 at a time, and the next page goes on from there", async () => {
    await page.goto(ui("audit"));
    const region = page.getByRole("region", { name: "Audit entries" });
    await region.locator("tbody tr").first().waitFor();
    await page.getByText("100 entries on this page; more on the next.").waitFor();
    expect(await region.locator("tbody tr").count()).toBe(100);
    const firstPage = await firstCells("Audit entries", 2);

    await page
      .getByRole("navigation", { name: "Audit pages" })
      .getByRole("button", { name: "Next page" })
      .click();
    await expect.poll(() => firstCells("Audit entries", 2)).not.toEqual(firstPage);
    expect(await region.locator("tbody tr").count()).toBe(100);
    const secondPage = await firstCells("Audit entries", 2);
    // Newest first, and a run that acted wrote 100 entries: page 1 is the newest such run's, page 2 the next one's.
    expect([...new Set(firstPage)]).toEqual(seeded.activeRunIds.slice(0, 1));
    expect([...new Set(secondPage)]).toEqual(seeded.activeRunIds.slice(1, 2));
    expect(problems).toEqual([]);
  });
});
