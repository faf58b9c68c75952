// `ie-janitor emulator [--port N] [--seed FILE|demo] [--cert-dir DIR]` (tools/emulator/README.md): runs the local
// Import/Export emulator, prints one JSON line `{"endpoint","caCertPath","controlUrl"}` on stdout, and runs until
// SIGINT or SIGTERM. Development tool. Its CA goes to a fixed place (default `.janitor/emulator/ca.pem`, which
// local.settings.example.json names), so `func start` needs no edit after each start.
import path from "node:path";
import { readFile } from "node:fs/promises";
import { ValidationError } from "../../errors";
import { loadEmulator, type EmulatorSeed } from "../devTools";
import { EXIT, type CliIO } from "../io";

export interface EmulatorCommandFlags {
  port?: string;
  seed?: string;
  /** Where `ca.pem` is written, relative to the working directory. */
  certDir?: string;
}

export const DEFAULT_CERT_DIR = path.join(".janitor", "emulator");

function parsePort(text: string | undefined): number | string {
  if (text === undefined) return 0;
  if (!/^\d{1,5}$/.test(text) || Number(text) > 65535) {
    return `--port: expected a whole number from 0 to 65535 (0 = a free port), got "${text}"`;
  }
  return Number(text);
}

async function loadSeed(
  text: string | undefined,
  parseSeed: (input: unknown) => EmulatorSeed,
): Promise<EmulatorSeed | "demo" | undefined | { error: string }> {
  if (text === undefined || text === "demo") return text;
  let raw: string;
  try {
    raw = await readFile(text, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "unreadable";
    return {
      error: `--seed: cannot read the seed file "${text}" (${code}); give a JSON seed file or "demo"`,
    };
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (error) {
    return {
      error: `--seed: "${text}" is not valid JSON (${(error as Error).message}); expected a JSON seed file`,
    };
  }
  try {
    return parseSeed(json);
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    const lines = error.problems.map((p) => `  ${p.field}: ${p.message}`).join("\n");
    return { error: `--seed: "${text}" is not a valid seed:\n${lines}` };
  }
}

/** Resolves when the process gets SIGINT or SIGTERM, or `stop` aborts (for in-process tests). */
function untilStopped(stop?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      process.off("SIGINT", done);
      process.off("SIGTERM", done);
      stop?.removeEventListener("abort", done);
      resolve();
    };
    process.once("SIGINT", done);
    process.once("SIGTERM", done);
    if (stop?.aborted) done();
    else stop?.addEventListener("abort", done);
  });
}

export async function runEmulatorCommand(
  flags: EmulatorCommandFlags,
  io: CliIO,
  stop?: AbortSignal,
): Promise<number> {
  const port = parsePort(flags.port);
  if (typeof port === "string") {
    io.stderr(`${port}\n`);
    return EXIT.usage;
  }
  const { parseSeed, startEmulator } = await loadEmulator();
  const seed = await loadSeed(flags.seed, parseSeed);
  if (seed !== undefined && seed !== "demo" && "error" in seed) {
    io.stderr(`${seed.error}\n`);
    return EXIT.usage;
  }
  let emulator;
  try {
    emulator = await startEmulator({
      port,
      seed: seed as EmulatorSeed | "demo" | undefined,
      certDir: path.resolve(flags.certDir ?? DEFAULT_CERT_DIR),
    });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EADDRINUSE" || code === "EACCES") {
      io.stderr(
        `--port: cannot listen on 127.0.0.1:${port} (${code}); choose another port or 0 for a free one\n`,
      );
      return EXIT.usage;
    }
    throw error;
  }
  io.stdout(
    JSON.stringify({
      endpoint: emulator.endpoint,
      caCertPath: emulator.caCertPath,
      controlUrl: emulator.controlUrl,
    }) + "\n",
  );
  io.stderr(
    `Import/Export emulator at ${emulator.endpoint} (control API ${emulator.controlUrl}), ` +
      `${seed === undefined ? "no seed (empty; --seed demo for sample data)" : seed === "demo" ? "demo seed" : `seed ${flags.seed}`}. ` +
      "Trust its certificate with JANITOR_ARM_CA_CERT or NODE_EXTRA_CA_CERTS. Ctrl+C stops it.\n",
  );
  await untilStopped(stop);
  await emulator.close();
  return EXIT.done;
}
