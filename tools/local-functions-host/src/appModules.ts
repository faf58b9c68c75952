import { createRequire } from "node:module";
import path from "node:path";

/**
 * Loads the app's entry files with Node's own `require` (so `@azure/functions` and the app share one library
 * instance, and the library finds the functions-core module we installed). Modules cached by an earlier load in
 * this process are dropped first: registrations happen as a module runs, so a cached module would register nothing,
 * and a library instance cached in test mode would keep dropping them. Returns a function that forgets the modules
 * this load added, so a later host in the same process loads the app afresh.
 */
export function loadAppModules(appRoot: string, files: readonly string[]): () => void {
  const appRequire = createRequire(path.join(appRoot, "package.json"));
  const cache = appRequire.cache;
  const library = libraryFolder(appRequire);
  const root = path.resolve(appRoot) + path.sep;
  for (const key of Object.keys(cache)) {
    const inLibrary = library !== undefined && key.startsWith(library);
    const inApp = key.startsWith(root) && !key.includes(`${path.sep}node_modules${path.sep}`);
    if (inLibrary || inApp) delete cache[key];
  }
  const before = new Set(Object.keys(cache));
  for (const file of files) appRequire(file);
  const added = Object.keys(cache).filter((key) => !before.has(key));
  return () => {
    for (const key of added) delete cache[key];
  };
}

function libraryFolder(appRequire: NodeJS.Require): string | undefined {
  try {
    return path.dirname(appRequire.resolve("@azure/functions/package.json")) + path.sep;
  } catch {
    return undefined;
  }
}
