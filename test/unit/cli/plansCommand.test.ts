// `ie-janitor plans ...` and `apply --plan`: flags are checked before any storage is touched (exit 2 naming the
// flag and what it accepts), and plans show writes the plan and its actions page by page in each format.
import { describe, expect, it } from "vitest";
import { cliActor } from "../../../src/cli/cliUser";
import {
  runPlansListCommand,
  runPlansReviewCommand,
  runPlansShowCommand,
} from "../../../src/cli/commands/plans";
import { EXIT } from "../../../src/cli/io";
import { main } from "../../../src/cli/main";
import { PLAN_ACTION_FIELDS, proposedActionsToCsv } from "../../../src/domain/planCsv";
import type { PlanRecord, ProposedAction } from "../../../src/domain/plans";
import type { PlanStore, StoredPlan } from "../../../src/engine/ports";
import { ForbiddenError, ValidationError } from "../../../src/errors";
import { captureIO } from "../../support/captureIO";

const NOW = new Date("2026-11-21T12:00:00Z");
const PLAN_ID = "20261121T100000Z-0badcafe";
const SUB = "11111111-1111-4111-8111-111111111111";
const jobId = (name: string) =>
  `/subscriptions/${SUB}/resourceGroups/rg-a/providers/Microsoft.ImportExport/jobs/${name}`;

function action(name: string): ProposedAction {
  return {
    jobId: jobId(name),
    source: "importexport",
    subscriptionId: SUB,
    resourceGroup: "rg-a",
    jobName: name,
    jobType: "Import",
    state: "Creating",
    cancelRequested: false,
    rule: "stale-drafts",
    action: "delete",
    ageDays: 10.25,
    ageBasis: "systemData.lastModifiedAt",
  } as ProposedAction;
}

const plan: PlanRecord = {
  planId: PLAN_ID,
  status: "approved",
  trigger: "cli",
  requestedBy: "cli:olivia",
  createdAt: "2026-11-21T10:00:00.000Z",
  expiresAt: "2026-11-28T10:00:00.000Z",
  policy: { version: 1, rules: [] } as unknown as PlanRecord["policy"],
  policyHash: "abc123",
  approvedBy: "cli:adam",
  approvedAt: "2026-11-21T11:00:00.000Z",
  approvalRule: "four-eyes",
  excluded: [jobId("b").toLowerCase()],
};

/** A plan store holding one plan whose actions come back two to a page. */
function store(): Pick<PlanStore, "get" | "readActions" | "list"> & { reads: number } {
  const actions = ["a", "b", "c"].map(action);
  const s = {
    reads: 0,
    get: async (id: string): Promise<StoredPlan | undefined> =>
      id === PLAN_ID ? { plan, etag: "W/1" } : undefined,
    readActions: async (_id: string, q: { cursor?: string }) => {
      s.reads++;
      const from = Number(q.cursor ?? 0);
      const next = from + 2;
      return { items: actions.slice(from, next), ...(next < actions.length && { nextCursor: String(next) }) };
    },
    list: async () => ({ items: [plan] }),
  };
  return s;
}
const deps =
  (s = store()) =>
  async () => ({ plans: s, runs: { get: async () => undefined }, now: NOW });
const noStorage = async (): Promise<never> => {
  throw new Error("storage must not be touched");
};

