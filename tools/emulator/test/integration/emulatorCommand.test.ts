import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import https from "node:https";
import os from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runEmulatorCommand } from "../../../../src/cli/commands/emulator";
import type { CliIO } from "../../../../src/cli/io";
import { DEMO_SUBSCRIPTIONS } from "../../src/demoSeed";

const repoRoot = path.resolve(__dirname, "../../../..");

function captureIO(): CliIO & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, isTTY: false, stdout: (t) => void out.push(t), stderr: (t) => void err.push(t) };
}

interface Announcement {
  endpoint: string;
  caCertPath: string;
  controlUrl: string;
}

/** `GET /subscriptions` as curl would do it: https with the emulator's CA file and a bearer token. */
async function listSubscriptionIds(announced: Announcement): Promise<string[]> {
  const ca = await readFile(announced.caCertPath, "utf8");
  const text = await new Promise<string>((resolve, reject) => {
    https
      .get(
        `${announced.endpoint}/subscriptions?api-version=2022-12-01`,
        { ca, headers: { authorization: "Bearer dev" } },
        (res) => {
          let body = "";
          res.on("data", (c: Buffer) => (body += c.toString("utf8")));
          res.on("end", () => resolve(body));
        },
      )
      .on("error", reject);
  });
  return (JSON.parse(text) as { value: Array<{ subscriptionId: string }> }).value.map(
    (s) => s.subscriptionId,
  );
}

async function waitFor<T>(probe: () => T | undefined, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("ie-janitor emulator (runEmulatorCommand)", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "emulator-cmd-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("prints exactly one JSON line, serves the demo seed, and returns 0 when stopped", async () => {
    // Act
    const io = captureIO();
    const stop = new AbortController();
    const running = runEmulatorCommand({ seed: "demo" }, io, stop.signal);
    const line = await waitFor(() => io.out[0], "the JSON line");
    const announced = JSON.parse(line) as Announcement;
    const ids = await listSubscriptionIds(announced);
    stop.abort();

    // Assess
    expect(await running).toBe(0);
    expect(io.out).toEqual([line]);
    expect(line.endsWith("\n")).toBe(true);
    expect(Object.keys(announced)).toEqual(["endpoint", "caCertPath", "controlUrl"]);
    expect(announced.endpoint).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(announced.controlUrl).toBe(`${announced.endpoint}/_emulator`);
    expect(path.isAbsolute(announced.caCertPath)).toBe(true);
    expect(ids).toEqual(Object.values(DEMO_SUBSCRIPTIONS));
  });

  it("writes its CA where --cert-dir says (default .janitor/emulator), and removes it when stopped", async () => {
    const io = captureIO();
    const stop = new AbortController();
    const running = runEmulatorCommand({ certDir: path.join(dir, "certs") }, io, stop.signal);
    const announced = JSON.parse(await waitFor(() => io.out[0], "the JSON line")) as Announcement;
    expect(announced.caCertPath).toBe(path.join(dir, "certs", "ca.pem"));
    expect(await listSubscriptionIds(announced)).toEqual([]);
    stop.abort();
    expect(await running).toBe(0);
    expect(existsSync(announced.caCertPath)).toBe(false);
  });

  it("loads a seed file", async () => {
    const file = path.join(dir, "seed.json");
    await writeFile(
      file,
      JSON.stringify({
        subscriptions: [{ subscriptionId: "sub-from-file", displayName: "From file", state: "Enabled" }],
      }),
    );
    const io = captureIO();
    const stop = new AbortController();
    const running = runEmulatorCommand({ seed: file, port: "0" }, io, stop.signal);
    const announced = JSON.parse(await waitFor(() => io.out[0], "the JSON line")) as Announcement;
    expect(await listSubscriptionIds(announced)).toEqual(["sub-from-file"]);
    stop.abort();
    expect(await running).toBe(0);
  });

  it.each([
    [
      "a bad field",
      {
        jobs: [
          { subscriptionId: "s", resourceGroup: "r", name: "n", location: "x", properties: { state: 3 } },
        ],
      },
      "jobs[0].properties.state: expected a string",
    ],
    ["not JSON", "{nope", "is not valid JSON"],
  ])(
    "refuses a seed file with %s: exit 2, the problem on stderr, nothing on stdout",
    async (_what, content, message) => {
      const file = path.join(dir, "bad.json");
      await writeFile(file, typeof content === "string" ? content : JSON.stringify(content));
      const io = captureIO();
      expect(await runEmulatorCommand({ seed: file }, io)).toBe(2);
      expect(io.out).toEqual([]);
      expect(io.err.join("")).toContain("--seed");
      expect(io.err.join("")).toContain(message);
    },
  );

  it("refuses an unreadable seed file and a bad port with exit 2", async () => {
    const missing = captureIO();
    expect(await runEmulatorCommand({ seed: path.join(dir, "missing.json") }, missing)).toBe(2);
    expect(missing.err.join("")).toMatch(/--seed: cannot read .*ENOENT.*"demo"/);
    for (const port of ["abc", "70000", "-1"]) {
      const io = captureIO();
      expect(await runEmulatorCommand({ port }, io)).toBe(2);
      expect(io.err.join("")).toContain("--port: expected a whole number from 0 to 65535");
      expect(io.out).toEqual([]);
    }
  });

  const built =
    existsSync(path.join(repoRoot, "dist/src/cli/main.js")) &&
    existsSync(path.join(repoRoot, "dist/src/cli/commands/emulator.js"));
  it.skipIf(!built)(
    `runs as \`node bin/ie-janitor.js emulator --seed demo\` until SIGTERM${built ? "" : " (skipped: dist/ is not built; `npm test` builds it first)"}`,
    async () => {
      const child = spawn(
        process.execPath,
        [path.join(repoRoot, "bin/ie-janitor.js"), "emulator", "--seed", "demo"],
        {
          cwd: repoRoot,
          stdio: ["ignore", "pipe", "pipe"],
        },
      );
      try {
        const lines = createInterface({ input: child.stdout! });
        const line = await new Promise<string>((resolve, reject) => {
          lines.once("line", resolve);
          child.once("exit", (code) => reject(new Error(`exited early with ${code}`)));
        });
        const announced = JSON.parse(line) as Announcement;
        expect(await listSubscriptionIds(announced)).toEqual(Object.values(DEMO_SUBSCRIPTIONS));
        // The CA at the fixed place local.settings.example.json names, so `func start` needs no edit.
        const example = JSON.parse(
          await readFile(path.join(repoRoot, "local.settings.example.json"), "utf8"),
        ) as {
          Values: Record<string, string>;
        };
        expect(announced.caCertPath).toBe(path.resolve(repoRoot, example.Values.JANITOR_ARM_CA_CERT!));
        expect(example.Values.JANITOR_ARM_ENDPOINT).toBe("https://127.0.0.1:8443");
        const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
        child.kill("SIGTERM");
        expect(await exited).toBe(0);
        expect(existsSync(announced.caCertPath)).toBe(false);
      } finally {
        if (child.exitCode === null) child.kill("SIGKILL");
      }
    },
  );
});
