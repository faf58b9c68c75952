import { describe, expect, it } from "vitest";
import type { UpcomingJob } from "../../../../src/domain/notifications/events";
import { buildPayload, groupUpcoming, MAX_LISTED_JOBS } from "../../../../src/domain/notifications/payloads";
import { ZERO_COUNTS } from "../../../../src/domain/records";

const job = (n: number, tags: Record<string, string> = {}): UpcomingJob => ({
  jobId: `/subscriptions/s/resourceGroups/rg/providers/Microsoft.ImportExport/jobs/j${n}`,
  subscriptionId: "s",
  resourceGroup: "rg",
  jobName: `j${n}`,
  state: "Completed",
  rule: "completed-retention",
  action: "delete",
  firstEligibleAt: "2026-01-01T00:00:00.000Z",
  earliestActionAt: "2026-01-04T00:00:00.000Z",
  tags,
});

describe("groupUpcoming", () => {
  it("groups per owner tag value, case-insensitively by tag name, and keeps untagged jobs together", () => {
    const groups = groupUpcoming(
      [job(1, { Owner: "team-a" }), job(2), job(3, { owner: "team-b" }), job(4, { owner: "team-a" })],
      {
        ownerTag: "owner",
      },
    );
    expect(groups.map((g) => [g.owner, g.jobs.map((j) => j.jobName)])).toEqual([
      [undefined, ["j2"]],
      ["team-a", ["j1", "j4"]],
      ["team-b", ["j3"]],
    ]);
  });

  it("is one group without an owner tag", () => {
    expect(groupUpcoming([job(1, { owner: "x" }), job(2)], {})).toHaveLength(1);
  });
});

describe("buildPayload", () => {
  const upcoming = {
    event: {
      type: "upcoming" as const,
      runId: "r1",
      mode: "plan" as const,
      jobs: [job(1, { owner: "team-a", secret: "tagvalue" })],
    },
    owner: "team-a",
  };

  it("teams: an Adaptive Card in the workflow webhook message", () => {
    const body = buildPayload("teams", { ...upcoming, appUrl: "https://app.example.net" }) as {
      type: string;
      attachments: {
        contentType: string;
        content: { type: string; version: string; body: { text?: string }[]; actions: unknown[] };
      }[];
    };
    expect(body.type).toBe("message");
    expect(body.attachments[0]!.contentType).toBe("application/vnd.microsoft.card.adaptive");
    const card = body.attachments[0]!.content;
    expect(card.type).toBe("AdaptiveCard");
    expect(JSON.stringify(card.body)).toContain(
      "delete rg/j1 (Completed, rule completed-retention, subscription s) from 2026-01-04T00:00:00.000Z",
    );
    expect(card.actions).toEqual([
      { type: "Action.OpenUrl", title: "Open the run", url: "https://app.example.net/api/runs/r1" },
    ]);
  });

  it("slack: Block Kit within Slack's limits, with markup escaped", () => {
    const body = buildPayload("slack", {
      event: {
        type: "upcoming",
        runId: "r1",
        mode: "plan",
        jobs: Array.from({ length: 40 }, (_, i) => job(i)),
      },
    }) as { text: string; blocks: { type: string; text?: { text: string } }[] };
    expect(body.blocks[0]!.type).toBe("header");
    const list = body.blocks.at(-1)!.text!.text;
    expect(list.split("\n")).toHaveLength(MAX_LISTED_JOBS + 1);
    expect(list).toContain(`and ${40 - MAX_LISTED_JOBS} more`);
  });

  it("generic: the event's fields, without tags", () => {
    const body = buildPayload("generic", upcoming) as { jobs: Record<string, unknown>[]; owner: string };
    expect(body.owner).toBe("team-a");
    expect(body.jobs[0]).not.toHaveProperty("tags");
    expect(JSON.stringify(body)).not.toContain("tagvalue");
  });

  it("run-finished carries the counts", () => {
    const run = {
      runId: "r2",
      trigger: "timer" as const,
      mode: "apply" as const,
      status: "succeeded" as const,
      queuedAt: "t",
      counts: { ...ZERO_COUNTS, deleted: 3 },
    };
    for (const format of ["generic", "teams", "slack"] as const)
      expect(JSON.stringify(buildPayload(format, { event: { type: "run-finished", run } }))).toMatch(
        /Deleted|"deleted":3/,
      );
  });
});
