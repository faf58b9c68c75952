// The CLI as a user runs it: `node bin/ie-janitor.js ...` in a child process, with `--emulator` so no Azure and
// no settings are needed. Needs the build (`npm test` builds first).
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const root = path.resolve(__dirname, "../..");
const built = existsSync(path.join(root, "dist/src/cli/main.js"));

function cli(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(root, "bin/ie-janitor.js"), ...args], {
      cwd: root,
      env: { PATH: process.env.PATH ?? "", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    child.on("error", reject);
    child.on("exit", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

describe.skipIf(!built)("ie-janitor CLI (built)", () => {
  it("plan --emulator --json prints one JSON document: the run record and every decision", async () => {
    const { code, stdout, stderr } = await cli(["plan", "--emulator", "--json"]);
    expect(code, stderr).toBe(0);
    const doc = JSON.parse(stdout);
    expect(doc).toMatchObject({ trigger: "cli", mode: "plan", status: "succeeded" });
    expect(doc.counts.planned).toBeGreaterThan(0);
    expect(doc.decisions.length).toBe(doc.counts.jobsSeen - (doc.reasons?.["malformed-job"] ?? 0));
    for (const d of doc.decisions) {
      expect(Object.keys(d)).toEqual(
        expect.arrayContaining([
          "jobId",
          "subscriptionId",
          "resourceGroup",
          "jobName",
          "jobType",
          "state",
          "action",
          "outcome",
          "reason",
        ]),
      );
      expect(d.reason).toBeTruthy();
    }
    expect(doc.decisions.filter((d: { outcome: string }) => d.outcome === "planned")).toHaveLength(
      doc.counts.planned,
    );
    expect(stderr).toContain("Run ");
  });

  it("plan --emulator prints a readable table", async () => {
    const { code, stdout } = await cli(["plan", "--emulator"]);
    expect(code).toBe(0);
    expect(stdout.split("\n")[0]).toMatch(/^SUB\s+RESOURCE GROUP\s+JOB\s+TYPE\s+STATE/);
    expect(stdout).toContain("planned");
  });

  it("apply without a terminal needs --yes, and changes nothing without it", async () => {
    const { code, stderr } = await cli(["apply", "--emulator"]);
    expect(code).toBe(2);
    expect(stderr).toContain("--yes");
  });

  it("apply --emulator --yes acts and reports what it did", async () => {
    const { code, stdout, stderr } = await cli(["apply", "--emulator", "--yes", "--json"]);
    expect(code, stderr).toBe(0);
    const doc = JSON.parse(stdout);
    expect(doc.mode).toBe("apply");
    expect(doc.counts.deleted).toBeGreaterThan(0);
    expect(doc.counts.planned).toBe(0);
  });

  it("explain shows the decision for one job", async () => {
    const id =
      "/subscriptions/11111111-1111-4111-8111-111111111111/resourceGroups/rg-migration/providers/Microsoft.ImportExport/jobs/draft-exempt";
    const { code, stdout } = await cli(["explain", id, "--emulator", "--json"]);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ action: "none", reason: "exempt-tag", eligible: false });
  });

  // On a terminal (a pty made by util-linux `script`), apply shows the plan and asks for the number of actions.
  const hasScript = spawnSync("script", ["--version"]).status === 0;
  it.skipIf(!hasScript)(
    "apply on a terminal acts only when the number of actions is typed back",
    async () => {
      const typed = async (answer: string) => {
        const child = spawn(
          "script",
          [
            "-qec",
            `${process.execPath} ${path.join(root, "bin/ie-janitor.js")} apply --emulator`,
            "/dev/null",
          ],
          {
            cwd: root,
            env: { PATH: process.env.PATH ?? "" },
            stdio: ["pipe", "pipe", "pipe"],
          },
        );
        let out = "";
        child.stdout.on("data", (c: Buffer) => {
          out += c.toString();
          if (/Type (\d+) to/.test(out) && !child.stdin.writableEnded) {
            const count = /Type (\d+) to/.exec(out)![1]!;
            child.stdin.end(`${answer === "right" ? count : "0"}\n`);
          }
        });
        const code = await new Promise<number>((resolve) => child.on("exit", (c) => resolve(c ?? -1)));
        return { code, out };
      };
      const wrong = await typed("wrong");
      expect(wrong.code).toBe(0);
      expect(wrong.out).toContain("Cancelled: nothing was changed");
      expect(wrong.out).not.toContain("succeeded  rule-matched");
      const right = await typed("right");
      expect(right.code).toBe(0);
      expect(right.out).toMatch(/delete\s+succeeded\s+rule-matched/);
    },
  );

  it.each([
    [["plan", "--bogus"], "unknown option"],
    [["explain", "not-an-id"], "JOB_RESOURCE_ID"],
    [["plan", "--subscription", "prod"], "--subscription"],
    [["frobnicate"], "unknown command"],
  ])("bad usage %j exits 2 naming the problem", async (args, message) => {
    const { code, stderr } = await cli(args);
    expect(code).toBe(2);
    expect(stderr.toLowerCase()).toContain(message.toLowerCase());
  });

  it("a bad setting stops with exit 2 and names the setting", async () => {
    const { code, stderr } = await cli(["plan"], {
      JANITOR_STORAGE: "UseDevelopmentStorage=true",
      JANITOR_MODE: "sometimes",
    });
    expect(code).toBe(2);
    expect(stderr).toContain("JANITOR_MODE");
  });
});
