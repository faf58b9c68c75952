import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Ajv2020 from "ajv/dist/2020";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runPolicyCommand } from "../../../src/cli/commands/policy";
import { EXIT } from "../../../src/cli/io";
import { DEFAULT_POLICY, parsePolicy, policyHash } from "../../../src/domain/policy";
import { captureIO } from "../../support/captureIO";

const GOOD = "version: 1\nrules:\n  - {name: drafts, states: [creating], olderThan: P14D, action: delete}\n";
const BAD = JSON.stringify({
  version: 1,
  rules: [
    { name: "a", states: ["Creating"], olderThan: "P1D", action: "delete" },
    { name: "b", states: ["Packaging"], olderThan: "P1M", action: "cancel" },
  ],
});

describe("ie-janitor policy", () => {
  let dir: string;
  let good: string;
  let bad: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "janitor-policy-cli-"));
    good = join(dir, "good.yaml");
    bad = join(dir, "bad.json");
    await writeFile(good, GOOD);
    await writeFile(bad, BAD);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("validate prints valid and the hash of a good policy", async () => {
    const io = captureIO();
    expect(await runPolicyCommand({ sub: "validate", file: good }, io)).toBe(EXIT.done);
    expect(io.out).toBe(`valid (policy hash ${policyHash(parsePolicy(GOOD))})\n`);
    expect(io.err).toBe("");
  });

  it("validate lists every problem by path on stderr and exits 2", async () => {
    const io = captureIO();
    expect(await runPolicyCommand({ sub: "validate", file: bad }, io)).toBe(EXIT.usage);
    expect(io.out).toBe("");
    expect(io.err).toContain(`invalid policy (${bad})`);
    expect(io.err).toContain("  rules[1].olderThan: ");
    expect(io.err).toMatch(/ {2}rules\[1\]\.action: cancel is not allowed in state Packaging/);
  });

  it("validate refuses a missing file (exit 2) and a missing argument (exit 2)", async () => {
    const io = captureIO();
    expect(await runPolicyCommand({ sub: "validate", file: join(dir, "none.json") }, io)).toBe(EXIT.usage);
    expect(io.err).toContain("no such file");
    const io2 = captureIO();
    expect(await runPolicyCommand({ sub: "validate" }, io2)).toBe(EXIT.usage);
    expect(io2.err).toContain("usage: ie-janitor policy validate FILE");
  });

  it("show prints the built-in default as one JSON document with its hash", async () => {
    const io = captureIO();
    expect(await runPolicyCommand({ sub: "show" }, io, {})).toBe(EXIT.done);
    expect(JSON.parse(io.out)).toEqual({
      policyHash: policyHash(DEFAULT_POLICY),
      source: "built-in default",
      policy: DEFAULT_POLICY,
    });
  });

  it("show reads JANITOR_POLICY and JANITOR_POLICY_PATH", async () => {
    const inline = captureIO();
    const doc = JSON.stringify({ version: 1, rules: [] });
    expect(await runPolicyCommand({ sub: "show" }, inline, { JANITOR_POLICY: doc })).toBe(EXIT.done);
    expect(JSON.parse(inline.out)).toMatchObject({ source: "inline", policy: { rules: [] } });

    const fromFile = captureIO();
    expect(await runPolicyCommand({ sub: "show" }, fromFile, { JANITOR_POLICY_PATH: good })).toBe(EXIT.done);
    expect(JSON.parse(fromFile.out)).toMatchObject({
      source: good,
      policyHash: policyHash(parsePolicy(GOOD)),
    });
  });

  it("show reports an invalid effective policy on stderr, nothing on stdout, exit 2", async () => {
    const io = captureIO();
    expect(await runPolicyCommand({ sub: "show" }, io, { JANITOR_POLICY_PATH: bad })).toBe(EXIT.usage);
    expect(io.out).toBe("");
    expect(io.err).toContain("rules[1].action: cancel is not allowed in state Packaging");
  });

  describe("schema", () => {
    const printedSchema = async () => {
      const io = captureIO();
      expect(await runPolicyCommand({ sub: "schema" }, io, {})).toBe(EXIT.done);
      expect(io.err).toBe("");
      return JSON.parse(io.out) as Record<string, unknown>;
    };

    it("prints a draft 2020-12 JSON Schema that accepts the default policy as written", async () => {
      // Prepare
      const schema = await printedSchema();
      const check = new Ajv2020({ strict: true }).compile(schema);
      const asWritten = {
        version: 1,
        rules: [
          { name: "stale-drafts", states: ["Creating"], olderThan: "P7D", action: "delete" },
          { name: "completed-retention", states: ["Completed"], olderThan: "P30D", action: "delete" },
        ],
      };
      // Act, Assess
      expect(schema.$schema).toBe("https://json-schema.org/draft/2020-12/schema");
      expect(check(asWritten), JSON.stringify(check.errors)).toBe(true);
      // The effective default, every field written out, passes too.
      expect(check(JSON.parse(JSON.stringify(DEFAULT_POLICY))), JSON.stringify(check.errors)).toBe(true);
    });

    it("rejects a policy with a wrong action, an unknown field or a missing version", async () => {
      const check = new Ajv2020({ strict: true, allErrors: true }).compile(await printedSchema());
      const broken = {
        rules: [{ name: "drafts", states: ["Creating"], olderThan: "P7D", action: "purge" }],
        guards: { gracePeriod: "P1D", graceperiod: "P2D" },
      };
      expect(check(broken)).toBe(false);
      const where = (check.errors ?? []).map((e) => `${e.instancePath} ${e.keyword}`);
      expect(where).toEqual(
        expect.arrayContaining([" required", "/rules/0/action enum", "/guards additionalProperties"]),
      );
    });

    it('accepts "$schema" in a policy, in the schema and in the validator, without changing the hash', async () => {
      const check = new Ajv2020({ strict: true }).compile(await printedSchema());
      const plain = { version: 1, rules: [] };
      const pointed = { $schema: "./policy.schema.json", ...plain };
      expect(check(pointed), JSON.stringify(check.errors)).toBe(true);
      const io = captureIO();
      expect(await runPolicyCommand({ sub: "show" }, io, { JANITOR_POLICY: JSON.stringify(pointed) })).toBe(
        EXIT.done,
      );
      const shown = JSON.parse(io.out);
      expect(shown.policy).not.toHaveProperty("$schema");
      expect(shown.policyHash).toBe(policyHash(parsePolicy(JSON.stringify(plain))));
    });
  });
});
