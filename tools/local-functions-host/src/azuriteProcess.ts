import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { developmentStorageConnectionString } from "../../../src/adapters/storage/developmentStorage";

/** A running Azurite (Blob, Queue, Table) child process on free loopback ports. */
export interface AzuriteProcess {
  connectionString: string;
  blobPort: number;
  queuePort: number;
  tablePort: number;
  /** The Azurite process's id (benchmarks read its CPU time). */
  pid?: number;
  stop(): Promise<void>;
}

export interface AzuriteOptions {
  /** Folder for persisted data; omitted = in memory (tests). */
  location?: string;
  /** Fixed ports; 0 or omitted = any free port. */
  blobPort?: number;
  queuePort?: number;
  tablePort?: number;
}

/** Azurite's connection string for the given ports (the development account). */
export const azuriteConnectionString = developmentStorageConnectionString;

/** Starts Azurite from the project's own dependency and resolves once all three services listen. */
export async function startAzurite(options: AzuriteOptions = {}): Promise<AzuriteProcess> {
  const script = require.resolve("azurite/dist/src/azurite.js");
  const args = [
    script,
    "--silent",
    "--disableTelemetry",
    "--skipApiVersionCheck",
    "--disableProductStyleUrl",
    "--blobHost",
    "127.0.0.1",
    "--queueHost",
    "127.0.0.1",
    "--tableHost",
    "127.0.0.1",
    "--blobPort",
    String(options.blobPort ?? 0),
    "--queuePort",
    String(options.queuePort ?? 0),
    "--tablePort",
    String(options.tablePort ?? 0),
  ];
  if (options.location) args.push("--location", path.resolve(options.location));
  else args.push("--inMemoryPersistence");

  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
  const ports = await waitForPorts(child);
  return {
    ...ports,
    connectionString: azuriteConnectionString(ports),
    ...(child.pid !== undefined && { pid: child.pid }),
    stop: () => stopChild(child),
  };
}

function waitForPorts(
  child: ChildProcess,
): Promise<{ blobPort: number; queuePort: number; tablePort: number }> {
  return new Promise((resolve, reject) => {
    const found: Record<string, number> = {};
    let output = "";
    const timer = setTimeout(
      () => fail(new Error(`Azurite did not start within 20 s: ${output.slice(-500)}`)),
      20_000,
    );
    const fail = (err: Error) => {
      clearTimeout(timer);
      child.kill("SIGKILL");
      reject(err);
    };
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      for (const m of output.matchAll(
        /Azurite (Blob|Queue|Table) service is successfully listening at http:\/\/[^:]+:(\d+)/g,
      )) {
        found[m[1]!.toLowerCase()] = Number(m[2]);
      }
      if (found.blob && found.queue && found.table) {
        clearTimeout(timer);
        child.stdout?.off("data", onData);
        resolve({ blobPort: found.blob, queuePort: found.queue, tablePort: found.table });
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", (c: Buffer) => (output += c.toString()));
    child.once("exit", (code) => fail(new Error(`Azurite exited with code ${code}: ${output.slice(-500)}`)));
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill("SIGTERM");
  });
}
