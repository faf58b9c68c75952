import { readFileSync } from "node:fs";
import path from "node:path";
import Ajv, { type ValidateFunction } from "ajv";
import { beforeAll, describe, expect, it } from "vitest";
import { DEMO_SUBSCRIPTIONS } from "../../src/demoSeed";
import { armRequest, withEmulator, type RawResponse } from "../../../../test/support/emulator";

// The Data Box answers against the published 2022-12-01 spec: the parts of databox.json the emulator serves, kept in
// test/fixtures/databox-2022-12-01.json (source URL and what was kept are in the file). Each body is checked as the
// spec says, and "closed" (additionalProperties: false on every declared object, Resource merged into JobResource),
// so the emulator invents no field the spec lacks. The spec's own examples prove the checker.

type Json = Record<string, unknown>;

const fixture = JSON.parse(
  readFileSync(path.join(__dirname, "../fixtures/databox-2022-12-01.json"), "utf8"),
) as {
  operations: Record<
    string,
    { method: string; path: string; query: string[]; responses: Record<string, unknown> }
  >;
  parameters: { jobNameParameter: { minLength: number; maxLength: number; pattern: string } };
  definitions: Record<string, Json>;
};
const STAGE_NAMES = (fixture.definitions.JobProperties!.properties as Record<string, { enum?: string[] }>)
  .status!.enum!;

/** Swagger's extensible enums (x-ms-enum modelAsString / modelAsExtensible) admit other values: no JSON Schema enum. */
function openEnums(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(openEnums);
  if (node === null || typeof node !== "object") return node;
  const out: Json = {};
  for (const [key, value] of Object.entries(node as Json)) out[key] = openEnums(value);
  const xEnum = out["x-ms-enum"] as { modelAsString?: boolean; modelAsExtensible?: boolean } | undefined;
  if (xEnum?.modelAsString === true || xEnum?.modelAsExtensible === true) delete out.enum;
  return out;
}

/** The closed form: parents of allOf merged in, and no undeclared field on any object that declares its own. */
function closeDefinitions(definitions: Record<string, Json>): Record<string, Json> {
  const close = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(close);
    if (node === null || typeof node !== "object") return node;
    let out: Json = {};
    for (const [key, value] of Object.entries(node as Json)) {
      out[key] =
        key === "properties" && typeof value === "object"
          ? Object.fromEntries(Object.entries(value as Json).map(([k, v]) => [k, close(v)]))
          : close(value);
    }
    if (Array.isArray(out.allOf)) {
      for (const parent of out.allOf as Array<{ $ref: string }>) {
        const name = parent.$ref.replace("#/definitions/", "");
        const base = close(definitions[name]) as Json;
        out = {
          ...out,
          required: [...((base.required as string[]) ?? []), ...((out.required as string[]) ?? [])],
          properties: { ...(base.properties as Json), ...(out.properties as Json) },
        };
      }
      delete out.allOf;
    }
    if (typeof out.properties === "object" && Object.keys(out.properties as Json).length > 0)
      out.additionalProperties ??= false;
    return out;
  };
  return Object.fromEntries(Object.entries(definitions).map(([name, def]) => [name, close(def) as Json]));
}

function buildAjv(closed: boolean): Ajv {
  const ajv = new Ajv({ strict: false, allErrors: true });
  ajv.addFormat(
    "date-time",
    (s: string) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(s) && !Number.isNaN(Date.parse(s)),
  );
  ajv.addFormat("int32", { type: "number", validate: (n: number) => Number.isInteger(n) });
  const definitions = openEnums(fixture.definitions) as Record<string, Json>;
  ajv.addSchema(
    { $id: "databox", definitions: closed ? closeDefinitions(definitions) : definitions },
    "databox",
  );
  return ajv;
}

const SUB = DEMO_SUBSCRIPTIONS.production;
const API = "api-version=2022-12-01";
const jobPath = (rg: string, name: string, sub: string = SUB) =>
  `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.DataBox/jobs/${name}`;

