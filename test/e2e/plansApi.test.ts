// Saved plans through the app over HTTP on the local Functions host, the emulator and Azurite, with Easy Auth's
// headers (WEBSITE_AUTH_ENABLED=True): plan -> review -> approve by another principal -> apply exactly the plan.
import { describe, expect, it } from "vitest";
import { principal, waitForRun, withAppStack } from "../support/appStack";
import { guid, seedJob, subscription } from "../support/jobFactory";

const SUB = guid(0xe1);
const POLICY = JSON.stringify({
  version: 1,
  rules: [{ name: "stale-drafts", states: ["Creating"], olderThan: "P7D", action: "delete" }],
  guards: { gracePeriod: "PT0S" },
  limits: {
    maxActionsPerRun: 100,
    maxActionsPerSubscription: 100,
    maxEligibleFraction: 1,
    minJobsForFraction: 10,
  },
});
const jobId = (name: string) =>
  `/subscriptions/${SUB}/resourceGroups/rg-test/providers/Microsoft.ImportExport/jobs/${name}`;
const OPERATOR = { "x-ms-client-principal": principal("olivia@example.com", ["Janitor.Operator"]) };
const APPROVER = { "x-ms-client-principal": principal("adam@example.com", ["Janitor.Approver"]) };
const SELF = { "x-ms-client-principal": principal("olivia@example.com", ["Janitor.Approver"]) };

function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  return fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
}

describe("saved plans over HTTP", () => {
  const stack = withAppStack({
    seed: {
      subscriptions: [subscription(SUB)],
      jobs: ["a", "b", "c"].map((n) =>
        seedJob({ sub: SUB, name: `draft-${n}`, state: "Creating", days: 10, systemData: true }),
      ),
    },
    settings: { JANITOR_POLICY: POLICY, WEBSITE_AUTH_ENABLED: "True", JANITOR_MANUAL_APPLY: "enabled" },
  });

  it("plan, review, four-eyes approval with an exclusion, apply once", async () => {
    const { api, control } = stack();
    const made = await post(`${api}/runs`, { mode: "plan" }, OPERATOR);
    expect(made.status).toBe(202);
    const { runId: planId } = (await made.json()) as { runId: string };
    await waitForRun(api, planId);

    const listed = (await (await fetch(`${api}/plans?status=pending`, { headers: OPERATOR })).json()) as {
      items: { planId: string }[];
    };
    expect(listed.items.map((p) => p.planId)).toContain(planId);
    const got = await fetch(`${api}/plans/${planId}`, { headers: OPERATOR });
    expect(got.status).toBe(200);
    expect(got.headers.get("etag")).toBeTruthy();
    expect(await got.json()).toMatchObject({
      planId,
      status: "pending",
      requestedBy: "olivia@example.com",
      counts: { actions: 3 },
    });
    const csv = await (
      await fetch(`${api}/plans/${planId}/actions?format=csv&limit=2`, { headers: OPERATOR })
    ).text();
    expect(csv.split("\r\n")[0]).toMatch(/^jobId,source,subscriptionId/);
    expect(csv.trim().split("\r\n")).toHaveLength(3);

    expect((await fetch(`${api}/plans/not_a_plan!`, { headers: OPERATOR })).status).toBe(400);
    expect((await fetch(`${api}/plans/20990101T000000Z-00000000`, { headers: OPERATOR })).status).toBe(404);
    expect((await post(`${api}/plans/${planId}/approve`, {}, OPERATOR)).status).toBe(403);
    expect((await post(`${api}/plans/${planId}/approve`, {}, SELF)).status).toBe(403);
    expect(
      (await post(`${api}/plans/${planId}/approve`, { exclude: [jobId("nope")] }, APPROVER)).status,
    ).toBe(400);
    expect((await post(`${api}/runs`, { mode: "apply", planId }, OPERATOR)).status).toBe(409);

    const approved = await post(
      `${api}/plans/${planId}/approve`,
      { exclude: [jobId("draft-b")], comment: "fine" },
      APPROVER,
    );
    expect(approved.status).toBe(200);
    expect(await approved.json()).toMatchObject({ status: "approved", approvedBy: "adam@example.com" });
    expect((await post(`${api}/plans/${planId}/approve`, {}, APPROVER)).status).toBe(409);

    const before = (await control.requests()).total;
    const applied = await post(`${api}/runs`, { mode: "apply", planId }, OPERATOR);
    expect(applied.status).toBe(202);
    const { runId } = (await applied.json()) as { runId: string };
    const run = await waitForRun(api, runId);
    expect(run).toMatchObject({ status: "succeeded", planId, approvedBy: "adam@example.com" });
    const deletes = (await control.requests()).items.filter((r) => r.seq > before && r.method === "DELETE");
    expect(deletes.map((r) => r.path.split("/").pop()).sort()).toEqual(["draft-a", "draft-c"]);
    const audit = (await (await fetch(`${api}/audit?runId=${runId}`, { headers: OPERATOR })).json()) as {
      items: { jobName?: string; reason: string; planId?: string }[];
    };
    expect(audit.items.find((e) => e.jobName === "draft-b")?.reason).toBe("plan-excluded");
    expect(audit.items.every((e) => e.planId === planId)).toBe(true);
    expect((await post(`${api}/runs`, { mode: "apply", planId }, OPERATOR)).status).toBe(409);
  });
});
