import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import Ajv, { type ValidateFunction } from "ajv";
import { beforeAll, describe, expect, it } from "vitest";
import { DEMO_SUBSCRIPTIONS } from "../../src/demoSeed";
import { armRequest, withEmulator, type RawResponse } from "../../../../test/support/emulator";

// Every response body the janitor reads from the emulator must conform to the official specs in shared/specs
// (beside the repository, as CI clones it). Besides the plain schema, each body is also checked in a "closed"
// form (additionalProperties: false on every declared object), so the emulator invents no field the spec lacks.

const repoRoot = path.resolve(__dirname, "../../../..");
const specsDir = path.resolve(repoRoot, "../shared/specs");
const haveSpecs = existsSync(path.join(specsDir, "importexport-2021-01-01/storageimportexport.json"));
/** Said in every test name when the specs are missing, so a skipped run says why. */
const skipNote = haveSpecs
  ? ""
  : ` (skipped: no specs at ${specsDir}; CI clones shared/ beside the repository)`;

type Json = Record<string, unknown>;

function readJson(relative: string): Json {
  return JSON.parse(readFileSync(path.join(specsDir, relative), "utf8")) as Json;
}

/** Points the upstream-relative common-types refs at the copies registered here, e.g. `common-v2#/...`. */
function rewriteRefs(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(rewriteRefs);
  if (node === null || typeof node !== "object") return node;
  const out: Json = {};
  for (const [key, value] of Object.entries(node as Json)) {
    out[key] =
      key === "$ref" && typeof value === "string"
        ? value.replace(/^.*common-types\/resource-management\/(v\d)\/types\.json#/, "common-$1#")
        : rewriteRefs(value);
  }
  return out;
}

/** The same schemas with `additionalProperties: false` on every object that declares its properties. */
function closeObjects(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(closeObjects);
  if (node === null || typeof node !== "object") return node;
  const out: Json = {};
  for (const [key, value] of Object.entries(node as Json)) {
    out[key] =
      key === "properties" && typeof value === "object"
        ? mapValues(value as Json, closeObjects)
        : closeObjects(value);
  }
  if (typeof out.properties === "object" && !("allOf" in out) && out.additionalProperties === undefined) {
    out.additionalProperties = false;
  }
  return out;
}

function mapValues(obj: Json, f: (v: unknown) => unknown): Json {
  return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, f(v)]));
}

function buildAjv(close: boolean): Ajv {
  const ajv = new Ajv({ strict: false, allErrors: true });
  ajv.addFormat(
    "date-time",
    (s: string) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(s) && !Number.isNaN(Date.parse(s)),
  );
  ajv.addFormat("int64", { type: "number", validate: (n: number) => Number.isInteger(n) });
  ajv.addFormat("int32", { type: "number", validate: (n: number) => Number.isInteger(n) });
  for (const name of ["uuid", "arm-id", "uri", "double"]) ajv.addFormat(name, true);
  const add = (id: string, doc: Json) => {
    const definitions = rewriteRefs(doc.definitions);
    ajv.addSchema({ $id: id, definitions: close ? closeObjects(definitions) : definitions }, id);
  };
  add("importexport", readJson("importexport-2021-01-01/storageimportexport.json"));
  add("subscriptions", readJson("subscriptions-2022-12-01/subscriptions.json"));
  add("common-v1", readJson("common-types/v1/types.json"));
  add("common-v2", readJson("common-types/v2/types.json"));
  return ajv;
}

const JOB_DEFS = "importexport#/definitions";
const SUB = DEMO_SUBSCRIPTIONS.production;
const jobsPath = (rest = "") =>
  `/subscriptions/${SUB}/resourceGroups/rg-migration/providers/Microsoft.ImportExport/jobs${rest}`;