describe("ie-janitor plans: bad input", () => {
  it.each([
    [
      ["plans", "--status", "done"],
      '--status: "done" is not accepted; use pending, approved, rejected, expired, applied',
    ],
    [["plans", "--limit", "500"], "--limit: must be a whole number from 1 to 100"],
    [["plans", "show", "not_a_plan!"], 'PLAN_ID: "not_a_plan!" is not a plan id; expected a run id'],
    [["plans", "show", PLAN_ID, "--format", "xml"], '--format: "xml" is not accepted; use table, json, csv'],
    [["plans", "show", PLAN_ID, "--json", "--format", "csv"], "--json and --format csv ask for two formats"],
    [["plans", "approve", PLAN_ID, "--exclude", "draft-b"], "--exclude: must be job resource ids"],
    [
      ["plans", "reject", PLAN_ID, "--comment", "x".repeat(2001)],
      "--comment: must be at most 2000 characters",
    ],
    [["plans", "approve"], "missing required argument 'planId'"],
    [["apply", "--plan", "bad id"], '--plan: "bad id" is not a plan id'],
    [["apply", "--plan", PLAN_ID, "--subscription", SUB, "--yes"], "--subscription is not taken with --plan"],
    [["apply", "--plan", PLAN_ID, "--policy", "p.yaml", "--yes"], "--policy is not taken with --plan"],
    [["apply", "--plan", PLAN_ID], "without a terminal to confirm on, pass --yes"],
  ])("%j exits 2 naming the problem, before reading any setting", async (args, message) => {
    // Prepare: no storage settings at all, so reaching the store would be a different error.
    const io = captureIO();
    // Act
    const code = await main(args, io, {});
    // Assess
    expect(code).toBe(EXIT.usage);
    expect(io.err).toContain(message);
    expect(io.err).not.toContain("JANITOR_STORAGE");
  });

  it("the review's refusals exit 2 with the reason, naming the flag of a bad exclusion", async () => {
    const refuse = (err: Error) => async () => ({
      review: {
        approve: async () => Promise.reject(err),
        reject: async () => Promise.reject(err),
      },
      rule: "four-eyes" as const,
      actor: "cli:olivia",
    });
    const io = captureIO();
    const four = new ForbiddenError(
      "four-eyes approval: cli:olivia requested this plan and cannot approve it",
    );
    expect(await runPlansReviewCommand("approve", PLAN_ID, {}, refuse(four), io)).toBe(EXIT.usage);
    expect(io.err).toBe(`ie-janitor plans approve: ${four.message}\n`);
    const io2 = captureIO();
    const missing = new ValidationError([{ field: "exclude", message: `not in the plan: ${jobId("x")}` }]);
    const ids = { exclude: [jobId("x")] };
    expect(await runPlansReviewCommand("approve", PLAN_ID, ids, refuse(missing), io2)).toBe(EXIT.usage);
    expect(io2.err).toBe(`ie-janitor plans approve: --exclude: not in the plan: ${jobId("x")}\n`);
  });

  it("an unknown plan exits 2", async () => {
    const io = captureIO();
    expect(await runPlansShowCommand("20990101T000000Z-00000000", {}, deps(), io)).toBe(EXIT.usage);
    expect(io.err).toContain("no plan 20990101T000000Z-00000000");
  });

  it("flags are checked before the store is opened", async () => {
    const io = captureIO();
    expect(await runPlansListCommand({ limit: "0" }, noStorage, io)).toBe(EXIT.usage);
  });
});

describe("ie-janitor plans show", () => {
  it("--json is one document: the plan as the API shows it, and every action, read page by page", async () => {
    const s = store();
    const io = captureIO();
    expect(await runPlansShowCommand(PLAN_ID, { json: true }, deps(s), io)).toBe(EXIT.done);
    const doc = JSON.parse(io.out);
    expect(doc).toMatchObject({ planId: PLAN_ID, status: "approved", approvedBy: "cli:adam" });
    expect(doc.actions.map((a: ProposedAction) => a.jobName)).toEqual(["a", "b", "c"]);
    expect(s.reads).toBe(2);
  });

  it("--format csv is the API's CSV: one header, then a row per action across pages", async () => {
    const io = captureIO();
    expect(await runPlansShowCommand(PLAN_ID, { format: "csv" }, deps(), io)).toBe(EXIT.done);
    expect(io.out).toBe(proposedActionsToCsv(["a", "b", "c"].map(action)));
    expect(io.out.split("\r\n")[0]).toBe(PLAN_ACTION_FIELDS.join(","));
  });

  it("the table shows the record and marks the approver's exclusions", async () => {
    const io = captureIO();
    expect(await runPlansShowCommand(PLAN_ID, {}, deps(), io)).toBe(EXIT.done);
    expect(io.out).toMatch(/^status: +approved$/m);
    expect(io.out).toMatch(/^approved: +by cli:adam at 2026-11-21T11:00:00Z \(four-eyes\)$/m);
    expect(io.out).toMatch(
      /^11111111\s+rg-a\s+b\s+Import\s+Creating\s+10\.3\s+delete\s+stale-drafts\s+excluded$/m,
    );
    expect(io.out).not.toMatch(/\s+a\s+Import.*excluded$/m);
    expect(io.err).toBe("3 proposed action(s), 1 excluded by the approver\n");
  });
});

describe("cliActor", () => {
  it("is cli: and the login name from USER (or USERNAME), without control characters or spaces", () => {
    expect(cliActor({ USER: "adam" })).toBe("cli:adam");
    expect(cliActor({ USERNAME: "ADAM" })).toBe("cli:ADAM");
    expect(cliActor({ USER: "a\u0007d am\n" })).toBe("cli:adam");
    expect(cliActor({}).startsWith("cli:")).toBe(true);
  });
});
