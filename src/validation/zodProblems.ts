import type { z } from "zod";
import type { FieldProblem } from "../errors";

// Turns zod issues into the project's `field: message` problems, with paths written the way a person reads them
// (`jobs[3].properties.state`) and messages that say what is accepted.

export function fieldPath(path: ReadonlyArray<PropertyKey>, prefix = "", rootName = "body"): string {
  let out = prefix;
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out === "" ? safeFieldName(String(part)) : `.${safeFieldName(String(part))}`;
  }
  return out === "" ? rootName : out;
}

const SAFE_NAME_MAX = 40;

/**
 * A name the caller may have invented (an unknown field or query parameter), made safe to echo: characters
 * outside `[A-Za-z0-9_.-]` become `_` and it is cut to 40 characters, so `<script>` comes back as `_script_`.
 */
export function safeFieldName(name: string): string {
  const safe = Array.from(name, (c) => (/^[A-Za-z0-9_.-]$/.test(c) ? c : "_")).join("");
  if (safe === "") return "_";
  return safe.length > SAFE_NAME_MAX ? safe.slice(0, SAFE_NAME_MAX) : safe;
}

const ARTICLE: Record<string, string> = {
  string: "a string",
  number: "a number",
  int: "an integer",
  boolean: "a boolean (true or false)",
  object: "an object",
  array: "an array",
  record: "an object",
};

function describeIssue(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case "invalid_type": {
      const expected = ARTICLE[issue.expected] ?? issue.expected;
      // zod words a missing field as "received undefined".
      if (/received undefined$/.test(issue.message)) return `is required (${expected})`;
      return `expected ${expected}`;
    }
    case "unrecognized_keys":
      return `unknown field(s) ${issue.keys.map((k) => `"${safeFieldName(k)}"`).join(", ")}`;
    case "invalid_union":
      return issue.message && issue.message !== "Invalid input"
        ? issue.message
        : "has an unaccepted value or type";
    case "invalid_value":
      return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`;
    default:
      return issue.message;
  }
}

/**
 * A union without a message of its own is explained by the alternative that got furthest into the value (e.g.
 * `throttling: {reads: {capacity: 1}}` is a bad bucket, not "not a boolean"), with that alternative's issues.
 */
function flatten(issue: z.core.$ZodIssue): Array<{ path: PropertyKey[]; issue: z.core.$ZodIssue }> {
  if (issue.code !== "invalid_union" || (issue.message && issue.message !== "Invalid input")) {
    return [{ path: issue.path, issue }];
  }
  const depth = (branch: z.core.$ZodIssue[]) => Math.max(0, ...branch.map((i) => i.path.length));
  const best = issue.errors.reduce<z.core.$ZodIssue[] | undefined>(
    (a, b) => (a === undefined || depth(b) > depth(a) ? b : a),
    undefined,
  );
  if (best === undefined || depth(best) === 0) return [{ path: issue.path, issue }];
  return best.flatMap((inner) =>
    flatten(inner).map((f) => ({ path: [...issue.path, ...f.path], issue: f.issue })),
  );
}

/** One problem per issue; `prefix` is put before every path (e.g. `seed`); `rootName` names the whole value. */
export function zodProblems(error: z.ZodError, prefix = "", rootName = "body"): FieldProblem[] {
  return error.issues.flatMap(flatten).flatMap(({ path, issue }) =>
    // An unknown field is named itself, so the caller sees which one to remove.
    issue.code === "unrecognized_keys"
      ? issue.keys.map((key) => ({
          field: fieldPath([...path, key], prefix, rootName),
          message: "is not an accepted field",
        }))
      : [{ field: fieldPath(path, prefix, rootName), message: describeIssue(issue) }],
  );
}
