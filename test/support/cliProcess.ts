// The built CLI as a user runs it: `node bin/ie-janitor.js ...` in a child process, with only PATH and the given
// settings in its environment; on a terminal (a pty made by util-linux `script`) when a test answers a prompt.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";

const root = path.resolve(__dirname, "../..");
const bin = path.join(root, "bin/ie-janitor.js");

export function runCli(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  // These tests run the build: a missing one fails each of them, never passes as skipped.
  if (!existsSync(path.join(root, "dist/src/cli/main.js")))
    return Promise.reject(
      new Error("dist/ is missing: run `npx tsc -p tsconfig.build.json` (npm test builds first)"),
    );
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], {
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

/**
 * Runs the CLI on a terminal and, when it asks `Type N to ...`, types back `answer(N)`; resolves to the exit code
 * and everything the terminal showed.
 */
export async function answerOnTerminal(
  args: string[],
  env: Record<string, string>,
  answer: (asked: string) => string,
): Promise<{ code: number; out: string }> {
  const child = spawn("script", ["-qec", [process.execPath, bin, ...args].join(" "), "/dev/null"], {
    cwd: root,
    env: { PATH: process.env.PATH ?? "", ...env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.on("data", (c: Buffer) => {
    out += c.toString();
    const asked = /Type (\d+) to/.exec(out);
    if (asked && !child.stdin.writableEnded) child.stdin.end(`${answer(asked[1]!)}\n`);
  });
  const code = await new Promise<number>((resolve) => child.on("exit", (c) => resolve(c ?? -1)));
  return { code, out };
}
