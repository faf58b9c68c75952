import { readFileSync } from "node:fs";
import path from "node:path";

const PACKAGE_NAME = "importexport-janitor";

/**
 * The version in the package's package.json, read when asked (not copied in at build time, so it cannot go
 * stale). Found by walking up from this file: src/cli when run from source, dist/src/cli when built.
 */
export function packageVersion(from: string = __dirname): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8")) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === PACKAGE_NAME && pkg.version) return pkg.version;
    } catch {
      // No (readable) package.json here: keep looking further up.
    }
    if (path.dirname(dir) === dir) return "unknown";
  }
}
