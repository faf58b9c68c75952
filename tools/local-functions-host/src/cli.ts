#!/usr/bin/env node
import fs from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { startLocalHost, type LocalHost } from "./host";

// Our stand-in for `func start`: serves the Functions app in the current folder with the local host.
// Usage: node dist/tools/local-functions-host/src/cli.js [--port N] [--verbose]
// Like Core Tools, it reads `Values` from local.settings.json (the environment wins) and its port from
// `Host.LocalHttpPort` when --port is not given.

const USAGE = "usage: node dist/tools/local-functions-host/src/cli.js [--port N] [--verbose]";

export interface CliRun {
  host: LocalHost;
  /** Settings read from local.settings.json and applied (names only; values may be secrets). */
  settingsFromFile: string[];
}

export async function runLocalHostCli(argv: string[], cwd = process.cwd()): Promise<CliRun> {
  const { values } = parseArgs({
    args: argv,
    options: { port: { type: "string" }, verbose: { type: "boolean" }, help: { type: "boolean" } },
    strict: true,
  });
  if (values.help) throw new UsageError(USAGE);
  const localSettings = readLocalSettings(cwd);
  let port = localSettings.port ?? 7071;
  if (values.port !== undefined) {
    if (!/^\d+$/.test(values.port) || Number(values.port) > 65535) {
      throw new UsageError(`--port: expected a port number from 0 to 65535, got "${values.port}".\n${USAGE}`);
    }
    port = Number(values.port);
  }
  // The environment wins over the file, as with Core Tools.
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(localSettings.values)) {
    if (process.env[name] === undefined) env[name] = value;
  }
  const host = await startLocalHost({ appRoot: cwd, port, env, verbose: values.verbose ?? false });
  return { host, settingsFromFile: Object.keys(env) };
}

export class UsageError extends Error {
  override name = "UsageError";
}

function readLocalSettings(cwd: string): { values: Record<string, string>; port?: number } {
  const file = path.join(cwd, "local.settings.json");
  if (!fs.existsSync(file)) return { values: {} };
  let parsed: { Values?: unknown; Host?: { LocalHttpPort?: unknown } };
  try {
    parsed = JSON.parse(fs.readFileSync(file, "utf8")) as typeof parsed;
  } catch (err) {
    throw new UsageError(
      `local.settings.json: not valid JSON (${err instanceof Error ? err.message : String(err)}).`,
    );
  }
  const values: Record<string, string> = {};
  if (parsed.Values !== undefined) {
    if (typeof parsed.Values !== "object" || parsed.Values === null || Array.isArray(parsed.Values)) {
      throw new UsageError("local.settings.json Values: expected an object of setting names to strings.");
    }
    for (const [name, value] of Object.entries(parsed.Values)) {
      if (typeof value !== "string")
        throw new UsageError(`local.settings.json Values.${name}: expected a string.`);
      values[name] = value;
    }
  }
  const port = parsed.Host?.LocalHttpPort;
  if (
    port !== undefined &&
    (typeof port !== "number" || !Number.isInteger(port) || port < 0 || port > 65535)
  ) {
    throw new UsageError("local.settings.json Host.LocalHttpPort: expected a port number from 0 to 65535.");
  }
  return { values, port: port as number | undefined };
}

async function main(): Promise<void> {
  let run: CliRun;
  try {
    run = await runLocalHostCli(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(
      err instanceof UsageError || (err as { code?: string }).code?.startsWith("ERR_PARSE_ARGS") ? 2 : 1,
    );
  }
  process.stdout.write(
    `\nFunctions: ${run.host.url} (Ctrl-C to stop)\n` +
      `Admin API (/admin/*) master key, new at every start: ${run.host.masterKey}\n` +
      `  curl -H "x-functions-key: ${run.host.masterKey}" ${run.host.url}/admin/host/status\n`,
  );
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`\n${signal}: stopping the local host...\n`);
    run.host.close().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`Stopping failed: ${err instanceof Error ? err.message : String(err)}\n`);
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

if (require.main === module) void main();
