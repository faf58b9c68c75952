import { fieldPath } from "./zodProblems";

// Strict JSON for request bodies: UTF-8 only (a broken byte is refused, not turned into U+FFFD), no duplicate keys
// (JSON.parse keeps the last one silently: {"mode":"apply","mode":"plan"} would be read as plan), and no lone
// UTF-16 surrogates from "\ud800" escapes (they cannot be stored and break every later write of the value).

export class StrictJsonError extends Error {
  override name = "StrictJsonError";
  constructor(
    /** Where: `body` for the whole document, else the path of the offending value (`reason`, `a.b[2]`). */
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

const utf8 = new TextDecoder("utf-8", { fatal: true });
const LONE_SURROGATE = /\p{Cs}/u;

/** Decodes and parses a request body, or throws StrictJsonError saying what is wrong and where. */
export function parseStrictJson(bytes: Uint8Array): unknown {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw new StrictJsonError("body", "is not valid UTF-8");
  }
  if (text.trim() === "") throw new StrictJsonError("body", "a JSON document is required");
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new StrictJsonError("body", "is not valid JSON");
  }
  const duplicate = findDuplicateKey(text);
  if (duplicate) throw new StrictJsonError(fieldPath(duplicate), "is given more than once");
  const broken = findLoneSurrogate(value, []);
  if (broken)
    throw new StrictJsonError(fieldPath(broken), "contains a lone UTF-16 surrogate (broken Unicode)");
  return value;
}

type Frame =
  | { kind: "object"; keys: Set<string>; key: string | undefined; expectKey: boolean }
  | { kind: "array"; index: number };

/**
 * The path of the first repeated key, or undefined. Keys are compared decoded, so "mode" and "mo\u0064e" are the
 * same key.
 */
// A scanner over text JSON.parse already accepted (it only tracks nesting and keys) rather than a second JSON
// parser as a dependency: JSON.parse stays the one parser, and this is 30 lines with a test per case.
export function findDuplicateKey(text: string): PropertyKey[] | undefined {
  const stack: Frame[] = [];
  const path = (): PropertyKey[] =>
    stack.flatMap((f): PropertyKey[] =>
      f.kind === "array" ? [f.index] : f.key === undefined ? [] : [f.key],
    );
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    const top = stack.at(-1);
    if (c === '"') {
      let end = i + 1;
      while (text[end] !== '"') end += text[end] === "\\" ? 2 : 1;
      if (top?.kind === "object" && top.expectKey) {
        const key = JSON.parse(text.slice(i, end + 1)) as string;
        if (top.keys.has(key)) {
          top.key = key;
          return path();
        }
        top.keys.add(key);
        top.key = key;
        top.expectKey = false;
      }
      i = end;
    } else if (c === "{") stack.push({ kind: "object", keys: new Set(), key: undefined, expectKey: true });
    else if (c === "[") stack.push({ kind: "array", index: 0 });
    else if (c === "}" || c === "]") stack.pop();
    else if (c === ",") {
      if (top?.kind === "object") top.expectKey = true;
      else if (top?.kind === "array") top.index++;
    }
  }
  return undefined;
}

function findLoneSurrogate(value: unknown, at: PropertyKey[]): PropertyKey[] | undefined {
  if (typeof value === "string") return LONE_SURROGATE.test(value) ? at : undefined;
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) {
      const found = findLoneSurrogate(item, [...at, i]);
      if (found) return found;
    }
    return undefined;
  }
  if (value !== null && typeof value === "object") {
    for (const [key, item] of Object.entries(value)) {
      // A broken key is reported at its parent: the key itself cannot be shown.
      if (LONE_SURROGATE.test(key)) return at;
      const found = findLoneSurrogate(item, [...at, key]);
      if (found) return found;
    }
  }
  return undefined;
}
