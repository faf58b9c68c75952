import { beforeEach, describe, expect, it } from "vitest";
import { EmulatorControlError } from "../../src/controlClient";
import { DEMO_SUBSCRIPTIONS } from "../../src/demoSeed";
import { armRequest, makeJob, withEmulator } from "../../../../test/support/emulator";

const SUB = "ffffffff-1111-4000-8000-000000000001";
const RG = "rg-control";

async function refusal(promise: Promise<unknown>): Promise<EmulatorControlError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(EmulatorControlError);
  return error as EmulatorControlError;
}

describe("emulator: control API", () => {
  const fx = withEmulator({ settings: { throttling: false } });

  beforeEach(async () => {
    await fx.control.reset({ seed: { jobs: [makeJob(SUB, RG, "kept")] } });
  });

  it.each([
    [
      { jobs: [{ ...makeJob(SUB, RG, "x"), properties: { state: 3 } }] },
      "seed.jobs[0].properties.state: expected a string",
    ],
    [{ jobs: [{ ...makeJob(SUB, RG, "x"), location: undefined }] }, "seed.jobs[0].location: is required"],
    [{ jobs: [makeJob(SUB, RG, "x"), makeJob(SUB, RG, "X")] }, "seed.jobs[1].name: duplicate of jobs[0]"],
    [
      { jobs: [{ ...makeJob(SUB, RG, "x"), colour: "red" }] },
      "seed.jobs[0].colour: is not an accepted field",
    ],
    [
      { subscriptions: [{ subscriptionId: SUB, state: "Asleep" }] },
      "seed.subscriptions[0].state: expected one of",
    ],
    [
      { jobs: [makeJob(SUB, RG, "x", { returnAddress: { recipientName: "A" } as never })] },
      "seed.jobs[0].properties.returnAddress.streetAddress1: is required",
    ],
    ["everything", 'seed: expected "demo" or a seed object'],
  ])("refuses a bad seed on reset, naming the field, and changes nothing (%#)", async (seed, message) => {
    const error = await refusal(fx.control.reset({ seed: seed as never }));
    expect(error.status).toBe(400);
    expect(error.code).toBe("InvalidRequest");
    expect(error.message).toContain(message);
    expect((await fx.control.jobs()).map((j) => j.name)).toEqual(["kept"]);
  });

  it.each([
    [{ refusalStatus: 500 }, "settings.refusalStatus: expected a 4xx status"],
    [{ throttling: { reads: { capacity: 0, refillPerSecond: 1 } } }, "settings.throttling"],
    [{ cancelCompletesAfter: "soon" }, "settings.cancelCompletesAfter: expected an ISO 8601 duration"],
    [{ maxPageSize: 10, defaultPageSize: 50 }, "settings.defaultPageSize: expected at most maxPageSize"],
    [{ deleteStates: "Creating" }, "settings.deleteStates: expected an array"],
    [{ pageSize: 3 }, "settings.pageSize: is not an accepted field"],
  ])("refuses bad settings on reset, naming the field (%#)", async (settings, message) => {
    const error = await refusal(fx.control.reset({ seed: { jobs: [] }, settings: settings as never }));
    expect(error.status).toBe(400);
    expect(error.message).toContain(message);
    expect((await fx.control.jobs()).map((j) => j.name)).toEqual(["kept"]);
  });

  it.each([
    ["POST", "clock", { advance: "tomorrow" }, "advance: expected an ISO 8601 duration"],
    ["POST", "clock", { now: "yesterday" }, "now: expected an ISO 8601 date-time"],
    ["POST", "clock", { now: "2030-01-01T00:00:00Z", advance: "P1D" }, "give either now or advance"],
    ["POST", "faults", [{ status: 700 }], "faults[0].status"],
    ["POST", "faults", [{ path: "(" }], "faults[0].path: expected a valid regular expression"],
    [
      "POST",
      "faults",
      [{ method: "GET" }],
      "faults[0]: a fault needs status, reset: true, latencyMs, mutate, dropResponse: true, or deleteOutcome",
    ],
    ["POST", "faults", [{ status: 500, count: 0 }], "faults[0].count: expected at least 1"],
    ["POST", `jobs/${SUB}/${RG}/kept/state`, { state: 5 }, "state: expected a string"],
    ["POST", `jobs/${SUB}/${RG}/kept/state`, {}, "state: is required"],
    ["POST", "jobs", { jobs: [{ subscriptionId: SUB }] }, "jobs[0].resourceGroup: is required"],
    ["GET", "requests?since=x", undefined, "since: expected a whole number"],
  ])("refuses a bad %s /%s body, naming the field", async (method, path, body, message) => {
    const error = await refusal(fx.control.call(method, path, body));
    expect(error.status).toBe(400);
    expect(error.message).toContain(message);
    // Still up, nothing changed.
    expect((await fx.control.faults()).length).toBe(0);
    expect((await fx.control.jobs()).map((j) => [j.name, j.state])).toEqual([["kept", "Creating"]]);
  });

  it("refuses a body that is not JSON", async () => {
    const response = await armRequest(fx.emulator, "POST", "/_emulator/jobs", { rawBody: "{not json" });
    expect(response.status).toBe(400);
    expect(response.json).toMatchObject({
      error: { code: "InvalidRequest", message: "body: not valid JSON" },
    });
  });

  it("answers 404 for an unknown control path and for setState on an unknown job", async () => {
    expect((await refusal(fx.control.call("GET", "nothing-here", undefined))).status).toBe(404);
    const error = await refusal(
      fx.control.setState({ subscriptionId: SUB, resourceGroup: RG, name: "nope" }, "Completed"),
    );
    expect(error.status).toBe(404);
  });

  it("adds jobs in batches, replacing by case-insensitive key", async () => {
    const result = await fx.control.addJobs({
      jobs: [makeJob(SUB, RG, "KEPT", { state: "Shipping" }), makeJob(SUB, RG, "new")],
    });
    expect(result).toMatchObject({ added: 1, replaced: 1 });
    expect((await fx.control.jobs(SUB)).map((j) => [j.name, j.state])).toEqual([
      ["kept", "Shipping"],
      ["new", "Creating"],
    ]);
  });

  it("accepts a bare seed as the reset body, and the demo seed", async () => {
    await fx.control.call("POST", "reset", { jobs: [makeJob(SUB, RG, "bare")] });
    expect((await fx.control.jobs()).map((j) => j.name)).toEqual(["bare"]);
    const summary = await fx.control.reset({ seed: "demo" });
    expect(summary.subscriptions).toBe(Object.keys(DEMO_SUBSCRIPTIONS).length);
    expect(summary.jobs).toBeGreaterThanOrEqual(30);
  });

  it("logs ARM requests (not control calls) with totals and `since`", async () => {
    const client = fx.importExport(SUB).jobs;
    await client.get("kept", RG);
    const first = await fx.control.requests();
    await client.get("kept", RG);
    const after = await fx.control.requests({ since: first.total });
    expect(first.total).toBe(1);
    expect(after.total).toBe(2);
    expect(after.items).toHaveLength(1);
    expect(after.items[0]).toMatchObject({
      seq: 2,
      method: "GET",
      status: 200,
      operation: "Jobs_Get",
      query: "api-version=2021-01-01",
    });
    expect(Date.parse(after.items[0]!.at)).not.toBeNaN();
  });
});
