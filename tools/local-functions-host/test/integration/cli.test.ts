import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAzurite, type AzuriteProcess } from "../../src/azuriteProcess";
import { runLocalHostCli } from "../../src/cli";

const appRoot = path.resolve(__dirname, "../../../../test/fixtures/functionsApp");
const settingsFile = path.join(appRoot, "local.settings.json");

describe("local host CLI (the func start stand-in)", () => {
  let azurite: AzuriteProcess;

  beforeAll(async () => {
    azurite = await startAzurite();
    fs.writeFileSync(
      settingsFile,
      JSON.stringify({
        IsEncrypted: false,
        Values: {
          FIXTURE_STORAGE: azurite.connectionString,
          FIXTURE_WORK_QUEUE: "cli-file-work",
          FIXTURE_SCHEDULE: "0 0 0 1 1 *",
          "AzureWebJobs.boom.Disabled": "true",
        },
        Host: { LocalHttpPort: 0 },
      }),
    );
  });

  afterAll(async () => {
    fs.rmSync(settingsFile, { force: true });
    await azurite?.stop();
  });

  it("serves the app with local.settings.json values, the environment winning", async () => {
    process.env.FIXTURE_WORK_QUEUE = "cli-env-work";
    const run = await runLocalHostCli([], appRoot).finally(() => delete process.env.FIXTURE_WORK_QUEUE);
    try {
      expect(run.host.port).toBeGreaterThan(0);
      expect(run.settingsFromFile.sort()).toEqual([
        "AzureWebJobs.boom.Disabled",
        "FIXTURE_SCHEDULE",
        "FIXTURE_STORAGE",
      ]);
      expect(run.host.registrations.find((r) => r.name === "work")?.queueName).toBe("cli-env-work");
      const res = await fetch(`${run.host.url}/api/hello/cli`);
      expect(await res.text()).toBe("Hello, cli");
      // Disabled by app setting, as on the host: listed, not served.
      expect(run.host.registrations.find((r) => r.name === "boom")?.disabled).toBe(true);
      expect((await fetch(`${run.host.url}/api/boom`)).status).toBe(404);
    } finally {
      await run.host.close();
    }
  });

  it("refuses a bad --port naming the flag", async () => {
    await expect(runLocalHostCli(["--port", "http"], appRoot)).rejects.toThrow(
      /--port: expected a port number/,
    );
  });
});
