// A real headless Chromium for the dashboard's browser tests, driven by playwright-core (which downloads
// nothing): the system's browser, from CHROMIUM_PATH or the usual Debian paths. Missing, the tests fail.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { chromium, type Browser } from "playwright-core";

const CANDIDATES = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"];

/** The flags this machine's closed network needs (no background connections) and root needs (no sandbox). */
const FLAGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export function chromiumPath(): string {
  const found = [process.env.CHROMIUM_PATH, ...CANDIDATES].find((p) => p && fs.existsSync(p));
  if (!found)
    throw new Error(
      "No Chromium for the browser tests: install Debian's (apt-get update && apt-get install -y chromium) or set CHROMIUM_PATH",
    );
  return found;
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath(), headless: true, args: FLAGS });
}

/** The dashboard's files (dist/ui), built now so the page under test is the current source. */
export function buildDashboard(repoRoot: string): void {
  const result = spawnSync(process.execPath, [path.join(repoRoot, "scripts/buildUi.mjs")], {
    cwd: repoRoot,
    encoding: "utf8",
  });
  if (result.status !== 0)
    throw new Error(`building the dashboard failed:\n${result.stdout}${result.stderr}`);
}
