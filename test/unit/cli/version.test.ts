import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { EXIT } from "../../../src/cli/io";
import { main } from "../../../src/cli/main";
import { packageVersion } from "../../../src/cli/version";
import { captureIO } from "../../support/captureIO";

describe("ie-janitor --version", () => {
  it("prints the version of package.json and exits 0", async () => {
    // Prepare
    const pkg = JSON.parse(await readFile(join(__dirname, "../../../package.json"), "utf8"));
    const io = captureIO();
    // Act
    const code = await main(["--version"], io, {});
    // Assess
    expect(code).toBe(EXIT.done);
    expect(io.out).toBe(`${pkg.version}\n`);
    expect(io.err).toBe("");
  });

  it("reads the nearest package.json of this package when asked, so it never goes stale", async () => {
    // Prepare: a package tree with another version, and an unrelated package.json in between.
    const root = await mkdtemp(join(tmpdir(), "janitor-version-"));
    try {
      const nested = join(root, "dist", "src", "cli");
      await mkdir(nested, { recursive: true });
      await writeFile(
        join(root, "package.json"),
        JSON.stringify({ name: "importexport-janitor", version: "9.8.7" }),
      );
      await writeFile(
        join(root, "dist", "package.json"),
        JSON.stringify({ name: "other", version: "1.0.0" }),
      );
      // Act, Assess
      expect(packageVersion(nested)).toBe("9.8.7");
      await writeFile(
        join(root, "package.json"),
        JSON.stringify({ name: "importexport-janitor", version: "9.8.8" }),
      );
      expect(packageVersion(nested)).toBe("9.8.8");
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
