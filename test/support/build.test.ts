// ensureBuilt on a throw-away project: builds what is missing or changed, reports a failed build loudly (and
// keeps reporting it until a build succeeds), and does nothing when the build is fresh.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ensureBuilt, staleReason } from "./build";

const root = fs.mkdtempSync(path.join(os.tmpdir(), "ensure-built-"));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

function write(rel: string, text: string, ageMs = 0): void {
  const file = path.join(root, rel);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  const t = new Date(Date.now() - ageMs);
  fs.utimesSync(file, t, t);
}

describe("ensureBuilt", () => {
  it("builds a missing dist, then sees a source newer than its output as stale", () => {
    write(
      "tsconfig.build.json",
      JSON.stringify({
        compilerOptions: { outDir: "dist", rootDir: ".", module: "commonjs", strict: true, types: [] },
        include: ["src"],
      }),
    );
    write("src/a.ts", "export const a: number = 1;\n", 60_000);
    expect(staleReason(root)).toBe("src/a.ts has no build output");
    expect(ensureBuilt(root)).toBe(true);
    expect(fs.existsSync(path.join(root, "dist/src/a.js"))).toBe(true);
    expect(staleReason(root)).toBeUndefined();

    // A source newer than its output is rebuilt; a type error is an error, with tsc's message.
    write("src/a.ts", 'export const a: number = "one";\n');
    expect(staleReason(root)).toBe("src/a.ts changed since the last build");
  });

  it("throws with tsc's messages when the build fails, and remembers it failed", () => {
    expect(() => ensureBuilt(root)).toThrow(/building it failed[\s\S]*src\/a\.ts.*TS2322/);
    // tsc emitted anyway, so only the failure marker says dist/ is not to be trusted.
    expect(staleReason(root)).toBe("the last build failed");
    write("src/a.ts", "export const a: number = 2;\n");
    expect(ensureBuilt(root)).toBe(true);
    expect(staleReason(root)).toBeUndefined();
    expect(fs.readFileSync(path.join(root, "dist/src/a.js"), "utf8")).toContain("= 2");
  });
});
