// The suites that run the built app (dist/) build it first: never a silent skip when dist/ is missing, never a
// test of yesterday's build. `ensureBuilt()` compiles (tsc -p tsconfig.build.json) when any source is newer
// than its output or the last build failed, once for all test workers at a time (a lock directory), and throws
// with tsc's own messages when the build fails, so the suite fails loudly instead of testing stale code.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

const repoRoot = path.resolve(__dirname, "../..");
/** The folders tsconfig.build.json compiles. */
const SOURCE_DIRS = ["src", "tools/emulator/src", "tools/local-functions-host/src", "bench"];
const paths = (root: string) => {
  const dist = path.join(root, "dist");
  return { dist, lock: path.join(dist, ".build-lock"), failed: path.join(dist, ".build-failed") };
};
/** A lock older than this was left by a killed worker (a build takes well under a minute). */
const STALE_LOCK_MS = 5 * 60_000;
const WAIT_MS = 10 * 60_000;

function* sources(dir: string): Generator<string> {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* sources(full);
    else if (/\.(ts|json)$/.test(entry.name) && !entry.name.endsWith(".d.ts")) yield full;
  }
}

/** Why dist/ does not match the sources, or undefined when it does. */
export function staleReason(root = repoRoot): string | undefined {
  const { dist, failed } = paths(root);
  if (fs.existsSync(failed)) return "the last build failed";
  for (const dir of SOURCE_DIRS) {
    if (!fs.existsSync(path.join(root, dir))) continue;
    for (const source of sources(path.join(root, dir))) {
      const rel = path.relative(root, source);
      const output = path.join(dist, rel.endsWith(".ts") ? rel.replace(/\.ts$/, ".js") : rel);
      // JSON files are only in dist when imported; a missing one is not a reason to build.
      if (!fs.existsSync(output)) {
        if (rel.endsWith(".ts")) return `${rel} has no build output`;
        continue;
      }
      if (fs.statSync(output).mtimeMs < fs.statSync(source).mtimeMs)
        return `${rel} changed since the last build`;
    }
  }
  return undefined;
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function takeLock(root: string): boolean {
  const { dist, lock } = paths(root);
  fs.mkdirSync(dist, { recursive: true });
  try {
    fs.mkdirSync(lock);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    const held = fs.statSync(lock, { throwIfNoEntry: false });
    if (held !== undefined && Date.now() - held.mtimeMs > STALE_LOCK_MS)
      fs.rmSync(lock, { recursive: true, force: true });
    return false;
  }
}

function build(root: string, why: string): void {
  const { dist, failed } = paths(root);
  const tsc = require.resolve("typescript/bin/tsc");
  const result = spawnSync(process.execPath, [tsc, "-p", "tsconfig.build.json"], {
    cwd: root,
    encoding: "utf8",
  });
  if (result.status === 0) {
    fs.rmSync(failed, { force: true });
    return;
  }
  const output =
    `${result.stdout ?? ""}${result.stderr ?? ""}${result.error ? String(result.error) : ""}`.trim();
  fs.mkdirSync(dist, { recursive: true });
  fs.writeFileSync(failed, output);
  throw new Error(
    `These tests run the built app in dist/, and building it failed (${why}; tsc -p tsconfig.build.json exited ${result.status}):\n${output}`,
  );
}

/** Builds dist/ if it is missing or older than the sources; throws (never skips) when it cannot. */
export function ensureBuilt(root = repoRoot): true {
  const { lock, failed: failedMarker } = paths(root);
  const started = Date.now();
  const deadline = started + WAIT_MS;
  for (;;) {
    const why = staleReason(root);
    if (why === undefined) break;
    // Another worker built while we waited, and failed: the same error, without building again.
    const failed = fs.statSync(failedMarker, { throwIfNoEntry: false });
    if (failed !== undefined && failed.mtimeMs >= started)
      throw new Error(
        `These tests run the built app in dist/, and building it failed:\n${fs.readFileSync(failedMarker, "utf8")}`,
      );
    if (takeLock(root)) {
      try {
        // Another worker may have finished between the check and the lock.
        const still = staleReason(root);
        if (still !== undefined) build(root, still);
      } finally {
        fs.rmSync(lock, { recursive: true, force: true });
      }
      break;
    }
    if (Date.now() > deadline) throw new Error(`gave up waiting for another worker's build (${lock})`);
    sleepSync(200);
  }
  return true;
}
