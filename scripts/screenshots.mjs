// `npm run screenshots`: PNGs of the dashboard's pages at 1280x800 in docs/images/, for the README. It starts what
// `npm start` starts (startLocalStack: an in-memory Azurite, the Import/Export emulator with the demo seed, the built
// app on the local Functions host and its first sweep), makes a plan run so a saved plan exists, then opens each
// page in headless Chromium (the browser tests' launcher: CHROMIUM_PATH or Debian's chromium) and saves it under
// a stable name: runs, run, plans, plan, audit, job, health. Needs `npm run build` first (the npm script does it).
/* global fetch, URLSearchParams, document -- Node 20's fetch; document only inside page.evaluate */
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const require = createRequire(import.meta.url);
const built = (file) => {
  const full = path.join(root, "dist", file);
  if (!fs.existsSync(full))
    throw new Error(`${path.relative(root, full)} is missing: run npm run build first`);
  return require(full);
};
const { startLocalStack } = built("tools/local-functions-host/src/startLocal.js");
// Built with the bench, which drives the same browser (tsconfig.build.json compiles bench/ and what it imports).
const { launchChromium } = built("test/support/browser.js");

const OUT = path.join(root, "docs/images");
const VIEWPORT = { width: 1280, height: 800 };
const say = (text) => process.stderr.write(`screenshots: ${text}\n`);

async function api(base, route, init) {
  const res = await fetch(`${base}/${route}`, {
    ...init,
    headers: { "content-type": "application/json", accept: "application/json" },
  });
  if (!res.ok)
    throw new Error(`${init?.method ?? "GET"} /api/${route}: HTTP ${res.status} ${await res.text()}`);
  return res.json();
}

async function waitForRun(base, runId) {
  for (const started = Date.now(); Date.now() - started < 60_000;) {
    const run = await api(base, `runs/${encodeURIComponent(runId)}`);
    if (!["queued", "running"].includes(run.status)) return run;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`run ${runId} did not finish within 60 s`);
}

async function main() {
  fs.mkdirSync(OUT, { recursive: true });
  say("starting Azurite (in memory), the emulator (demo seed) and the app on the local host");
  const stack = await startLocalStack({
    appRoot: root,
    port: 0,
    azuriteLocation: null,
    firstSweepDelayMs: 0,
    log: () => {},
  });
  let browser;
  try {
    const base = `${stack.host.url}/api`;
    await stack.firstSweep;
    // The first sweep is the timer's: wait until it is listed and finished.
    let first;
    for (const started = Date.now(); !first && Date.now() - started < 30_000;) {
      first = (await api(base, "runs?limit=1")).items[0];
      if (!first) await new Promise((resolve) => setTimeout(resolve, 250));
    }
    if (!first) throw new Error("the first sweep never showed up in GET /api/runs");
    const sweep = await waitForRun(base, first.runId);
    say(`first sweep ${sweep.runId}: ${sweep.status}`);

    const { runId: planId } = await api(base, "runs", {
      method: "POST",
      body: JSON.stringify({ mode: "plan", reason: "weekly review" }),
    });
    const plan = await waitForRun(base, planId);
    say(`plan run ${planId}: ${plan.status}`);
    const planned = (await api(base, `audit?runId=${encodeURIComponent(planId)}&outcome=planned`)).items[0];
    const job = planned ?? (await api(base, `audit?runId=${encodeURIComponent(planId)}`)).items[0];
    if (!job) throw new Error(`plan run ${planId} wrote no audit entries`);

    browser = await launchChromium();
    const context = await browser.newContext({ viewport: VIEWPORT, colorScheme: "light" });
    const page = await context.newPage();
    const problems = [];
    page.on("pageerror", (err) => problems.push(err.message));
    const ui = (hash) => `${stack.host.url}/api/ui#/${hash}`;
    const jobQuery = new URLSearchParams({
      subscriptionId: job.subscriptionId,
      resourceGroup: job.resourceGroup,
      jobName: job.jobName,
    });
    const shots = [
      ["runs", "runs", () => page.locator(".chart canvas").waitFor()],
      [
        "run",
        `runs/${encodeURIComponent(sweep.runId)}`,
        () =>
          page.getByRole("region", { name: "Decisions of the run" }).locator("tbody tr").first().waitFor(),
      ],
      ["plans", "plans", () => page.locator("tbody tr").first().waitFor()],
      ["plan", `plans/${encodeURIComponent(planId)}`, () => page.locator("ul.actions li").first().waitFor()],
      [
        "audit",
        `audit?runId=${encodeURIComponent(planId)}`,
        () => page.getByRole("region", { name: "Audit entries" }).locator("tbody tr").first().waitFor(),
      ],
      ["job", `job?${jobQuery}`, () => page.locator(".verdict").waitFor()],
      ["health", "health", () => page.getByText("Mode of scheduled runs").waitFor()],
    ];
    for (const [name, hash, ready] of shots) {
      await page.goto(ui(hash));
      await ready();
      await page.waitForLoadState("networkidle");
      // Out of the way of the picture: the focus ring the page puts on its title after a navigation.
      await page.evaluate(() => document.activeElement?.blur?.());
      const file = path.join(OUT, `${name}.png`);
      await page.screenshot({ path: file });
      say(`saved ${path.relative(root, file)}`);
    }
    if (problems.length > 0) throw new Error(`the page reported errors: ${problems.join("; ")}`);
  } finally {
    await browser?.close();
    await stack.stop();
  }
}

main().catch((err) => {
  process.stderr.write(`screenshots failed: ${err?.stack ?? err}\n`);
  process.exitCode = 1;
});
