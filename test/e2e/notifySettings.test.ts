// A bad JANITOR_NOTIFY stops the app when it loads and the CLI with exit code 2, naming the target and field.
import { spawnSync } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { createAppContext } from "../../src/functions/appContext";
import { SettingsError } from "../../src/errors";
import { ensureBuilt } from "../support/build";

const repoRoot = path.resolve(__dirname, "../..");
const BAD = JSON.stringify([
  {
    name: "ops",
    url: "https://10.0.0.1/hook",
    format: "teams",
    events: ["upcoming"],
    secret: "s3cret-never-shown-123",
  },
]);

describe("a bad JANITOR_NOTIFY", () => {
  it("stops the app at start, naming the target and field, never the secret", () => {
    const start = () =>
      createAppContext({ AzureWebJobsStorage: "UseDevelopmentStorage=true", JANITOR_NOTIFY: BAD });
    expect(start).toThrow(SettingsError);
    expect(start).toThrow(/JANITOR_NOTIFY\[0\] "ops"\.url: is a private, loopback or link-local address/);
    expect(start).not.toThrow(/s3cret/);
  });

  it("makes the CLI exit 2 with the same message", () => {
    ensureBuilt();
    const cli = spawnSync(
      process.execPath,
      [path.join(repoRoot, "bin/ie-janitor.js"), "plan", "--emulator"],
      {
        env: {
          ...process.env,
          JANITOR_NOTIFY:
            '[{"name":"ops","url":"https://hooks.example.com/","format":"email","events":["upcoming"]}]',
        },
        encoding: "utf8",
        timeout: 60_000,
      },
    );
    expect(cli.status).toBe(2);
    expect(cli.stderr).toContain(
      'JANITOR_NOTIFY[0] "ops".format: expected one of "generic", "teams", "slack"',
    );
  }, 90_000);
});
