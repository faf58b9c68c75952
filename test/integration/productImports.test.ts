// The product does not import the development tools (tools/*): not the deployment bundle, and not the CLI at run
// time, which finds the emulator and the local host only when asked (`emulator`, `--emulator`) and says what to
// do when they are absent, as in an installed janitor without the development tools.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt } from "../support/build";

const repoRoot = path.resolve(__dirname, "../..");
const TOOL_INPUT = /(^|\/)tools\/|node_modules\/(azurite|@importexport-janitor)\//;

/** Every input esbuild keeps when it bundles `entry` with its npm packages left external (the ones we wrote). */
async function ownInputs(entry: string): Promise<{ inputs: string[]; external: string[] }> {
  const result = await build({
    entryPoints: [path.join(repoRoot, entry)],
    bundle: true,
    platform: "node",
    format: "cjs",
    write: false,
    metafile: true,
    packages: "external",
    logLevel: "silent",
  });
  const output = Object.values(result.metafile.outputs)[0]!;
  const external = Object.values(result.metafile.inputs).flatMap((input) =>
    input.imports.filter((i) => i.external).map((i) => i.path),
  );
  return { inputs: Object.keys(output.inputs), external };
}

describe("the product imports nothing from tools/", () => {
  it("the deployment bundle (scripts/bundle.mjs over src/functions) holds no tool code", () => {
    const outDir = fs.mkdtempSync(path.join(os.tmpdir(), "product-bundle-"));
    try {
      const run = spawnSync(process.execPath, ["scripts/bundle.mjs", "--out", outDir], {
        cwd: repoRoot,
        encoding: "utf8",
      });
      expect(run.status, run.stderr).toBe(0);
      const code = fs.readFileSync(path.join(outDir, "index.js"), "utf8");
      expect(code).not.toMatch(/@importexport-janitor\/|tools\/(emulator|local-functions-host)\//);
    } finally {
      fs.rmSync(outDir, { recursive: true, force: true });
    }
  });

  it("the Functions app and the CLI reach no tool module; the CLI names the tool packages only to load them", async () => {
    for (const entry of ["src/functions/index.ts", "src/cli/main.ts"]) {
      const { inputs, external } = await ownInputs(entry);
      expect(
        inputs.filter((input) => TOOL_INPUT.test(input)),
        entry,
      ).toEqual([]);
      const tools = external.filter((name) => name.startsWith("@importexport-janitor/"));
      if (entry === "src/functions/index.ts") expect(tools).toEqual([]);
      else
        expect([...new Set(tools)].sort()).toEqual([
          "@importexport-janitor/emulator",
          "@importexport-janitor/local-functions-host",
        ]);
    }
  });
});

describe("the built CLI without the development tools installed", () => {
  let installed: string;

  // Prepare: the built product as a package would carry it (bin, dist/src, package.json), beside every
  // dependency except the workspace's tool packages.
  beforeAll(() => {
    ensureBuilt();
    installed = fs.mkdtempSync(path.join(os.tmpdir(), "janitor-installed-"));
    fs.cpSync(path.join(repoRoot, "bin"), path.join(installed, "bin"), { recursive: true });
    fs.cpSync(path.join(repoRoot, "dist/src"), path.join(installed, "dist/src"), { recursive: true });
    fs.copyFileSync(path.join(repoRoot, "package.json"), path.join(installed, "package.json"));
    const modules = path.join(installed, "node_modules");
    fs.mkdirSync(modules);
    for (const name of fs.readdirSync(path.join(repoRoot, "node_modules"))) {
      if (name === "@importexport-janitor" || name === "azurite" || name === ".bin") continue;
      fs.symlinkSync(path.join(repoRoot, "node_modules", name), path.join(modules, name));
    }
  });

  afterAll(() => {
    if (installed) fs.rmSync(installed, { recursive: true, force: true });
  });

  const cli = (...args: string[]) =>
    spawnSync(process.execPath, [path.join(installed, "bin/ie-janitor.js"), ...args], {
      cwd: installed,
      encoding: "utf8",
      env: { PATH: process.env.PATH ?? "", HOME: os.tmpdir() },
      timeout: 30_000,
    });

  it("runs the product's commands", () => {
    const shown = cli("policy", "show");
    expect(shown.status, shown.stderr).toBe(0);
    expect(JSON.parse(shown.stdout)).toMatchObject({ policy: { version: 1 }, source: "built-in default" });
  });

  it("`emulator` and `--emulator` say what to do, and exit 2", () => {
    for (const args of [["emulator"], ["plan", "--emulator"]]) {
      const run = cli(...args);
      expect(run.status, args.join(" ")).toBe(2);
      expect(run.stderr).toContain("the development tools");
      expect(run.stderr).toContain("npm ci");
      expect(run.stdout).toBe("");
    }
  });
});
