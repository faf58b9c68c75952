import path from "node:path";
import { startEmulator, type RunningEmulator } from "../../emulator/src/server";
import { startAzurite, type AzuriteProcess } from "./azuriteProcess";
import { startLocalHost, type LocalHost } from "./host";
import { localAppSettings } from "./localAppSettings";

// What `npm start` runs (after `npm run build`): Azurite with its data in `.azurite/`, the Import/Export emulator
// with the demo seed, and the app on the local Functions host, wired together by `localAppSettings`; a first sweep
// (plan mode by default) shortly after start; Ctrl-C stops all of it.

export interface LocalStackOptions {
  /** The Functions app's folder (package.json `main`, host.json); default the current folder. */
  appRoot?: string;
  /** Default `PORT` or 7071; 0 = any free port. */
  port?: number;
  /** Azurite's data folder; default `<appRoot>/.azurite` (git-ignored); null = in memory. */
  azuriteLocation?: string | null;
  /** The timer function invoked once after start, through the admin API; default `scheduledSweep`. */
  firstSweepFunction?: string;
  /** Default 2 s; negative = no first sweep. */
  firstSweepDelayMs?: number;
  /** Host log lines; default the console. */
  log?: Parameters<typeof startLocalHost>[0]["log"];
}

export interface LocalStack {
  host: LocalHost;
  azurite: AzuriteProcess;
  emulator: RunningEmulator;
  settings: Record<string, string>;
  /** Resolves when the first sweep was accepted (or at once when there is none). */
  firstSweep: Promise<void>;
  stop(): Promise<void>;
}

export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const appRoot = path.resolve(options.appRoot ?? process.cwd());
  const stops: (() => Promise<void>)[] = [];
  let stopping: Promise<void> | undefined;
  const stop = () => {
    // Last started, first stopped: the host drains its invocations while storage and ARM are still up.
    stopping ??= (async () => {
      for (const step of stops.splice(0).reverse()) {
        await step().catch((err: unknown) => process.stderr.write(`Stopping: ${describe(err)}\n`));
      }
    })();
    return stopping;
  };
  try {
    const location =
      options.azuriteLocation === undefined ? path.join(appRoot, ".azurite") : options.azuriteLocation;
    const azurite = await startAzurite(location ? { location } : {});
    stops.push(() => azurite.stop());
    const emulator = await startEmulator({ port: 0, seed: "demo" });
    stops.push(() => emulator.close());
    const settings = localAppSettings({
      storageConnectionString: azurite.connectionString,
      armEndpoint: emulator.endpoint,
      armCaCertPath: emulator.caCertPath,
    });
    const port = options.port ?? (process.env.PORT ? Number(process.env.PORT) : 7071);
    const host = await startLocalHost({ appRoot, port, env: settings, log: options.log });
    stops.push(() => host.close());

    const sweepName = options.firstSweepFunction ?? "scheduledSweep";
    const delay = options.firstSweepDelayMs ?? 2_000;
    const registered = host.registrations.some((r) => r.name === sweepName && !r.disabled && !r.error);
    const firstSweep =
      registered && delay >= 0
        ? startFirstSweep(host.url, host.masterKey, sweepName, delay, () => stopping !== undefined)
        : Promise.resolve();
    return { host, azurite, emulator, settings, firstSweep, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Invokes the timer function like an operator would on the real host: POST /admin/functions/{name}. */
async function startFirstSweep(
  url: string,
  masterKey: string,
  name: string,
  delayMs: number,
  stopped: () => boolean,
): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, delayMs).unref());
  if (stopped()) return;
  const res = await fetch(`${url}/admin/functions/${encodeURIComponent(name)}`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-functions-key": masterKey },
    body: JSON.stringify({ input: "" }),
  });
  if (res.status !== 202) throw new Error(`The first sweep was not accepted: HTTP ${res.status}.`);
}

export function banner(stack: LocalStack): string {
  const api = `http://localhost:${stack.host.port}/api`;
  const to = new Date(Date.now() + 3_600_000).toISOString().replace(/\.\d+Z$/, "Z");
  const from = new Date(Date.now() - 86_400_000).toISOString().replace(/\.\d+Z$/, "Z");
  const s = stack.settings;
  return [
    "",
    "importexport-janitor is running locally",
    `  Functions  ${api}  (${stack.host.registrations.length} functions; function keys are not checked locally)`,
    `  Dashboard  ${api}/ui  (open on loopback, JANITOR_UI_LOCAL=${s.JANITOR_UI_LOCAL ?? "off"})`,
    `  Azurite    queue 127.0.0.1:${stack.azurite.queuePort}, table 127.0.0.1:${stack.azurite.tablePort}, blob 127.0.0.1:${stack.azurite.blobPort}`,
    `  Emulator   ${stack.emulator.endpoint} (Import/Export ARM API, demo seed; control API ${stack.emulator.controlUrl})`,
    `  Mode ${s.JANITOR_MODE}, schedule "${s.JANITOR_SCHEDULE}" (UTC); a first sweep starts in a moment.`,
    "",
    "Try:",
    `  curl ${api}/health`,
    `  curl -X POST ${api}/runs -H "content-type: application/json" -d '{"mode":"plan"}'`,
    `  curl ${api}/runs`,
    `  curl "${api}/audit?from=${from}&to=${to}"`,
    `  curl "${api}/audit?from=${from}&to=${to}&format=csv"`,
    "",
    "The host's admin API needs its master key (a new one at every start):",
    `  curl -H "x-functions-key: ${stack.host.masterKey}" http://localhost:${stack.host.port}/admin/host/status`,
    `  curl -X POST -H "x-functions-key: ${stack.host.masterKey}" -H "content-type: application/json" -d '{"input":""}' http://localhost:${stack.host.port}/admin/functions/scheduledSweep`,
    "",
    "Ctrl-C stops everything.",
    "",
  ].join("\n");
}

async function main(): Promise<void> {
  let stack: LocalStack;
  try {
    // LOCAL_AZURITE_LOCATION: another data folder, or "memory" (tests use it to leave .azurite/ alone).
    const location = process.env.LOCAL_AZURITE_LOCATION;
    stack = await startLocalStack({ azuriteLocation: location === "memory" ? null : location });
  } catch (err) {
    process.stderr.write(`npm start failed: ${describe(err)}\n`);
    process.exit(1);
  }
  process.stdout.write(banner(stack));
  stack.firstSweep.then(
    () => process.stdout.write(`First sweep started: curl http://localhost:${stack.host.port}/api/runs\n`),
    (err: unknown) => process.stderr.write(`First sweep: ${describe(err)}\n`),
  );

  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      process.stderr.write("Stopping now.\n");
      process.exit(130);
    }
    stopping = true;
    process.stderr.write(`\n${signal}: stopping the host, the emulator and Azurite...\n`);
    stack.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  process.on("SIGHUP", onSignal);
  // Whatever ends this process, Azurite (a child process) must not outlive it: stop() signals it synchronously.
  process.on("exit", () => void stack.azurite.stop());
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

if (require.main === module) void main();
