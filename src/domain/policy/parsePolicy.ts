import YAML from "yaml";
import type { z } from "zod";
import { ValidationError, type FieldProblem } from "../../errors";
import { JOB_SOURCES, type JobSource } from "../job";
import { anyStateName, serviceAllows, sourceHasState, statesAllowing } from "../jobStates";
import { OBJECT_FIELDS, policySchema, type Policy } from "./schema";

export interface PolicySource {
  /** Default: from `name`'s extension (.json, .yaml, .yml), else JSON when the text starts with `{`, else YAML. */
  format?: "json" | "yaml";
  /** File name or setting the text came from, for messages. */
  name?: string;
}

/** Policies are a few kilobytes; anything far larger is a mistake (or an attack on the parser). */
export const MAX_POLICY_BYTES = 1024 * 1024;

/**
 * Parses and validates a policy document (JSON or YAML) into the effective policy. Throws ValidationError
 * listing every problem by path, e.g. `rules[1].action: cancel is not allowed in state Packaging`.
 */
export function parsePolicy(text: string, source: PolicySource = {}): Policy {
  const label = source.name ?? "policy";
  if (Buffer.byteLength(text, "utf8") > MAX_POLICY_BYTES) {
    throw invalid(label, [{ field: "policy", message: `is larger than ${MAX_POLICY_BYTES} bytes` }]);
  }
  const raw = readDocument(text, formatOf(text, source), label);
  return validatePolicy(raw, label);
}

/** Validates an already-parsed document (an object from JSON or YAML, or one built in code). */
export function validatePolicy(raw: unknown, label = "policy"): Policy {
  const result = policySchema.safeParse(raw);
  const problems = [...(result.success ? [] : result.error.issues.flatMap((i) => describeIssue(i, raw)))];
  // The service-rule and duplicate-name checks read the raw document so they are reported even when other
  // fields are wrong: an operator fixing a policy should see every problem at once.
  problems.push(...serviceRuleProblems(raw), ...duplicateNameProblems(raw));
  if (problems.length > 0 || !result.success) throw invalid(label, dedupe(problems));
  return result.data;
}

function invalid(label: string, problems: FieldProblem[]): ValidationError {
  const list = problems.map((p) => `${p.field}: ${p.message}`).join("; ");
  return new ValidationError(problems, `invalid policy (${label}): ${list}`);
}

function formatOf(text: string, source: PolicySource): "json" | "yaml" {
  if (source.format) return source.format;
  const name = source.name?.toLowerCase() ?? "";
  if (name.endsWith(".json")) return "json";
  if (name.endsWith(".yaml") || name.endsWith(".yml")) return "yaml";
  return text.trimStart().startsWith("{") ? "json" : "yaml";
}

function readDocument(text: string, format: "json" | "yaml", label: string): unknown {
  if (text.trim() === "") throw invalid(label, [{ field: "policy", message: "is empty" }]);
  if (format === "json") {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      throw invalid(label, [{ field: "policy", message: `is not valid JSON: ${(err as Error).message}` }]);
    }
    // JSON.parse silently keeps the last of two equal keys (a second "rules" would hide the first): refuse it.
    const duplicates = YAML.parseDocument(text, { schema: "json", uniqueKeys: true }).errors.filter(
      (e) => e.code === "DUPLICATE_KEY",
    );
    if (duplicates.length > 0) {
      throw invalid(
        label,
        duplicates.map((e) => ({
          field: "policy",
          message: `has a duplicate key ${yamlErrorPlace(e.message)}`,
        })),
      );
    }
    return value;
  }
  const doc = YAML.parseDocument(text, { uniqueKeys: true, prettyErrors: true });
  if (doc.errors.length > 0) {
    throw invalid(
      label,
      doc.errors.map((e) => ({ field: "policy", message: `is not valid YAML: ${yamlErrorText(e.message)}` })),
    );
  }
  return doc.toJS({ maxAliasCount: 100 });
}

/** The yaml library's first line, e.g. `Map keys must be unique at line 3, column 1` (no source excerpt). */
function yamlErrorText(message: string): string {
  return message.split("\n")[0]!.replace(/:$/, "").trim();
}

function yamlErrorPlace(message: string): string {
  return yamlErrorText(message).replace(/^Map keys must be unique\s*/, "");
}

/** `["rules", 1, "action"]` -> `rules[1].action`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out === "" ? String(part) : `.${String(part)}`;
  }
  return out === "" ? "policy" : out;
}

function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
  let current = raw;
  for (const part of path) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<PropertyKey, unknown>)[part];
  }
  return current;
}

function describeValue(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "string")
    return `the string "${value.length > 40 ? `${value.slice(0, 40)}...` : value}"`;
  if (typeof value === "object") return "an object";
  return `${typeof value} ${String(value)}`;
}

/** Which object of the document a path points into, for listing its accepted fields. */
function objectKind(path: readonly PropertyKey[]): keyof typeof OBJECT_FIELDS | undefined {
  if (path.length === 0) return "policy";
  if (path[0] === "rules" && path.length === 2) return "rule";
  if (path.length === 1 && typeof path[0] === "string" && path[0] in OBJECT_FIELDS) {
    return path[0] as keyof typeof OBJECT_FIELDS;
  }
  return undefined;
}

