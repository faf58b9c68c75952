// `JANITOR_NOTIFY`: where notifications go (docs/operations.md#notifications). A JSON array of targets, kept in
// an app setting (or a Key Vault reference) rather than the policy, because it holds webhook URLs and secrets.
import { z } from "zod";
import { ValidationError, type FieldProblem } from "../../errors";
import { fieldPath, zodProblems } from "../../validation/zodProblems";
import { isIpLiteral, isLoopbackHost, isPrivateAddress } from "./addressRules";

export const NOTIFY_FORMATS = ["generic", "teams", "slack"] as const;
export type NotifyFormat = (typeof NOTIFY_FORMATS)[number];

export const NOTIFY_EVENTS = [
  "upcoming",
  "plan-awaiting-approval",
  "run-finished",
  "run-failed",
  "breaker-tripped",
  "action-failed",
] as const;
export type NotifyEventType = (typeof NOTIFY_EVENTS)[number];

const targetSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, "use 1-64 letters, digits, '.', '_' or '-'"),
    url: z.string().min(1).max(2048),
    secret: z.string().min(16, "use at least 16 characters").max(512).optional(),
    format: z.enum(NOTIFY_FORMATS),
    events: z.array(z.enum(NOTIFY_EVENTS)).min(1, "name at least one event"),
    ownerTag: z.string().min(1).max(512).optional(),
    allowPrivate: z.boolean().optional(),
  })
  .strict();

export type NotifyTarget = z.infer<typeof targetSchema>;

export const NOTIFY_SETTING = "JANITOR_NOTIFY";

/**
 * Reads `JANITOR_NOTIFY` (unset or empty: no targets). Every problem names the setting, the target (by index
 * and name) and the field, e.g. `JANITOR_NOTIFY[1] "ops".url: must be https`. Secrets are never echoed.
 */
export function parseNotifyTargets(text: string | undefined): NotifyTarget[] {
  if (text === undefined || text.trim() === "") return [];
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw problems([{ field: NOTIFY_SETTING, message: "is not valid JSON; use a JSON array of targets" }]);
  }
  if (!Array.isArray(raw))
    throw problems([
      { field: NOTIFY_SETTING, message: 'must be a JSON array: [{"name","url","format","events"}]' },
    ]);
  const found: FieldProblem[] = [];
  const targets: NotifyTarget[] = [];
  const names = new Set<string>();
  raw.forEach((item, i) => {
    const label = targetLabel(i, item);
    const parsed = targetSchema.safeParse(item);
    if (!parsed.success) {
      found.push(...zodProblems(parsed.error, label, label));
      return;
    }
    const target = parsed.data;
    const urlProblem = checkTargetUrl(target.url, target.allowPrivate === true);
    if (urlProblem) found.push({ field: fieldPath(["url"], label), message: urlProblem });
    if (names.has(target.name))
      found.push({ field: fieldPath(["name"], label), message: "is used by another target" });
    names.add(target.name);
    targets.push(target);
  });
  if (found.length > 0) throw problems(found);
  return targets;
}

/**
 * What is wrong with a target URL before any DNS lookup: https only (http only to loopback, for local
 * receivers); no credentials in it; an IP literal in a private, loopback or link-local range needs
 * `allowPrivate`. Names are checked again when a notification is delivered, against what they resolve to.
 */
export function checkTargetUrl(text: string, allowPrivate: boolean): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return "is not a URL";
  }
  if (url.username || url.password) return "must not carry a user name or password; use secret";
  const loopback = isLoopbackHost(url.hostname);
  if (url.protocol === "http:") {
    if (!loopback) return "must be https (http is accepted only to a loopback address, for local use)";
  } else if (url.protocol !== "https:") return "must be https";
  if (!allowPrivate && (loopback || (isIpLiteral(url.hostname) && isPrivateAddress(url.hostname))))
    return 'is a private, loopback or link-local address; set "allowPrivate": true to allow it';
  return undefined;
}

/** `JANITOR_NOTIFY[0] "ops"`: the index always, the name when it is a short safe string. */
function targetLabel(index: number, item: unknown): string {
  const name = (item as { name?: unknown } | null)?.name;
  const safe = typeof name === "string" && /^[A-Za-z0-9._-]{1,64}$/.test(name);
  return `${NOTIFY_SETTING}[${index}]${safe ? ` "${name}"` : ""}`;
}

function problems(found: FieldProblem[]): ValidationError {
  return new ValidationError(found);
}
