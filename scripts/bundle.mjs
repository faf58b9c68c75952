#!/usr/bin/env node
// The deployment build: one CommonJS file for the Functions app, made by esbuild, in dist-bundle/ with a
// package.json whose `main` points at it and a copy of host.json: zip dist-bundle/ and deploy it.
//
//   node scripts/bundle.mjs [--app DIR] [--entry FILE] [--out DIR] [--minify]
//
// Entry: --entry, else <app>/src/functions/index.ts, else the files package.json `main` names (globs allowed).
// `@azure/functions-core` stays external: the Functions host provides it at runtime. The local host
// (tools/local-functions-host) provides its own only in development, and the build fails if any of the development
// tools (tools/*) or Azurite ends up in the bundle.
import { build } from "esbuild";
import fs from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { buildUi } from "./buildUi.mjs";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** Loads one of our TypeScript modules (e.g. tools/local-functions-host/src/appEntryFiles.ts) without a tsc build. */
export async function loadTypeScriptModule(file) {
  const outfile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "ts-module-")), "module.cjs");
  await build({
    entryPoints: [file],
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node20",
    outfile,
    logLevel: "error",
    packages: "external",
    absWorkingDir: repoRoot,
  });
  // Resolved from the repo, so the module's own dependencies (croner, ...) are found.
  const module = createRequire(path.join(repoRoot, "package.json"))(outfile);
  fs.rmSync(path.dirname(outfile), { recursive: true, force: true });
  return module;
}

/** The entry files of the app (see the header). */
export async function appEntryFiles(appRoot, entry) {
  if (entry) return [path.resolve(appRoot, entry)];
  const functionsIndex = path.join(appRoot, "src/functions/index.ts");
  if (fs.existsSync(functionsIndex)) return [functionsIndex];
  const { resolveAppEntryFiles } = await loadTypeScriptModule(
    path.join(repoRoot, "tools/local-functions-host/src/appEntryFiles.ts"),
  );
  return resolveAppEntryFiles(appRoot);
}

/**
 * Bundles the app; returns what was written and the measures worth reporting.
 * @param {{ appRoot?: string, entry?: string, outDir?: string, minify?: boolean }} options
 */
export async function bundleApp(options = {}) {
  const appRoot = path.resolve(options.appRoot ?? repoRoot);
  const outDir = path.resolve(options.outDir ?? path.join(appRoot, "dist-bundle"));
  const entries = await appEntryFiles(appRoot, options.entry);
  const outfile = path.join(outDir, "index.js");
  fs.rmSync(outDir, { recursive: true, force: true });

  // Several entry files (a glob `main`) become one bundle that requires them in order, as the worker loads them.
  const entryOptions =
    entries.length === 1
      ? { entryPoints: [entries[0]] }
      : {
          stdin: {
            contents: entries.map((f) => `require(${JSON.stringify(f)});`).join("\n"),
            resolveDir: appRoot,
            sourcefile: "entries.js",
            loader: "js",
          },
        };
  const result = await build({
    ...entryOptions,
    absWorkingDir: appRoot,
    bundle: true,
    platform: "node",
    target: "node20",
    format: "cjs",
    outfile,
    external: ["@azure/functions-core"],
    // Imports resolve to the packages' ESM builds, some of which use import.meta.url (createRequire, __dirname);
    // in a CommonJS bundle it must be the bundle's own URL, or they crash at load.
    define: { "import.meta.url": "__bundleImportMetaUrl" },
    banner: { js: 'const __bundleImportMetaUrl = require("node:url").pathToFileURL(__filename).href;' },
    sourcemap: true,
    minify: options.minify ?? false,
    metafile: true,
    logLevel: "warning",
  });

  const inputs = Object.keys(result.metafile.inputs);
  const warnings = checkNoDevelopmentCode(result.metafile);
  const pkg = JSON.parse(fs.readFileSync(path.join(appRoot, "package.json"), "utf8"));
  const bundlePackage = {
    name: pkg.name,
    version: pkg.version,
    description: pkg.description,
    private: true,
    license: pkg.license,
    type: "commonjs",
    main: "index.js",
    engines: pkg.engines,
  };
  fs.writeFileSync(path.join(outDir, "package.json"), `${JSON.stringify(bundlePackage, null, 2)}\n`);
  const hostJson = path.join(appRoot, "host.json");
  if (!fs.existsSync(hostJson))
    throw new Error(`${hostJson} is missing: the Functions host needs it next to the bundle.`);
  fs.copyFileSync(hostJson, path.join(outDir, "host.json"));
  // The dashboard's files, served from ui/ next to index.js (src/functions/handlers/dashboard.ts).
  if (fs.existsSync(path.join(appRoot, "ui/src/main.tsx"))) await buildUi(path.join(outDir, "ui"));

  return {
    outDir,
    outfile,
    entries,
    bytes: fs.statSync(outfile).size,
    modules: inputs.length,
    warnings,
  };
}

/**
 * The functions-core shim, the local host and the emulator must never reach production (the real host provides
 * functions-core), nor Azurite. Checked on what esbuild kept after tree-shaking.
 */
function checkNoDevelopmentCode(metafile) {
  const [, output] = Object.entries(metafile.outputs).find(([file]) => file.endsWith(".js")) ?? [];
  if (!output) throw new Error("esbuild wrote no JavaScript output.");
  const kept = Object.entries(output.inputs)
    .filter(([, info]) => info.bytesInOutput > 0)
    .map(([input]) => input);
  const forbidden = kept.filter(
    (input) =>
      /node_modules\/(azurite|@importexport-janitor)\//.test(input) ||
      /(^|\/)tools\/[^/]+\/src\//.test(input),
  );
  if (forbidden.length > 0) {
    throw new Error(
      `The bundle must not contain the local host, the emulator or Azurite, but it includes: ${forbidden.slice(0, 5).join(", ")}`,
    );
  }
  return [];
}

async function main() {
  const { values } = parseArgs({
    options: {
      app: { type: "string" },
      entry: { type: "string" },
      out: { type: "string" },
      minify: { type: "boolean" },
    },
  });
  const report = await bundleApp({
    appRoot: values.app,
    entry: values.entry,
    outDir: values.out,
    minify: values.minify,
  });
  const rel = (p) => path.relative(process.cwd(), p) || ".";
  process.stdout.write(
    `Bundled ${report.entries.map(rel).join(", ")} (${report.modules} modules) into ${rel(report.outfile)}: ` +
      `${(report.bytes / 1024).toFixed(0)} KiB, with package.json and host.json. Zip ${rel(report.outDir)}/ to deploy.\n`,
  );
  for (const warning of report.warnings) process.stderr.write(`warning: ${warning}\n`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  main().catch((err) => {
    process.stderr.write(`bundle failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
