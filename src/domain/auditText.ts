// Making any value safe for an audit entry. Values come from the service (states, names, types) and from
// callers (principal names); none of them may stop a run, so they are cleaned, never refused.
import type { AuditEntry } from "./records";

/** Length limits of the audit entry's text fields: generous for real values, small enough to bound rows and keys. */
export const AUDIT_TEXT_LIMITS = {
  actor: 256,
  subscriptionId: 64,
  resourceGroup: 90,
  jobName: 128,
  jobId: 400,
  jobType: 64,
  stateBefore: 64,
  rule: 128,
  errorCode: 128,
  stateAfter: 64,
  policyHash: 128,
  planId: 64,
  approvedBy: 256,
  comment: 500,
} as const satisfies Partial<Record<keyof AuditEntry, number>>;

export const ERROR_MESSAGE_MAX = 256;

// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * `value` without control characters (replaced by `replacement`) or lone surrogates (U+FFFD), cut to `max`
 * UTF-16 units on a code point boundary (a pair is never split). Empty when nothing printable is left.
 */
export function cleanText(value: string, max: number, replacement = ""): string {
  const text = value.replace(CONTROL_CHARS, replacement).replace(LONE_SURROGATE, "\uFFFD");
  return cutAtCodePoint(replacement ? text.trim() : text, max);
}

/** At most `max` UTF-16 units, never ending inside a surrogate pair. */
export function cutAtCodePoint(text: string, max: number): string {
  if (text.length <= max) return text;
  const high = text.charCodeAt(max - 1);
  return text.slice(0, high >= 0xd800 && high <= 0xdbff ? max - 1 : max);
}

/** Fields without which an entry means nothing: an emptied value is replaced by a visible placeholder. */
const REQUIRED_TEXT = new Set<string>(["actor", "subscriptionId", "policyHash"]);

/**
 * The entry with every text field cleaned to what the audit store accepts: control characters removed, cut on a
 * code point boundary, an emptied optional field dropped. `errorMessage` keeps one line of at most 256 characters.
 */
export function auditSafe(entry: AuditEntry): AuditEntry {
  const out: Record<string, unknown> = { ...entry };
  for (const [field, max] of Object.entries(AUDIT_TEXT_LIMITS)) {
    const value = out[field];
    if (value === undefined) continue;
    const cleaned = cleanText(String(value), max);
    if (cleaned !== "") out[field] = cleaned;
    else if (REQUIRED_TEXT.has(field)) out[field] = "?";
    else delete out[field];
  }
  if (out.errorMessage !== undefined) {
    const line = cleanText(String(out.errorMessage), ERROR_MESSAGE_MAX, " ");
    if (line === "") delete out.errorMessage;
    else
      out.errorMessage =
        String(out.errorMessage).length > ERROR_MESSAGE_MAX && line.length === ERROR_MESSAGE_MAX
          ? `${cutAtCodePoint(line, ERROR_MESSAGE_MAX - 3)}...`
          : line;
  }
  return out as unknown as AuditEntry;
}
