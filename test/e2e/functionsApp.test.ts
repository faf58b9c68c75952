// The Functions app end to end: the built app on the local host over real HTTP, with Azurite and the emulator.
import { describe, expect, it } from "vitest";
import { appBuilt, principal, waitForRun, withAppStack } from "../support/appStack";
import { guid, seedJob, subscription } from "../support/jobFactory";
import { rawRequest } from "../support/rawHttp";
import { isReadOnlyRequest } from "../support/storedTrail";

const SUBS = [guid(0xe1), guid(0xe2), guid(0xe3)];
const seed = {
  subscriptions: [...SUBS.map((s) => subscription(s)), subscription(guid(0xe9), "Disabled")],
  jobs: SUBS.flatMap((sub, i) => [
    seedJob({ sub, name: `stale-${i}`, state: "Creating", days: 10, systemData: true }),
    seedJob({ sub, name: `done-${i}`, state: "Completed", days: 45, systemData: true }),
    seedJob({ sub, name: `young-${i}`, state: "Creating", days: 1, systemData: true }),
    seedJob({
      sub,
      name: `exempt-${i}`,
      state: "Creating",
      days: 10,
      systemData: true,
      tags: { janitor: "exempt" },
    }),
  ]),
};
const POLICY = JSON.stringify({
  version: 1,
  rules: [
    { name: "stale-drafts", states: ["Creating"], olderThan: "P7D", action: "delete" },
    { name: "completed-retention", states: ["Completed"], olderThan: "P30D", action: "delete" },
  ],
  guards: { gracePeriod: "PT0S" },
});

async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  return fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

async function expectProblem(res: Response, status: number, fields: string[]) {
  expect(res.status).toBe(status);
  expect(res.headers.get("content-type")).toContain("application/problem+json");
  const body = (await res.json()) as {
    status: number;
    title: string;
    errors?: { field: string }[];
    detail?: string;
  };
  expect(body.status).toBe(status);
  for (const field of fields) expect(body.errors?.map((e) => e.field)).toContain(field);
  expect(JSON.stringify(body)).not.toMatch(/at .*\.js:\d+|AccountKey|Bearer/);
  return body;
}

