import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { globToRegExp, resolveAppEntryFiles } from "../../src/appEntryFiles";

describe("appEntryFiles", () => {
  let root: string;
  const write = (rel: string, text = "") => {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), text);
  };

  beforeAll(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "entry-"));
    write("dist/functions/b.js");
    write("dist/functions/a.js");
    write("dist/functions/nested/c.js");
    write("dist/functions/a.js.map");
    write("dist/index.js");
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  const withMain = (main?: unknown) => {
    write("package.json", JSON.stringify(main === undefined ? {} : { main }));
    return resolveAppEntryFiles(root).map((f) => path.relative(root, f));
  };

  it("resolves a plain main like require does", () => {
    expect(withMain("dist/index.js")).toEqual(["dist/index.js"]);
    expect(withMain("dist/index")).toEqual(["dist/index.js"]);
    expect(withMain("dist")).toEqual(["dist/index.js"]);
  });

  it("expands globs, sorted", () => {
    expect(withMain("dist/functions/*.js")).toEqual(["dist/functions/a.js", "dist/functions/b.js"]);
    expect(withMain("dist/functions/**/*.js")).toEqual([
      "dist/functions/a.js",
      "dist/functions/b.js",
      "dist/functions/nested/c.js",
    ]);
    expect(withMain("dist/{index,functions/b}.js")).toEqual(["dist/functions/b.js", "dist/index.js"]);
  });

  it("says what is missing", () => {
    expect(() => withMain("dist/nope.js")).toThrow(/"dist\/nope.js" \(package.json "main"\) was not found/);
    expect(() => withMain("lib/*.js")).toThrow(/matched no file/);
    expect(() => withMain(42)).toThrow(/"main" must be a file path or glob/);
  });

  it("defaults to index.js", () => {
    expect(() => withMain()).toThrow(/"index.js"/);
  });

  it("globToRegExp keeps * inside one folder", () => {
    expect(globToRegExp("a/*.js").test("a/b/c.js")).toBe(false);
    expect(globToRegExp("a/**/*.js").test("a/c.js")).toBe(true);
  });
});