describe("emulator: Data Box answers conform to the 2022-12-01 spec", () => {
  const fx = withEmulator({ seed: "demo", settings: { throttling: false } });
  let open: Ajv;
  let closed: Ajv;

  beforeAll(() => {
    open = buildAjv(false);
    closed = buildAjv(true);
  });

  function expectConforms(definition: string, body: unknown, what: string): void {
    for (const [form, ajv] of [
      ["spec", open],
      ["closed spec", closed],
    ] as const) {
      const validate: ValidateFunction = ajv.getSchema(`databox#/definitions/${definition}`)!;
      expect(validate, definition).toBeDefined();
      expect(
        validate(body),
        `${what} vs ${form} ${definition}: ${JSON.stringify(validate.errors?.slice(0, 5))}`,
      ).toBe(true);
    }
  }

  const get = (p: string): Promise<RawResponse> => armRequest(fx.emulator, "GET", p);

  it("the checker accepts the spec's own examples and refuses bodies that break it", () => {
    const examples = path.resolve(__dirname, "../../../../test/fixtures/databox");
    const jobGet = JSON.parse(readFileSync(path.join(examples, "JobsGet.2022-12-01.json"), "utf8")) as {
      body: Json;
    };
    const jobList = JSON.parse(readFileSync(path.join(examples, "JobsList.2022-12-01.json"), "utf8")) as Json;
    const jobResource = open.getSchema("databox#/definitions/JobResource")!;
    expect(jobResource(jobGet.body), JSON.stringify(jobResource.errors)).toBe(true);
    expect(open.getSchema("databox#/definitions/JobResourceList")!({ value: jobList.value })).toBe(true);

    const good = {
      location: "westus",
      sku: { name: "DataBoxCustomerDisk" },
      properties: { transferType: "ImportToAzure", isDeletable: true },
    };
    expect(jobResource(good)).toBe(true);
    for (const bad of [
      { ...good, sku: undefined },
      { ...good, location: undefined },
      { ...good, properties: { isDeletable: true } },
      { ...good, properties: { ...good.properties, isDeletable: "yes" } },
      { ...good, properties: { ...good.properties, startTime: "yesterday" } },
    ])
      expect(jobResource(bad)).toBe(false);
    const invented = { ...good, properties: { ...good.properties, deletable: true } };
    expect(jobResource(invented)).toBe(true);
    expect(closed.getSchema("databox#/definitions/JobResource")!(invented)).toBe(false);
    expect(closed.getSchema("databox#/definitions/JobResource")!({ ...good, etag: "x" })).toBe(false);
  });

  it("list pages and every demo job's GET body are JobResourceList / JobResource, with known stages", async () => {
    let jobs = 0;
    for (const sub of Object.values(DEMO_SUBSCRIPTIONS)) {
      const listed = await get(`/subscriptions/${sub}/providers/Microsoft.DataBox/jobs?${API}`);
      expect(listed.status).toBe(200);
      expectConforms("JobResourceList", listed.json, `jobs of ${sub}`);
      for (const job of (listed.json as { value: Array<{ id: string; name: string }> }).value) {
        jobs++;
        const { minLength, maxLength, pattern } = fixture.parameters.jobNameParameter;
        expect(job.name.length).toBeGreaterThanOrEqual(minLength);
        expect(job.name.length).toBeLessThanOrEqual(maxLength);
        expect(job.name).toMatch(new RegExp(pattern));
        const one = await get(`${job.id}?${API}`);
        expect(one.status).toBe(200);
        expectConforms("JobResource", one.json, job.name);
        expect(STAGE_NAMES).toContain((one.json as { properties: { status: string } }).properties.status);
      }
    }
    expect(jobs).toBe(12);
  });

  it("pages by the spec's $skipToken: a nextLink carries only the operation's query parameters", async () => {
    await fx.control.reset({
      seed: "demo",
      settings: { throttling: false, dataBoxPageSize: 2 },
    });
    const first = await get(
      `/subscriptions/${SUB}/resourceGroups/rg-databox/providers/Microsoft.DataBox/jobs?${API}`,
    );
    expectConforms("JobResourceList", first.json, "first page");
    const link = new URL((first.json as { nextLink: string }).nextLink);
    const allowed = fixture.operations.Jobs_ListByResourceGroup!.query;
    expect([...link.searchParams.keys()].every((key) => allowed.includes(key))).toBe(true);
    const second = await get(link.pathname + link.search);
    expect(second.status).toBe(200);
    expectConforms("JobResourceList", second.json, "second page");
    await fx.control.reset({ seed: "demo", settings: { throttling: false } });
  });

  it("cancel answers 204 with no body, delete 202 with Location: the spec's success codes", async () => {
    const cancelSpec = fixture.operations.Jobs_Cancel!.responses;
    const deleteSpec = fixture.operations.Jobs_Delete!.responses as Record<
      string,
      { headers?: string[] } | null
    >;
    const cancelled = await armRequest(
      fx.emulator,
      "POST",
      `${jobPath("rg-databox", "dbx-draft-stale")}/cancel?${API}`,
      {
        body: { reason: "conformance" },
      },
    );
    expect(Object.keys(cancelSpec)).toContain(String(cancelled.status));
    expect(cancelled.status).toBe(204);
    expect(cancelled.text).toBe("");
    const deleted = await armRequest(
      fx.emulator,
      "DELETE",
      `${jobPath("rg-databox", "dbx-completed-old")}?${API}`,
    );
    expect(Object.keys(deleteSpec)).toContain(String(deleted.status));
    for (const header of deleteSpec[String(deleted.status)]?.headers ?? [])
      expect(deleted.headers[header.toLowerCase()]).toBeDefined();
    const after = await get(`${jobPath("rg-databox", "dbx-draft-stale")}?${API}`);
    expectConforms("JobResource", after.json, "a cancelled job");
    await fx.control.reset({ seed: "demo", settings: { throttling: false } });
  });

  it("error answers (refusals, 404, 400, read-only) are ApiError; listCredentials is an UnencryptedCredentialsList", async () => {
    const errors: Array<[string, RawResponse]> = [
      [
        "refused delete",
        await armRequest(fx.emulator, "DELETE", `${jobPath("rg-databox", "dbx-in-transit")}?${API}`),
      ],
      [
        "refused cancel",
        await armRequest(fx.emulator, "POST", `${jobPath("rg-databox", "dbx-in-transit")}/cancel?${API}`, {
          body: { reason: "x" },
        }),
      ],
      [
        "bad cancel body",
        await armRequest(fx.emulator, "POST", `${jobPath("rg-databox", "dbx-draft-stale")}/cancel?${API}`, {
          body: {},
        }),
      ],
      ["unknown job", await get(`${jobPath("rg-databox", "nope")}?${API}`)],
      [
        "bad skip token",
        await get(`/subscriptions/${SUB}/providers/Microsoft.DataBox/jobs?${API}&$skipToken=zzz`),
      ],
      [
        "read-only subscription",
        await armRequest(
          fx.emulator,
          "DELETE",
          `${jobPath("rg-sandbox", "dbx-sandbox-done", DEMO_SUBSCRIPTIONS.retired)}?${API}`,
        ),
      ],
    ];
    for (const [what, response] of errors) {
      expect(response.status, what).toBeGreaterThanOrEqual(400);
      expectConforms("ApiError", response.json, what);
    }
    const credentials = await armRequest(
      fx.emulator,
      "POST",
      `${jobPath("rg-databox", "dbx-draft-stale")}/listCredentials?${API}`,
    );
    expectConforms("UnencryptedCredentialsList", credentials.json, "listCredentials");
    // $expand=details adds details (the JobDetails subtree is not in the fixture: checked open only).
    const expanded = await get(`${jobPath("rg-databox", "dbx-draft-stale")}?${API}&$expand=details`);
    expect(open.getSchema("databox#/definitions/JobResource")!(expanded.json)).toBe(true);
    expect(
      (expanded.json as { properties: { details: { jobDetailsType: string } } }).properties.details
        .jobDetailsType,
    ).toBe("DataBoxCustomerDisk");
  });
});