describe.skipIf(!appBuilt)("Functions app over HTTP (local host)", () => {
  // As in Azure with Easy Auth on, and with the body limit npm start gives the host.
  const stack = withAppStack({
    seed,
    settings: {
      JANITOR_POLICY: POLICY,
      WEBSITE_AUTH_ENABLED: "True",
      FUNCTIONS_REQUEST_BODY_SIZE_LIMIT: "65536",
    },
  });

  it("registers every function of the contract with an explicit auth level", () => {
    const byName = new Map(stack().host.registrations.map((r) => [r.name, r]));
    for (const name of ["runsCreate", "runsGet", "runsList", "auditQuery", "jobDecision", "policyGet"])
      expect(byName.get(name)?.authLevel, name).toBe("function");
    expect(byName.get("health")?.authLevel).toBe("anonymous");
    expect(byName.get("scheduledSweep")?.trigger).toBe("timerTrigger");
    expect(byName.get("partWorker")?.trigger).toBe("queueTrigger");
  });

  it("health reports storage and ARM", async () => {
    const res = await fetch(`${stack().api}/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "ok", storage: "ok", arm: "ok" });
  });

  it("a plan run goes 202 -> queued -> succeeded, and its audit comes back as json and csv", async () => {
    // Act
    const res = await post(`${stack().api}/runs`, { mode: "plan", reason: "e2e" });
    // Assess
    expect(res.status).toBe(202);
    const accepted = (await res.json()) as { runId: string; status: string; statusUrl: string };
    expect(accepted.status).toBe("queued");
    expect(accepted.statusUrl).toContain(`/api/runs/${accepted.runId}`);
    const run = await waitForRun(stack().api, accepted.runId);
    expect(run).toMatchObject({
      status: "succeeded",
      trigger: "http",
      mode: "plan",
      requestedBy: "http:function-key",
      counts: {
        subscriptionsScanned: 3,
        subscriptionsSkipped: 1,
        jobsSeen: 12,
        planned: 6,
        deleted: 0,
        skipped: 6,
      },
    });

    const audit = await fetch(`${stack().api}/audit?runId=${accepted.runId}&limit=1000`);
    expect(audit.status).toBe(200);
    const { items } = (await audit.json()) as {
      items: { outcome: string; reason: string; jobName?: string }[];
    };
    expect(items.filter((e) => e.outcome === "planned")).toHaveLength(6);
    expect(items.filter((e) => e.reason === "exempt-tag")).toHaveLength(3);
    expect(items.some((e) => e.reason === "subscription-state")).toBe(true);

    const csv = await fetch(`${stack().api}/audit?runId=${accepted.runId}&limit=1000&format=csv`);
    expect(csv.headers.get("content-type")).toContain("text/csv");
    const lines = (await csv.text()).trim().split(/\r?\n/);
    expect(lines[0]).toMatch(/^timestamp,runId,seq,/);
    expect(lines).toHaveLength(items.length + 1);

    // The emulator saw reads only.
    expect((await stack().control.requests()).items.every(isReadOnlyRequest)).toBe(true);

    // Listing runs shows it, newest first.
    const list = (await (await fetch(`${stack().api}/runs?limit=5`)).json()) as {
      items: { runId: string }[];
    };
    expect(list.items[0]!.runId).toBe(accepted.runId);
  });

  it("refuses apply over HTTP unless JANITOR_MANUAL_APPLY=enabled", async () => {
    const body = await expectProblem(await post(`${stack().api}/runs`, { mode: "apply" }), 403, []);
    expect(body.detail).toContain("JANITOR_MANUAL_APPLY");
  });

  it("enforces Easy Auth roles when the principal header is present", async () => {
    const reader = { "x-ms-client-principal": principal("auditor@contoso.example", ["Janitor.Reader"]) };
    const operator = { "x-ms-client-principal": principal("ops@contoso.example", ["Janitor.Operator"]) };
    const nobody = { "x-ms-client-principal": principal("guest@contoso.example", []) };
    expect((await fetch(`${stack().api}/runs`, { headers: reader })).status).toBe(200);
    expect((await fetch(`${stack().api}/policy`, { headers: operator })).status).toBe(200);
    await expectProblem(await fetch(`${stack().api}/runs`, { headers: nobody }), 403, []);
    await expectProblem(await post(`${stack().api}/runs`, { mode: "plan" }, reader), 403, []);
    const res = await post(`${stack().api}/runs`, { mode: "plan" }, operator);
    expect(res.status).toBe(202);
    const { runId } = (await res.json()) as { runId: string };
    const run = await waitForRun(stack().api, runId);
    expect(run.requestedBy).toBe("ops@contoso.example");
    const audit = (await (await fetch(`${stack().api}/audit?runId=${runId}`)).json()) as {
      items: { actor: string }[];
    };
    expect(audit.items.every((e) => e.actor === "ops@contoso.example")).toBe(true);
    const approver = { "x-ms-client-principal": principal("cab@contoso.example", ["Janitor.Approver"]) };
    expect((await fetch(`${stack().api}/runs`, { headers: approver })).status).toBe(200);
    await expectProblem(await post(`${stack().api}/runs`, { mode: "plan" }, approver), 403, []);
  });

  it("cleans a principal name with control characters, cut mid-emoji, and the run still succeeds", async () => {
    // Prepare: 3 + 124 characters, then an emoji whose second half would be the 129th code unit.
    const name = `ops\u0007${"a".repeat(124)}\u{1F600}tail`;
    const cleaned = `ops${"a".repeat(124)}`;
    const headers = { "x-ms-client-principal": principal(name, ["Janitor.Operator"]) };
    // Act
    const res = await post(`${stack().api}/runs`, { mode: "plan", reason: "odd name" }, headers);
    // Assess
    expect(res.status).toBe(202);
    const { runId } = (await res.json()) as { runId: string };
    const run = await waitForRun(stack().api, runId);
    expect(run).toMatchObject({ status: "succeeded", requestedBy: cleaned });
    const audit = (await (await fetch(`${stack().api}/audit?runId=${runId}&limit=1000`)).json()) as {
      items: { actor: string }[];
    };
    expect(audit.items.length).toBeGreaterThan(0);
    expect(audit.items.every((e) => e.actor === cleaned)).toBe(true);
  });

  it("refuses a declared content-length over the limit at once, without waiting for the body", async () => {
    const body = '{"mode":"plan"}';
    const started = Date.now();
    const status = await rawRequest(
      stack().host.port,
      `POST /api/runs HTTP/1.1\r\nHost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: 10000000\r\n\r\n${body}`,
    );
    expect(status).toMatch(/^HTTP\/1\.1 413 /);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it("answers an oversized body with a 413 problem", async () => {
    const res = await post(
      `${stack().api}/runs`,
      JSON.stringify({ mode: "plan", reason: "x".repeat(70_000) }),
    );
    expect(res.status).toBe(413);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
  });

  it.each([
    ["text/plain", "text/plain"],
    ["a charset other than utf-8", "application/json; charset=iso-8859-1"],
    ["form data", "application/x-www-form-urlencoded"],
  ])("POST /api/runs with %s is a 415 problem", async (_what, type) => {
    const res = await post(`${stack().api}/runs`, '{"mode":"plan"}', { "content-type": type });
    await expectProblem(res, 415, ["content-type"]);
  });

  it("keeps a UTF-8 reason intact", async () => {
    const res = await post(
      `${stack().api}/runs`,
      { mode: "plan", reason: "café \u{1F600}" },
      {
        "content-type": "application/json; charset=utf-8",
      },
    );
    expect(res.status).toBe(202);
    const { runId } = (await res.json()) as { runId: string };
    const run = await waitForRun(stack().api, runId);
    expect(run.note).toBe("café \u{1F600}");
  });

  it("refuses invalid UTF-8 bytes with a 400 naming the body", async () => {
    const bytes = Buffer.concat([
      Buffer.from('{"mode":"plan","reason":"caf'),
      Buffer.from([0xe9]),
      Buffer.from('"}'),
    ]);
    const res = await fetch(`${stack().api}/runs`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: bytes,
    });
    await expectProblem(res, 400, ["body"]);
  });

  it.each([
    ["/runs", "DELETE", "POST, GET"],
    ["/runs/20200101T000000Z-deadbeef", "POST", "GET"],
    ["/policy", "PUT", "GET"],
    ["/health", "POST", "GET"],
  ])("%s with %s is a 405 problem naming the allowed methods", async (path, method, allow) => {
    const res = await fetch(`${stack().api}${path}`, { method });
    await expectProblem(res, 405, []);
    expect(res.headers.get("allow")).toBe(allow);
  });

  it.each(["/nothing-here", "/runs/x/y", "/jobs/a/b"])("GET %s is a 404 problem", async (path) => {
    await expectProblem(await fetch(`${stack().api}${path}`), 404, []);
  });

  it("does not echo an invented parameter name raw", async () => {
    const res = await fetch(`${stack().api}/policy?%3Cscript%3E=1`);
    const body = await expectProblem(res, 400, ["_script_"]);
    expect(JSON.stringify(body)).not.toContain("<script>");
  });

  it.each([
    ["not JSON", "{mode:", ["body"]],
    ["an unknown mode", { mode: "delete" }, ["mode"]],
    ["no mode", {}, ["mode"]],
    ["an unknown field", { mode: "plan", force: true }, ["force"]],
    ["a bad subscription id", { mode: "plan", subscriptions: ["not-a-guid"] }, ["subscriptions[0]"]],
    ["a reason with control characters", { mode: "plan", reason: "a\u0000b" }, ["reason"]],
    ["an array body", [1], ["body"]],
    ["duplicate keys", '{"mode":"apply","mode":"plan"}', ["mode"]],
    ["a lone surrogate in reason", '{"mode":"plan","reason":"x\\ud800"}', ["reason"]],
  ])("POST /api/runs with %s is a 400 naming the field", async (_what, body, fields) => {
    await expectProblem(await post(`${stack().api}/runs`, body), 400, fields);
  });

  it.each([
    ["/audit", ["from"]],
    ["/audit?from=yesterday&to=2026-01-01T00:00:00Z", ["from"]],
    ["/audit?from=2026-01-01T00:00:00Z&to=2026-03-01T00:00:00Z", ["to"]],
    ["/audit?runId=x&limit=0", ["limit"]],
    ["/audit?runId=x&action=destroy&outcome=maybe", ["action", "outcome"]],
    ["/audit?runId=x&runId=y", ["runId"]],
    ["/audit?runId=x&subscriptionId=' or 1 eq 1", ["subscriptionId"]],
    ["/audit?runId=x&format=xml", ["format"]],
    ["/runs?limit=many", ["limit"]],
    ["/runs?cursor=x&color=blue", ["color"]],
    ["/jobs/not-a-guid/rg/job-1/decision", ["subscriptionId"]],
    [`/jobs/${SUBS[0]}/rg-test/stale-0/decision?verbose=1`, ["verbose"]],
    ["/runs/20200101T000000Z-deadbeef?x=1", ["x"]],
    ["/policy?format=yaml", ["format"]],
    ["/health?probe=1", ["probe"]],
  ])("GET %s is a 400 naming %j", async (path, fields) => {
    await expectProblem(await fetch(`${stack().api}${path}`), 400, fields);
  });

  it("GET /api/runs/{unknown} is a 404 problem", async () => {
    await expectProblem(await fetch(`${stack().api}/runs/20200101T000000Z-deadbeef`), 404, []);
  });

  it("jobDecision explains a job without acting on it", async () => {
    const before = (await stack().control.requests()).total;
    const res = await fetch(`${stack().api}/jobs/${SUBS[0]}/rg-test/stale-0/decision`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      decision: { action: string; reason: string; eligible: boolean; rule: string };
    };
    expect(body.decision).toMatchObject({
      action: "delete",
      reason: "rule-matched",
      eligible: true,
      rule: "stale-drafts",
    });
    const after = await stack().control.requests({ since: 0 });
    expect(after.items.slice(before).every(isReadOnlyRequest)).toBe(true);
    const exempt = await (await fetch(`${stack().api}/jobs/${SUBS[0]}/rg-test/exempt-0/decision`)).json();
    expect((exempt as { decision: { reason: string } }).decision.reason).toBe("exempt-tag");
    expect((await fetch(`${stack().api}/jobs/${SUBS[0]}/rg-test/no-such-job/decision`)).status).toBe(404);
  });

  it("policyGet returns the effective policy and its hash", async () => {
    const body = (await (await fetch(`${stack().api}/policy`)).json()) as {
      hash: string;
      policy: { rules: unknown[] };
    };
    expect(body.hash).toMatch(/^[0-9a-f]{16}$/);
    expect(body.policy.rules).toHaveLength(2);
  });
});

describe.skipIf(!appBuilt)("Functions app over HTTP with Easy Auth off", () => {
  const stack = withAppStack({ seed, settings: { JANITOR_POLICY: POLICY } });

  it("ignores a client-sent principal: the caller is a function-key caller with no roles", async () => {
    // Prepare: a forged principal claiming a name and the operator role, and one with no roles at all.
    const forged = { "x-ms-client-principal": principal("mallory@evil.example", ["Janitor.Operator"]) };
    const roleless = { "x-ms-client-principal": principal("guest@evil.example", []) };
    // Act
    const res = await post(`${stack().api}/runs`, { mode: "plan" }, forged);
    // Assess
    expect(res.status).toBe(202);
    const { runId } = (await res.json()) as { runId: string };
    const run = await waitForRun(stack().api, runId);
    expect(run.requestedBy).toBe("http:function-key");
    const audit = (await (await fetch(`${stack().api}/audit?runId=${runId}`)).json()) as {
      items: { actor: string }[];
    };
    expect(audit.items.every((e) => e.actor === "http:function-key")).toBe(true);
    // No roles are read from it either: a principal without roles is not refused as it would be with Easy Auth.
    expect((await fetch(`${stack().api}/runs`, { headers: roleless })).status).toBe(200);
  });
});
