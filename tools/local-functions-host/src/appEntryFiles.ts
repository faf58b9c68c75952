import fs from "node:fs";
import path from "node:path";

/**
 * The files the Functions Node worker loads for an app: `main` of the app's package.json (default `index.js`),
 * which may be a glob (`dist/src/functions/*.js`, `dist/**\/*.js`, `{a,b}.js`), as the worker accepts. Sorted, so
 * registration order does not depend on the file system.
 */
export function resolveAppEntryFiles(appRoot: string): string[] {
  const packageFile = path.join(appRoot, "package.json");
  let main = "index.js";
  if (fs.existsSync(packageFile)) {
    const pkg = JSON.parse(fs.readFileSync(packageFile, "utf8")) as { main?: unknown };
    if (pkg.main !== undefined) {
      if (typeof pkg.main !== "string" || pkg.main.trim() === "") {
        throw new Error(`${packageFile}: "main" must be a file path or glob.`);
      }
      main = pkg.main;
    }
  }
  if (!/[*?{]/.test(main)) {
    const file = resolveFile(path.resolve(appRoot, main));
    if (!file)
      throw new Error(`The app's entry "${main}" (package.json "main") was not found under ${appRoot}.`);
    return [file];
  }
  const files = expandGlob(appRoot, main);
  if (files.length === 0)
    throw new Error(`The app's entry glob "${main}" (package.json "main") matched no file.`);
  return files;
}

/** `require` semantics for a plain path: the file itself, or with `.js`, or a folder's index.js. */
function resolveFile(candidate: string): string | undefined {
  for (const file of [candidate, `${candidate}.js`, path.join(candidate, "index.js")]) {
    if (fs.existsSync(file) && fs.statSync(file).isFile()) return file;
  }
  return undefined;
}

export function expandGlob(root: string, pattern: string): string[] {
  const matcher = globToRegExp(pattern.replace(/^\.\//, ""));
  const results: string[] = [];
  const walk = (dir: string, relative: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      if (entry.name === "node_modules" || entry.name.startsWith(".")) continue;
      const rel = relative ? `${relative}/${entry.name}` : entry.name;
      const abs = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(abs, rel);
      else if (entry.isFile() && matcher.test(rel)) results.push(abs);
    }
  };
  walk(root, "");
  return results.sort();
}

/** `**` any folders, `*` and `?` within one path segment, `{a,b}` alternatives. */
export function globToRegExp(pattern: string): RegExp {
  let source = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === "*" && pattern[i + 1] === "*") {
      const slash = pattern[i + 2] === "/";
      source += slash ? "(?:.*/)?" : ".*";
      i += slash ? 2 : 1;
    } else if (c === "*") source += "[^/]*";
    else if (c === "?") source += "[^/]";
    else if (c === "{") {
      const end = pattern.indexOf("}", i);
      if (end < 0) throw new Error(`Glob "${pattern}": unclosed "{".`);
      const alternatives = pattern.slice(i + 1, end).split(",");
      source += `(?:${alternatives.map((a) => globToRegExp(a).source.slice(1, -1)).join("|")})`;
      i = end;
    } else source += c.replace(/[.+^$()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${source}$`);
}
