#!/usr/bin/env node
// The dashboard's build: esbuild bundles ui/src (Preact and uPlot included, nothing from a CDN) into dist/ui, next to
// the compiled app, with the page's HTML. The Functions app serves these files at /api/ui (src/functions/dashboard.ts).
//
//   node scripts/buildUi.mjs [--out DIR]
import { build } from "esbuild";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

export async function buildUi(outDir = path.join(repoRoot, "dist/ui")) {
  fs.rmSync(outDir, { recursive: true, force: true });
  fs.mkdirSync(outDir, { recursive: true });
  await build({
    absWorkingDir: repoRoot,
    entryPoints: { app: "ui/src/main.tsx", styles: "ui/src/styles.css" },
    bundle: true,
    minify: true,
    sourcemap: false,
    format: "iife",
    target: ["chrome120", "firefox120", "safari16"],
    jsx: "automatic",
    jsxImportSource: "preact",
    outdir: outDir,
    logLevel: "warning",
    legalComments: "none",
  });
  fs.copyFileSync(path.join(repoRoot, "ui/index.html"), path.join(outDir, "index.html"));
  return outDir;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { out: { type: "string" } } });
  const out = await buildUi(values.out && path.resolve(values.out));
  console.log(`dashboard built in ${path.relative(process.cwd(), out) || "."}`);
}