function describeIssue(zodIssue: z.core.$ZodIssue, raw: unknown): FieldProblem[] {
  // Every field has its own message; zod's generic one ("Invalid input: expected object, received string") is
  // only a fallback, reworded to match ("must be object").
  const issue = {
    ...zodIssue,
    message: zodIssue.message.replace(/^Invalid input: expected (\w+).*$/, "must be $1"),
  };
  const field = formatPath(issue.path);
  if (issue.code === "unrecognized_keys") {
    const kind = objectKind(issue.path);
    const accepted = kind ? `; accepted: ${OBJECT_FIELDS[kind].join(", ")}` : "";
    return issue.keys.map((key) => ({
      field: formatPath([...issue.path, key]),
      message: `unknown field${accepted}`,
    }));
  }
  const value = valueAt(raw, issue.path);
  if (
    value === undefined &&
    issue.path.length > 0 &&
    (issue.code === "invalid_type" || issue.code === "invalid_value")
  ) {
    return [{ field, message: `is required (${issue.message})` }];
  }
  const scalar = value === null || typeof value !== "object";
  if (issue.code === "invalid_type" || (issue.code !== "custom" && scalar)) {
    return [{ field, message: `${issue.message}, got ${describeValue(value)}` }];
  }
  return [{ field, message: issue.message }];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function rawRules(raw: unknown): unknown[] {
  return isRecord(raw) && Array.isArray(raw.rules) ? raw.rules : [];
}

/**
 * A rule whose action a source's table never allows in one of its states is refused (docs/service.md#state-rules,
 * #data-box-jobs): for each source the rule covers that has the state. A state none of the rule's sources has is
 * refused too (it could never match).
 */
function serviceRuleProblems(raw: unknown): FieldProblem[] {
  const closedCountsAsCompleted =
    isRecord(raw) && isRecord(raw.guards) && raw.guards.closedCountsAsCompleted === true;
  const options = { closedCountsAsCompleted };
  const problems: FieldProblem[] = [];
  rawRules(raw).forEach((rule, i) => {
    if (!isRecord(rule) || !Array.isArray(rule.states)) return;
    const action = rule.action;
    if (action !== "delete" && action !== "cancel") return;
    const sources = ruleSources(rule.sources);
    for (const rawState of rule.states) {
      const state = typeof rawState === "string" ? anyStateName(rawState) : undefined;
      if (state === undefined) continue; // unknown names: reported by the schema
      const having = sources.filter((source) => sourceHasState(source, state));
      if (having.length === 0) {
        problems.push({
          field: `rules[${i}].states`,
          message: `${state} is not a state of ${sources.join(" or ")} jobs, so the rule could never match it`,
        });
        continue;
      }
      for (const source of having) {
        if (serviceAllows(action, state, options, source)) continue;
        const allowed = statesAllowing(action, options, source);
        const hint =
          source === "importexport" && state === "Closed" && action === "delete"
            ? " unless guards.closedCountsAsCompleted is true"
            : ` (${action} is allowed only in ${allowed.length ? allowed.join(", ") : "no state"})`;
        problems.push({
          field: `rules[${i}].action`,
          message: `${action} is not allowed in state ${state}${having.length > 1 || source === "databox" ? ` of ${source} jobs` : ""}${hint}`,
        });
      }
    }
  });
  return problems;
}

/** The rule's `sources` as written, when valid (the schema reports anything else); every source otherwise. */
function ruleSources(raw: unknown): JobSource[] {
  if (!Array.isArray(raw)) return [...JOB_SOURCES];
  const named = JOB_SOURCES.filter((source) =>
    raw.some((s) => typeof s === "string" && s.trim().toLowerCase() === source),
  );
  return named.length > 0 ? named : [...JOB_SOURCES];
}

function duplicateNameProblems(raw: unknown): FieldProblem[] {
  const firstIndex = new Map<string, number>();
  const problems: FieldProblem[] = [];
  rawRules(raw).forEach((rule, i) => {
    if (!isRecord(rule) || typeof rule.name !== "string") return;
    const key = rule.name.toLowerCase();
    const first = firstIndex.get(key);
    if (first === undefined) firstIndex.set(key, i);
    else
      problems.push({
        field: `rules[${i}].name`,
        message: `duplicate rule name "${rule.name}" (see rules[${first}])`,
      });
  });
  return problems;
}

function dedupe(problems: FieldProblem[]): FieldProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.field}\u0000${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
