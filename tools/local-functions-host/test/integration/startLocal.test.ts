// `npm start` as a newcomer runs it: the built entry in a child process, then Ctrl-C.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const repoRoot = path.resolve(__dirname, "../../../..");
const entry = path.join(repoRoot, "dist/tools/local-functions-host/src/startLocal.js");

function portIsOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

describe("npm start (dist/tools/local-functions-host/src/startLocal.js)", () => {
  let child: ChildProcess;
  let stdout = "";
  let stderr = "";

  beforeAll(() => {
    // `npm test` builds first; when a test run did not, build here (tsc emits even when other files have errors).
    if (!fs.existsSync(entry) || !fs.existsSync(path.join(repoRoot, "dist/src/functions/index.js"))) {
      spawnSync(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", "tsconfig.build.json"], {
        cwd: repoRoot,
      });
    }
    child = spawn(process.execPath, [entry], {
      cwd: repoRoot,
      env: { ...process.env, PORT: "0", LOCAL_AZURITE_LOCATION: "memory", JANITOR_MODE: "plan" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout!.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr!.on("data", (c: Buffer) => (stderr += c.toString()));
  });

  afterAll(() => {
    if (child.exitCode === null) child.kill("SIGKILL");
  });

  it("serves the API, runs a first sweep, and stops everything on SIGINT", async () => {
    const started = Date.now();
    let api: string | undefined;
    while (!api) {
      api = /Functions {2}(http:\/\/localhost:\d+\/api)/.exec(stdout)?.[1];
      if (child.exitCode !== null) throw new Error(`npm start exited: ${stderr}`);
      if (Date.now() - started > 30_000) throw new Error(`no banner within 30 s: ${stdout}\n${stderr}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    api = api.replace("localhost", "127.0.0.1");
    const health = await fetch(`${api}/health`);
    expect(health.status).toBe(200);
    expect(stdout).toContain(`curl -X POST http://localhost:`);
    // The admin API needs the master key the banner prints.
    const key = /x-functions-key: ([A-Za-z0-9_-]{40,})/.exec(stdout)?.[1];
    const hostUrl = api.replace(/\/api$/, "");
    expect((await fetch(`${hostUrl}/admin/host/status`)).status).toBe(401);
    expect(
      (await fetch(`${hostUrl}/admin/host/status`, { headers: { "x-functions-key": key! } })).status,
    ).toBe(200);

    let runs: { items: { trigger: string; mode: string }[] } = { items: [] };
    while (runs.items.length === 0) {
      if (Date.now() - started > 30_000) throw new Error(`no first sweep within 30 s: ${stdout}\n${stderr}`);
      await new Promise((r) => setTimeout(r, 250));
      runs = (await (await fetch(`${api}/runs`)).json()) as typeof runs;
    }
    expect(runs.items[0]).toMatchObject({ trigger: "timer", mode: "plan" });

    const queuePort = Number(/queue 127\.0\.0\.1:(\d+)/.exec(stdout)![1]);
    const emulatorPort = Number(/Emulator {3}https:\/\/127\.0\.0\.1:(\d+)/.exec(stdout)![1]);
    const hostPort = Number(new URL(api).port);
    expect(await portIsOpen(queuePort)).toBe(true);

    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    child.kill("SIGINT");
    expect(await exited).toBe(0);
    // Nothing left behind: Azurite (a child process), the emulator and the host no longer listen.
    expect(await portIsOpen(queuePort)).toBe(false);
    expect(await portIsOpen(emulatorPort)).toBe(false);
    expect(await portIsOpen(hostPort)).toBe(false);
  });
});
