#!/usr/bin/env node
// Compares how long the Functions app takes to load (require) bundled and unbundled, each in fresh Node
// processes with the functions-core module in place (as under the Functions host, where this time is paid at every
// cold start), and checks that both register the same functions (names, triggers, routes, methods, schedules,
// queues). Exit code 1 when they differ.
//
//   node scripts/compareImportTime.mjs [--app DIR] [--bundle DIR] [--runs N] [--json]
//
// Unbundled: the files package.json `main` names (for this repo: run `npm run build` first).
// Bundled: <bundle>/index.js (default <app>/dist-bundle; built with scripts/bundle.mjs when missing).
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { build } from "esbuild";
import { bundleApp, loadTypeScriptModule } from "./bundle.mjs";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

// Runs in each fresh process: install the shim, time the require of the entry files, list the registrations.
const CHILD = `
const { performance } = require("node:perf_hooks");
const shim = require(process.env.COMPARE_SHIM);
const core = shim.createFunctionsCore({ logSink: () => undefined });
shim.installFunctionsCore(core);
const files = JSON.parse(process.env.COMPARE_FILES);
const started = performance.now();
for (const file of files) require(file);
const ms = performance.now() - started;
const functions = core.registrations.map((r) => {
  const trigger = Object.values(r.metadata.bindings).find((b) => /trigger$/i.test(String(b.type)));
  const pick = (k) => (trigger[k] === undefined ? undefined : trigger[k]);
  return { name: r.name, trigger: trigger.type, route: pick("route"), methods: pick("methods"), authLevel: pick("authLevel"),
    schedule: pick("schedule"), queueName: pick("queueName"), connection: pick("connection"),
    outputs: Object.entries(r.metadata.bindings).filter(([, b]) => b.direction === "out").map(([n, b]) => n === "$return" ? "$return:" + b.type : b.type).sort() };
});
process.stdout.write(JSON.stringify({ ms, functions }));
`;

/** Settings the app may validate at load time; real values are not needed to register functions. */
function childEnv(extra) {
  const env = { ...process.env, ...extra };
  env.AzureWebJobsStorage ??= "UseDevelopmentStorage=true";
  env.JANITOR_STORAGE ??= "UseDevelopmentStorage=true";
  env.FUNCTIONS_WORKER_RUNTIME ??= "node";
  return env;
}

function measure(shim, files, cwd) {
  const out = execFileSync(process.execPath, ["-e", CHILD], {
    cwd,
    env: childEnv({ COMPARE_SHIM: shim, COMPARE_FILES: JSON.stringify(files) }),
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
  return JSON.parse(out);
}

function stats(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return { median: round(median), min: round(sorted[0]), max: round(sorted.at(-1)), mean: round(mean) };
}

const round = (n) => Math.round(n * 10) / 10;

/**
 * @param {{ appRoot?: string, bundleDir?: string, runs?: number }} options
 */
export async function compareImportTime(options = {}) {
  const appRoot = path.resolve(options.appRoot ?? repoRoot);
  const bundleDir = path.resolve(options.bundleDir ?? path.join(appRoot, "dist-bundle"));
  const runs = options.runs ?? 10;
  const bundleFile = path.join(bundleDir, "index.js");
  if (!fs.existsSync(bundleFile)) await bundleApp({ appRoot, outDir: bundleDir });

  const { resolveAppEntryFiles } = await loadTypeScriptModule(
    path.join(repoRoot, "tools/local-functions-host/src/appEntryFiles.ts"),
  );
  const unbundledFiles = resolveAppEntryFiles(appRoot);

  // The shim as plain CommonJS for the child processes.
  const shimDir = fs.mkdtempSync(path.join(os.tmpdir(), "functions-core-shim-"));
  const shim = path.join(shimDir, "functionsCore.cjs");
  await build({
    entryPoints: [path.join(repoRoot, "tools/local-functions-host/src/functionsCore.ts")],
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node20",
    outfile: shim,
    logLevel: "error",
  });

  try {
    const results = { unbundled: [], bundled: [] };
    // Alternate, so both see the same machine conditions (file cache, CPU frequency).
    for (let i = 0; i < runs; i++) {
      results.unbundled.push(measure(shim, unbundledFiles, appRoot));
      results.bundled.push(measure(shim, [bundleFile], bundleDir));
    }
    const unbundledFunctions = results.unbundled[0].functions;
    const bundledFunctions = results.bundled[0].functions;
    return {
      runs,
      unbundled: { files: unbundledFiles.length, ms: stats(results.unbundled.map((r) => r.ms)) },
      bundled: {
        file: bundleFile,
        bytes: fs.statSync(bundleFile).size,
        ms: stats(results.bundled.map((r) => r.ms)),
      },
      sameRegistrations: JSON.stringify(unbundledFunctions) === JSON.stringify(bundledFunctions),
      functions: unbundledFunctions,
      bundledFunctions,
    };
  } finally {
    fs.rmSync(shimDir, { recursive: true, force: true });
  }
}

async function main() {
  const { values } = parseArgs({
    options: {
      app: { type: "string" },
      bundle: { type: "string" },
      runs: { type: "string" },
      json: { type: "boolean" },
    },
  });
  const runs = values.runs === undefined ? 10 : Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1 || runs > 1000)
    throw new Error(`--runs: expected an integer from 1 to 1000, got "${values.runs}".`);
  const report = await compareImportTime({ appRoot: values.app, bundleDir: values.bundle, runs });
  if (values.json) {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } else {
    const line = (label, s) =>
      `  ${label.padEnd(10)} median ${s.median} ms  (min ${s.min}, mean ${s.mean}, max ${s.max})`;
    process.stdout.write(
      [
        `Import time over ${report.runs} fresh processes each (require of the entry, functions-core shim in place):`,
        line("unbundled", report.unbundled.ms) + `  ${report.unbundled.files} entry file(s)`,
        line("bundled", report.bundled.ms) + `  ${(report.bundled.bytes / 1024).toFixed(0)} KiB`,
        `  speed-up  ${(report.unbundled.ms.median / report.bundled.ms.median).toFixed(2)}x (median)`,
        `Registrations: ${report.functions.length} function(s), ${report.sameRegistrations ? "the same in both" : "DIFFERENT"}: ` +
          report.functions.map((f) => f.name).join(", "),
        "",
      ].join("\n"),
    );
  }
  if (!report.sameRegistrations) {
    process.stderr.write(
      `bundled registrations differ:\n${JSON.stringify(report.bundledFunctions, null, 2)}\n`,
    );
    process.exit(1);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  main().catch((err) => {
    process.stderr.write(`compareImportTime failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