describe("emulator: responses conform to the official specs", () => {
  const fx = withEmulator({ seed: "demo", settings: { throttling: false } });
  let open: Ajv;
  let closed: Ajv;

  beforeAll(() => {
    if (!haveSpecs) return;
    open = buildAjv(false);
    closed = buildAjv(true);
  });

  /** Validates against both forms; fails with the schema errors and which body it was. */
  function expectConforms(ref: string, body: unknown, what: string): void {
    for (const [form, ajv] of [
      ["spec", open],
      ["closed spec", closed],
    ] as const) {
      const validate: ValidateFunction = ajv.getSchema(ref)!;
      expect(validate, `schema ${ref}`).toBeDefined();
      const valid = validate(body);
      expect(valid, `${what} vs ${form} ${ref}: ${JSON.stringify(validate.errors?.slice(0, 5))}`).toBe(true);
    }
  }

  const get = (p: string): Promise<RawResponse> => armRequest(fx.emulator, "GET", p);

  it.skipIf(!haveSpecs)(`the checker itself refuses bodies that break the spec${skipNote}`, () => {
    const good = { name: "x", properties: { state: "Creating", driveList: [{ state: "Specified" }] } };
    expect(open.getSchema(`${JOB_DEFS}/JobResponse`)!(good)).toBe(true);
    const badType = { ...good, properties: { ...good.properties, cancelRequested: "yes" } };
    const badEnum = { ...good, properties: { driveList: [{ state: "Lost" }] } };
    const badSystemData = { ...good, systemData: { createdAt: "yesterday" } };
    for (const bad of [badType, badEnum, badSystemData])
      expect(open.getSchema(`${JOB_DEFS}/JobResponse`)!(bad)).toBe(false);
    const extraField = { ...good, bitLockerKeys: [] };
    expect(open.getSchema(`${JOB_DEFS}/JobResponse`)!(extraField)).toBe(true);
    expect(closed.getSchema(`${JOB_DEFS}/JobResponse`)!(extraField)).toBe(false);
  });

  it.skipIf(!haveSpecs)(
    `job list pages (with and without nextLink) are ListJobsResponse${skipNote}`,
    async () => {
      const first = await get(
        `/subscriptions/${SUB}/providers/Microsoft.ImportExport/jobs?api-version=2021-01-01&$top=5`,
      );
      expect(first.status).toBe(200);
      expect((first.json as Json).nextLink).toBeDefined();
      expectConforms(`${JOB_DEFS}/ListJobsResponse`, first.json, "first page");
      for (const sub of Object.values(DEMO_SUBSCRIPTIONS)) {
        const all = await get(
          `/subscriptions/${sub}/providers/Microsoft.ImportExport/jobs?api-version=2021-01-01&$top=100`,
        );
        expect((all.json as Json).nextLink).toBeUndefined();
        expectConforms(`${JOB_DEFS}/ListJobsResponse`, all.json, `all jobs of ${sub}`);
      }
    },
  );

  it.skipIf(!haveSpecs)(`every demo job's GET body is a JobResponse${skipNote}`, async () => {
    const views = await fx.control.jobs();
    expect(views.length).toBeGreaterThan(30);
    for (const view of views) {
      const response = await get(
        `/subscriptions/${view.subscriptionId}/resourceGroups/${view.resourceGroup}/providers/Microsoft.ImportExport/jobs/${view.name}?api-version=2021-01-01`,
      );
      expect(response.status).toBe(200);
      expectConforms(`${JOB_DEFS}/JobResponse`, response.json, view.name);
    }
  });

  it.skipIf(!haveSpecs)(`PATCH, PUT and listBitLockerKeys answers conform${skipNote}`, async () => {
    const patched = await armRequest(
      fx.emulator,
      "PATCH",
      jobsPath("/draft-fresh-import?api-version=2021-01-01"),
      {
        body: { tags: { owner: "ops" } },
      },
    );
    expect(patched.status).toBe(200);
    expectConforms(`${JOB_DEFS}/JobResponse`, patched.json, "PATCH tags");

    const cancelled = await armRequest(
      fx.emulator,
      "PATCH",
      jobsPath("/shipping-recent?api-version=2021-01-01"),
      {
        body: { properties: { cancelRequested: true } },
      },
    );
    expect(cancelled.status).toBe(200);
    expectConforms(`${JOB_DEFS}/JobResponse`, cancelled.json, "PATCH cancel");

    const created = await armRequest(fx.emulator, "PUT", jobsPath("/brand-new?api-version=2021-01-01"), {
      body: { location: "West US", properties: { jobType: "Import", backupDriveManifest: false } },
    });
    expect(created.status).toBe(201);
    expectConforms(`${JOB_DEFS}/JobResponse`, created.json, "PUT");

    const keys = await armRequest(
      fx.emulator,
      "POST",
      jobsPath("/draft-fresh-import/listBitLockerKeys?api-version=2021-01-01"),
    );
    expect(keys.status).toBe(200);
    expectConforms(`${JOB_DEFS}/GetBitLockerKeysResponse`, keys.json, "listBitLockerKeys");
  });

  it.skipIf(!haveSpecs)(
    `error answers are ErrorResponse (refusal, 404, 400, 401, 429, injected faults)${skipNote}`,
    async () => {
      const errors: Array<[string, RawResponse]> = [
        [
          "refused delete",
          await armRequest(fx.emulator, "DELETE", jobsPath("/shipping-stalled?api-version=2021-01-01")),
        ],
        ["unknown job", await get(jobsPath("/nope?api-version=2021-01-01"))],
        ["missing api-version", await get(jobsPath("/nope"))],
        [
          "no token",
          await armRequest(fx.emulator, "GET", jobsPath("?api-version=2021-01-01"), { token: null }),
        ],
        ["bad $top", await get(jobsPath("?api-version=2021-01-01&$top=1000"))],
        [
          "bad PUT body",
          await armRequest(fx.emulator, "PUT", jobsPath("/x?api-version=2021-01-01"), {
            body: { location: 1 },
          }),
        ],
      ];
      await fx.control.addFaults({ status: 503, count: 1, retryAfter: 1 });
      errors.push(["injected 503", await get(jobsPath("?api-version=2021-01-01"))]);
      await fx.control.reset({
        seed: "demo",
        settings: { throttling: { reads: { capacity: 1, refillPerSecond: 0.01 } } },
      });
      await get(jobsPath("?api-version=2021-01-01"));
      errors.push(["throttled", await get(jobsPath("?api-version=2021-01-01"))]);
      for (const [what, response] of errors) {
        expect(response.status, what).toBeGreaterThanOrEqual(400);
        expectConforms(`${JOB_DEFS}/ErrorResponse`, response.json, what);
      }
      await fx.control.reset({ seed: "demo", settings: { throttling: false } });
    },
  );

  it.skipIf(!haveSpecs)(`subscription answers conform (list page, get, error)${skipNote}`, async () => {
    const list = await get("/subscriptions?api-version=2022-12-01");
    expect(list.status).toBe(200);
    // The spec marks SubscriptionListResult.nextLink as required, but ARM omits it on the last page (and a client
    // that got an empty one would have to special-case it); the emulator does as ARM does.
    const { nextLink: _nextLink, ...withoutNextLink } = list.json as Json;
    expectConforms(
      "subscriptions#/definitions/SubscriptionListResult",
      { ...withoutNextLink, nextLink: "" },
      "list",
    );
    for (const item of (list.json as { value: unknown[] }).value) {
      expectConforms("subscriptions#/definitions/Subscription", item, "subscription in list");
    }
    const one = await get(`/subscriptions/${SUB}?api-version=2022-12-01`);
    expectConforms("subscriptions#/definitions/Subscription", one.json, "get subscription");
    // CloudError points at common-types v1 ErrorResponse, which the v1 copy does not define; v2 is ARM's shape.
    const missing = await get("/subscriptions/00000000-0000-0000-0000-000000000000?api-version=2022-12-01");
    expect(missing.status).toBe(404);
    expectConforms("common-v2#/definitions/ErrorResponse", missing.json, "unknown subscription");
  });
});
