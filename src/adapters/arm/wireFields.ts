// Field readers shared by the wire readers of both job sources (jobFromWire.ts, dataBoxJobFromWire.ts): each
// takes a raw JSON value and keeps it only when it is what the janitor may rely on.
import { parseDataBoxJobResourceId, parseJobResourceId, type JobResourceId } from "../../domain/armIds";
import { parseRfc3339 } from "../../domain/rfc3339";
import type { JobSnapshot, JobSource } from "../../domain/job";
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

/** What both readers check first: a job of `source` with an id, a matching name, properties and a state. */
export type JobEnvelope =
  | {
      ok: true;
      id: string;
      name: string;
      parsed: JobResourceId;
      properties: Record<string, unknown>;
      state: string;
      systemData: Record<string, unknown>;
    }
  | { ok: false; malformed: MalformedJob };

const ENVELOPE = {
  importexport: { parse: parseJobResourceId, type: "Microsoft.ImportExport/jobs", stateField: "state" },
  databox: { parse: parseDataBoxJobResourceId, type: "Microsoft.DataBox/jobs", stateField: "status" },
} as const;

/**
 * The parts of a job body that cannot be trusted when missing or odd: no id of the source's type, a name that is
 * not the id's, no properties, no string state (Data Box: `status`). Anything of them wrong is malformed.
 */
export function readJobEnvelope(raw: unknown, source: JobSource): JobEnvelope {
  const rules = ENVELOPE[source];
  const bad = (who: { id?: string; name?: string }, reason: string): JobEnvelope => ({
    ok: false,
    malformed: { ...who, reason },
  });
  if (!isObject(raw)) return bad({}, "job is not a JSON object");
  const id = nonEmptyString(raw.id);
  const name = nonEmptyString(raw.name);
  const who = { ...(id && { id }), ...(name && { name }) };
  if (!id) return bad(who, "job has no id");
  if (!name) return bad(who, "job has no name");
  const parsed = rules.parse(id);
  if (!parsed) return bad(who, `id is not a ${rules.type} resource id`);
  if (parsed.name.toLowerCase() !== name.toLowerCase()) return bad(who, "name does not match the id");
  const properties = isObject(raw.properties) ? raw.properties : undefined;
  if (!properties) return bad(who, "job has no properties");
  const state = nonEmptyString(properties[rules.stateField]);
  if (!state) return bad(who, `job has no properties.${rules.stateField}`);
  const systemData = isObject(raw.systemData) ? raw.systemData : {};
  return { ok: true, id, name, parsed, properties, state, systemData };
}
