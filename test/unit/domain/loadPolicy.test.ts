import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_POLICY, policyHash } from "../../../src/domain/policy";
import { loadPolicy } from "../../../src/domain/policy/loadPolicy";
import { ValidationError } from "../../../src/errors";

const DOC = {
  version: 1,
  rules: [{ name: "drafts", states: ["Creating"], olderThan: "P14D", action: "delete" }],
};

describe("loadPolicy", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "janitor-policy-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("uses the built-in default when nothing is given", async () => {
    const loaded = loadPolicy({});
    expect(loaded).toEqual({
      policy: DEFAULT_POLICY,
      hash: policyHash(DEFAULT_POLICY),
      source: "built-in default",
    });
  });

  it("treats blank settings as not given", async () => {
    expect(loadPolicy({ inlineJson: "  ", path: "" }).source).toBe("built-in default");
  });

  it("reads inline JSON", async () => {
    const loaded = loadPolicy({ inlineJson: JSON.stringify(DOC) });
    expect(loaded.source).toBe("inline");
    expect(loaded.policy.rules[0]?.olderThan).toBe("P14D");
  });

  it("reads a YAML file and a JSON file to the same policy and hash", async () => {
    const yamlPath = join(dir, "policy.yaml");
    const jsonPath = join(dir, "policy.json");
    await writeFile(
      yamlPath,
      "version: 1\nrules:\n  - {name: drafts, states: [Creating], olderThan: P14D, action: delete}\n",
    );
    await writeFile(jsonPath, JSON.stringify(DOC));
    const fromYaml = loadPolicy({ path: yamlPath });
    const fromJson = loadPolicy({ path: jsonPath });
    expect(fromYaml.source).toBe(yamlPath);
    expect(fromYaml.policy).toEqual(fromJson.policy);
    expect(fromYaml.hash).toBe(fromJson.hash);
    expect(fromYaml.hash).not.toBe(policyHash(DEFAULT_POLICY));
  });

  it("refuses a missing file, naming it", async () => {
    const path = join(dir, "nope.json");
    expect(() => loadPolicy({ path })).toThrow(ValidationError);
    expect(() => loadPolicy({ path })).toThrow(`cannot read policy file ${path}: no such file`);
  });

  it("refuses an invalid file with every problem by path", async () => {
    const path = join(dir, "bad.json");
    await writeFile(
      path,
      JSON.stringify({ version: 1, rules: [{ ...DOC.rules[0], states: ["Packaging"] }] }),
    );
    const err = (() => {
      try {
        return loadPolicy({ path });
      } catch (e: unknown) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).problems).toEqual([
      {
        field: "rules[0].action",
        message: expect.stringContaining("delete is not allowed in state Packaging"),
      },
    ]);
    expect((err as Error).message).toContain(path);
  });

  it("refuses inline JSON and a file together rather than pick one", async () => {
    expect(() => loadPolicy({ inlineJson: JSON.stringify(DOC), path: "/x.json" })).toThrow(/set only one/);
  });
});
