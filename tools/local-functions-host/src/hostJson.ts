import fs from "node:fs";
import path from "node:path";
import type { MessageEncoding } from "./queueMessageEncoding";

/** The parts of host.json the local host honours, with the Functions host's defaults. */
export interface HostJsonSettings {
  /** `extensions.http.routePrefix`, default "api" ("" = no prefix). */
  routePrefix: string;
  queues: {
    /** Messages fetched per poll (host default 16, at most 32). */
    batchSize: number;
    /** Failed invocations of one message before it moves to `<queue>-poison` (host default 5). */
    maxDequeueCount: number;
    /** Delay before a failed message is visible again (host default 0). */
    visibilityTimeoutMs: number;
    /** Host default 1 minute; here it caps the local host's fixed poll interval (`queuePollMs`, default 1 s). */
    maxPollingIntervalMs: number;
    messageEncoding: MessageEncoding;
  };
}

/**
 * Reads host.json, then applies app settings named `AzureFunctionsJobHost__<path>` (e.g.
 * `AzureFunctionsJobHost__extensions__queues__visibilityTimeout`), which override host.json on the real host too.
 */
export function readHostJson(appRoot: string, env: NodeJS.ProcessEnv = {}): HostJsonSettings {
  const file = path.join(appRoot, "host.json");
  let raw: unknown = {};
  if (fs.existsSync(file)) {
    try {
      raw = JSON.parse(fs.readFileSync(file, "utf8"));
    } catch (err) {
      throw new Error(`host.json: not valid JSON (${err instanceof Error ? err.message : String(err)}).`);
    }
  }
  return parseHostJson(applyHostJsonOverrides(raw, env));
}

const OVERRIDE_PREFIX = "azurefunctionsjobhost__";

export function applyHostJsonOverrides(raw: unknown, env: NodeJS.ProcessEnv): unknown {
  const root: Record<string, unknown> =
    typeof raw === "object" && raw !== null ? (structuredClone(raw) as Record<string, unknown>) : {};
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || !name.toLowerCase().startsWith(OVERRIDE_PREFIX)) continue;
    const keys = name.slice(OVERRIDE_PREFIX.length).split("__");
    let node = root;
    for (const [i, key] of keys.entries()) {
      // Configuration keys are case-insensitive on the host: reuse the spelling host.json has.
      const existing = Object.keys(node).find((k) => k.toLowerCase() === key.toLowerCase()) ?? key;
      if (i === keys.length - 1) {
        node[existing] = value;
      } else {
        if (typeof node[existing] !== "object" || node[existing] === null) node[existing] = {};
        node = node[existing] as Record<string, unknown>;
      }
    }
  }
  return root;
}

export function parseHostJson(raw: unknown): HostJsonSettings {
  const extensions = objectAt(raw, "extensions", "host.json");
  const http = objectAt(extensions, "http", "host.json extensions");
  const queues = objectAt(extensions, "queues", "host.json extensions");
  const routePrefix = http.routePrefix ?? "api";
  if (typeof routePrefix !== "string")
    throw new Error("host.json extensions.http.routePrefix: expected a string.");
  const encoding = queues.messageEncoding ?? "base64";
  if (typeof encoding !== "string" || !["base64", "none"].includes(encoding.toLowerCase())) {
    throw new Error('host.json extensions.queues.messageEncoding: expected "base64" or "none".');
  }
  return {
    routePrefix: routePrefix.replace(/^\/+|\/+$/g, ""),
    queues: {
      batchSize: intAt(queues, "batchSize", 16, 1, 32),
      maxDequeueCount: intAt(queues, "maxDequeueCount", 5, 1, 1000),
      visibilityTimeoutMs: timeSpanAt(queues, "visibilityTimeout", 0),
      maxPollingIntervalMs: timeSpanAt(queues, "maxPollingInterval", 60_000),
      messageEncoding: encoding.toLowerCase() as MessageEncoding,
    },
  };
}

function objectAt(parent: unknown, key: string, where: string): Record<string, unknown> {
  const value = (parent as Record<string, unknown> | undefined)?.[key];
  if (value === undefined || value === null) return {};
  if (typeof value !== "object" || Array.isArray(value))
    throw new Error(`${where}.${key}: expected an object.`);
  return value as Record<string, unknown>;
}

function intAt(
  obj: Record<string, unknown>,
  key: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const raw = obj[key] ?? fallback;
  // App-setting overrides arrive as strings.
  const value = typeof raw === "string" && /^\d+$/.test(raw) ? Number(raw) : raw;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw new Error(`host.json extensions.queues.${key}: expected an integer from ${min} to ${max}.`);
  }
  return value;
}

/** host.json durations are .NET TimeSpans: "hh:mm:ss" or "d.hh:mm:ss", optionally with fractions of a second. */
function timeSpanAt(obj: Record<string, unknown>, key: string, fallbackMs: number): number {
  const value = obj[key];
  if (value === undefined) return fallbackMs;
  const m =
    typeof value === "string" ? /^(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2}(?:\.\d+)?)$/.exec(value) : null;
  if (!m) throw new Error(`host.json extensions.queues.${key}: expected a TimeSpan "hh:mm:ss".`);
  const [, days, hours, minutes, seconds] = m;
  return Math.round(
    ((Number(days ?? 0) * 24 + Number(hours)) * 3600 + Number(minutes) * 60 + Number(seconds)) * 1000,
  );
}
