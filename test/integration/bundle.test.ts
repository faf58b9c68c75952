// The deployment bundle: built by scripts/bundle.mjs as users run it, loaded by the same host code path.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAzurite, type AzuriteProcess } from "../../tools/local-functions-host/src/azuriteProcess";
import { startLocalHost } from "../../tools/local-functions-host/src/host";

const repoRoot = path.resolve(__dirname, "../..");
const appRoot = path.join(repoRoot, "test/fixtures/functionsApp");

interface ImportTimeReport {
  runs: number;
  unbundled: { files: number; ms: { median: number } };
  bundled: { bytes: number; ms: { median: number } };
  sameRegistrations: boolean;
  functions: { name: string; trigger: string; route?: string }[];
}

describe("deployment bundle of the fixture app", () => {
  let outDir: string;
  let azurite: AzuriteProcess;

  beforeAll(async () => {
    outDir = fs.mkdtempSync(path.join(os.tmpdir(), "bundle-"));
    execFileSync(process.execPath, ["scripts/bundle.mjs", "--app", appRoot, "--out", outDir], {
      cwd: repoRoot,
      stdio: "pipe",
    });
    azurite = await startAzurite();
  });

  afterAll(async () => {
    fs.rmSync(outDir, { recursive: true, force: true });
    await azurite?.stop();
  });

  it("writes one CommonJS file, a package.json whose main points at it, and host.json", () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(outDir, "package.json"), "utf8")) as {
      main: string;
      type: string;
    };
    expect(pkg).toMatchObject({ main: "index.js", type: "commonjs" });
    expect(fs.readFileSync(path.join(outDir, "host.json"), "utf8")).toBe(
      fs.readFileSync(path.join(appRoot, "host.json"), "utf8"),
    );
    const code = fs.readFileSync(path.join(outDir, "index.js"), "utf8");
    // functions-core stays a runtime require for the host to answer; the library itself is inside.
    expect(code).toContain('require("@azure/functions-core")');
    expect(code).not.toMatch(/require\("@azure\/functions"\)/);
  });

  it("registers the same functions as the unbundled app, and the import times are measured", () => {
    const out = execFileSync(
      process.execPath,
      ["scripts/compareImportTime.mjs", "--app", appRoot, "--bundle", outDir, "--runs", "2", "--json"],
      { cwd: repoRoot, encoding: "utf8" },
    );
    const report = JSON.parse(out) as ImportTimeReport;
    expect(report.sameRegistrations).toBe(true);
    expect(report.functions.map((f) => f.name).sort()).toEqual([
      "boom",
      "enqueue",
      "events",
      "hello",
      "itemCreate",
      "itemGet",
      "itemsList",
      "tick",
      "work",
    ]);
    expect(report.functions.find((f) => f.name === "itemGet")).toMatchObject({
      trigger: "httpTrigger",
      route: "items/{id:int}",
    });
    expect(report.unbundled.files).toBe(3);
    expect(report.bundled.ms.median).toBeGreaterThan(0);
    expect(report.unbundled.ms.median).toBeGreaterThan(0);
  });

  it("serves from the bundle under the local host", async () => {
    const host = await startLocalHost({
      appRoot: outDir,
      port: 0,
      env: {
        FIXTURE_STORAGE: azurite.connectionString,
        FIXTURE_WORK_QUEUE: "bundle-work",
        FIXTURE_SCHEDULE: "0 0 0 1 1 *",
      },
      log: () => undefined,
    });
    try {
      expect(await (await fetch(`${host.url}/api/hello/bundle`)).text()).toBe("Hello, bundle");
      expect(host.registrations.every((r) => r.error === undefined)).toBe(true);
    } finally {
      await host.close();
    }
  });
});
