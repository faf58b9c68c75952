// Field readers shared by the wire readers of both job sources (jobFromWire.ts, dataBoxJobFromWire.ts): each
// takes a raw JSON value and keeps it only when it is what the janitor may rely on.
import { parseRfc3339 } from "../../domain/rfc3339";
import type { JobSnapshot } from "../../domain/job";
import type { MalformedJob } from "../../engine/ports";
import { isObject } from "./armResponse";

export type WireJob = { ok: true; job: JobSnapshot } | { ok: false; malformed: MalformedJob };

/** A job that cannot be trusted, named by whatever id and name it had. */
export function badJob(who: { id?: string; name?: string }, reason: string): WireJob {
  return { ok: false, malformed: { ...who, reason } };
}

export function nonEmptyString(value: unknown): string | undefined {
  return typeof value === "string" && value.trim() !== "" ? value : undefined;
}

/**
 * A timestamp as sent when it is an RFC 3339 date-time with an offset (the only kind that counts as age
 * evidence); anything else (the Import/Export spec's own examples show `"9/29/2017 10:28:35 PM"`) is absent.
 */
export function wireTimestamp(value: unknown): string | undefined {
  return parseRfc3339(value) === undefined ? undefined : (value as string);
}

/** Tags as strings; numbers and booleans are stringified (an exemption tag must not be lost), others dropped. */
export function readTags(value: unknown): Record<string, string> {
  const tags: Record<string, string> = {};
  if (!isObject(value)) return tags;
  for (const [key, tag] of Object.entries(value)) {
    if (typeof tag === "string") tags[key] = tag;
    else if (typeof tag === "number" || typeof tag === "boolean") tags[key] = String(tag);
  }
  return tags;
}
