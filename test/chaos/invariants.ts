// The invariants the campaign checks after every case, against the emulator's request log (what was really
// sent, when it arrived, and the job as the service saw it), the audit table as stored (with the table's own
// Timestamp), the run records, and everything logged. Each violation names its invariant.
import { createTableClient, parseStorageSettings, tableNames } from "../../src/adapters/storage";
import { entityToAuditEntry, sameAuditEntry } from "../../src/adapters/storage/auditEntity";
import type { AuditEntry, RunRecord } from "../../src/domain/records";
import type { DataBoxJobView, LoggedRequest } from "../../tools/emulator/src/controlClient";
import type { ProposedAction } from "../../src/domain/plans";
import type { RunStore } from "../../src/engine/ports";
import type { WorkPart } from "../../src/engine/janitorEngine";
import type { CaseFigures } from "./driver";
import type { BoxChaosJob, ChaosCase, ChaosJob } from "./generate";
import type { WrittenRecord } from "./services";

export const INVARIANTS = [
  "forbidden",
  "policy",
  "cap-subscription",
  "cap-run",
  "intent-before",
  "one-outcome",
  "no-double-action",
  "counts",
  "outcome-truth",
  "audit-lost",
  "canary",
  "run-final",
  "parts-fixed",
  "plan-only",
  "discovery",
  "harness",
] as const;
export type Invariant = (typeof INVARIANTS)[number];

export interface Violation {
  invariant: Invariant;
  detail: string;
}

export interface RunWindow {
  runId: string;
  mode: "plan" | "apply";
  /** Requests that arrived (host clock) in [startMs, endMs] belong to this run. */
  startMs: number;
  endMs: number;
  run?: RunRecord;
  /** An apply of the saved plan `planId`: the jobs (lower-cased ids) it may act on, and with which action. */
  planId?: string;
  allowed?: Map<string, "delete" | "cancel">;
  /** The proposed action the approver excluded, and the planned job changed before the apply. */
  excluded?: string;
  changed?: string;
}

type Stored = AuditEntry & { storedAt: number };

const JOB_PATH =
  /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.ImportExport\/jobs\/[^/]+$/i;
/** A Data Box job (`DELETE` it); with `/cancel`, its cancel action (`POST`). */
const BOX_JOB_PATH =
  /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.DataBox\/jobs\/[^/]+$/i;
const BOX_CANCEL_PATH =
  /^(\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.DataBox\/jobs\/[^/]+)\/cancel$/i;
const BOX_ANY_PATH = /\/providers\/Microsoft\.DataBox(\/|$)/i;
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const DAY = 86_400_000;

const isoMs = (iso: string): number => {
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(iso);
  if (!m) return Date.parse(iso);
  return Date.parse(`${m[1]}.${(m[2] ?? "").padEnd(3, "0").slice(0, 3)}${m[3]}`);
};

/**
 * The action a request is: classic `DELETE` / `PATCH` (cancel) of a job; Data Box `DELETE` of a job and `POST
 * <job>/cancel`. Reads (a job, a listing, a delete's operation URL) are none.
 */
export function actionOf(r: LoggedRequest): "delete" | "cancel" | undefined {
  const path = decodeURIComponent(r.path);
  if (JOB_PATH.test(path))
    return r.method === "DELETE" ? "delete" : r.method === "PATCH" ? "cancel" : undefined;
  if (BOX_JOB_PATH.test(path)) return r.method === "DELETE" ? "delete" : undefined;
  if (BOX_CANCEL_PATH.test(path)) return r.method === "POST" ? "cancel" : undefined;
  return undefined;
}
const isBox = (r: LoggedRequest) => BOX_ANY_PATH.test(decodeURIComponent(r.path));
/** The service handled it (a 429, an injected 5xx and a connection dropped before serving mean it did not). */
const handled = (r: LoggedRequest) => r.status !== 0 && r.status !== 429 && r.status < 500;
/** The job a request is about: its resource path, lower-cased (a Data Box cancel's without `/cancel`). */
export const jobKeyOf = (r: LoggedRequest) => {
  const path = decodeURIComponent(r.path);
  return (BOX_CANCEL_PATH.exec(path)?.[1] ?? path).toLowerCase();
};
const boxKey = (j: { subscriptionId: string; resourceGroup: string; name: string }) =>
  `/subscriptions/${j.subscriptionId}/resourcegroups/${j.resourceGroup}/providers/microsoft.databox/jobs/${j.name}`.toLowerCase();

function globMatch(patterns: string[] | undefined, value: string): boolean {
  return (patterns ?? []).some((p) =>
    new RegExp(
      `^${p
        .replace(/[.+^${}()|[\]\\]/g, "\\$&")
        .replace(/\*/g, ".*")
        .replace(/\?/g, ".")}$`,
      "i",
    ).test(value),
  );
}

function days(duration: string): number {
  const m = /^P(\d+)D$/.exec(duration);
  if (!m) throw new Error(`campaign oracle reads PnD only, got ${duration}`);
  return Number(m[1]);
}

/**
 * Scope and exemptions, as for any source, then the first enabled rule covering the source, the state (case
 * aside) and the job type: a reason the job is not the policy's, or the rule (undefined when none matches).
 */
function firstRule(
  p: ChaosCase["policy"],
  j: { subscriptionId: string; resourceGroup: string; name: string },
  seen: NonNullable<LoggedRequest["job"]>,
  source: "importexport" | "databox",
  state: string,
  jobType: string,
): string | ChaosCase["policy"]["rules"][number] | undefined {
  if (p.scope?.excludeSubscriptions?.some((s) => s.toLowerCase() === j.subscriptionId.toLowerCase()))
    return "subscription excluded from scope";
  if (!globMatch(p.scope?.resourceGroups ?? ["*"], j.resourceGroup)) return "resource group out of scope";
  if (globMatch(p.scope?.excludeResourceGroups, j.resourceGroup)) return "resource group excluded";
  const types = p.scope?.jobTypes ?? ["Import", "Export"];
  if (!types.some((t) => t.toLowerCase() === jobType.toLowerCase())) return "job type out of scope";
  if (seen.tags?.janitor === "exempt") return "exempt by tag";
  if (globMatch(p.exemptions?.jobNames, j.name)) return "exempt by name";
  return p.rules.find(
    (r) =>
      r.enabled !== false &&
      (r.sources ?? ["importexport", "databox"]).includes(source) &&
      r.states.some((s) => s.toLowerCase() === state.toLowerCase()) &&
      (r.jobTypes ?? ["Import", "Export"]).some((t) => t.toLowerCase() === jobType.toLowerCase()),
  );
}

/**
 * Whether the policy made `action` eligible for this job on the data the service served at the re-read: rule
 * state and action, job type, scope, exemptions, the tracking-number and cancel guards, grace; and, when the job
 * was not changed meanwhile, its age from valid evidence only (never "1", "Jan 1", "2020", no offset).
 */
export function oracle(
  c: ChaosCase,
  job: ChaosJob,
  seen: NonNullable<LoggedRequest["job"]>,
  action: "delete" | "cancel",
  nowMs: number,
): string | undefined {
  const p = c.policy;
  const j = job.seed;
  const served = job.served as {
    properties?: {
      jobType?: string;
      deliveryPackage?: { trackingNumber?: string };
      returnPackage?: { shipDate?: unknown };
    };
    systemData?: { createdAt?: unknown; lastModifiedAt?: unknown };
  };
  const jobType = served.properties?.jobType ?? "";
  const state = seen.state ?? "";
  const chosen = firstRule(p, j, seen, "importexport", state, jobType);
  if (typeof chosen === "string") return chosen;
  const rule = chosen;
  if (!rule) return `no rule for state ${JSON.stringify(state)}`;
  if (rule.action !== action) return `first matching rule ${rule.name} says ${rule.action}`;
  if (
    state.toLowerCase() === "creating" &&
    served.properties?.deliveryPackage?.trackingNumber &&
    p.guards?.skipCreatingWithTrackingNumber !== false
  )
    return "Creating with a tracking number";
  if (action === "cancel" && seen.cancelRequested === true) return "cancel already requested";
  if ((p.guards?.gracePeriod ?? "P1D") !== "PT0S")
    return "within the grace period (first sighting this campaign)";
  // Age only when the job is as seeded (a change resets its evidence in ways the emulator decides).
  if (state !== j.properties.state || state.toLowerCase() === "closed") return undefined;
  const valid = (v: unknown) => (typeof v === "string" && RFC3339.test(v) ? Date.parse(v) : undefined);
  const evidence =
    state.toLowerCase() === "creating"
      ? [valid(served.systemData?.createdAt)]
      : [
          valid(served.systemData?.lastModifiedAt),
          state.toLowerCase() === "completed" ? valid(served.properties?.returnPackage?.shipDate) : undefined,
        ];
  const known = evidence.filter((e): e is number => e !== undefined);
  if (known.length === 0) return "no valid timestamp: its age is unknown (first observed this campaign)";
  const ageDays = (nowMs - Math.max(...known)) / DAY;
  if (ageDays < days(rule.olderThan) - 0.01)
    return `too young: ${ageDays.toFixed(1)} days by the newest valid evidence, rule ${rule.name} needs ${rule.olderThan}`;
  return undefined;
}

// The janitor's Data Box stage table as docs/policy.md "Sources" states it (written here from the docs, not taken
// from the product): delete only in the terminal stages, cancel only before anything has shipped; any other
// stage, or a name that is not exactly one of these (case aside), allows nothing.
const BOX_DELETE_STAGES = [
  "completed",
  "completedwitherrors",
  "completedwithwarnings",
  "cancelled",
  "aborted",
];
const BOX_CANCEL_STAGES = ["deviceordered", "awaitingshipmentdetails"];
/** docs/service.md: in these stages a Data Box job's age runs from its order (createdAt, startTime). */
const BOX_FIRST_STAGES = BOX_CANCEL_STAGES;
const TRANSFER_JOB_TYPE: Record<string, string> = { ImportToAzure: "Import", ExportFromAzure: "Export" };

/**
 * Whether the policy made `action` eligible for a Data Box job on what the service served at the last read before
 * it (docs/service.md "Data Box jobs", docs/policy.md "Sources"): SKU exactly DataBoxCustomerDisk; scope,
 * exemptions and grace as for classic jobs; the first enabled rule covering the databox source, the stage and the
 * job type says this action; the janitor's stage table allows it; the service's own flag on that read is true;
 * and old enough by valid RFC 3339 evidence (createdAt / startTime in the first stages, lastModifiedAt later).
 */
export function boxOracle(
  c: ChaosCase,
  job: BoxChaosJob,
  seen: NonNullable<LoggedRequest["job"]>,
  action: "delete" | "cancel",
  nowMs: number,
): string | undefined {
  const p = c.policy;
  const j = job.seed;
  const served = job.served as {
    properties?: { transferType?: unknown; startTime?: unknown };
    systemData?: { createdAt?: unknown; lastModifiedAt?: unknown };
  };
  if (seen.source !== "databox") return "the read before it was not of a Data Box job";
  if (seen.sku !== "DataBoxCustomerDisk")
    return `a device order (sku ${JSON.stringify(seen.sku)}), never touched`;
  const transfer = typeof served.properties?.transferType === "string" ? served.properties.transferType : "";
  const jobType = TRANSFER_JOB_TYPE[transfer] ?? transfer;
  const stage = seen.status ?? "";
  const lower = stage.toLowerCase();
  const chosen = firstRule(p, j, seen, "databox", stage, jobType);
  if (typeof chosen === "string") return chosen;
  const rule = chosen;
  if (!rule) return `no rule for stage ${JSON.stringify(stage)}`;
  if (rule.action !== action) return `first matching rule ${rule.name} says ${rule.action}`;
  if (!(action === "delete" ? BOX_DELETE_STAGES : BOX_CANCEL_STAGES).includes(lower))
    return `the janitor's stage table allows no ${action} in ${JSON.stringify(stage)}`;
  const flag = action === "delete" ? seen.isDeletable : seen.isCancellable;
  if (flag !== true)
    return `the service's ${action === "delete" ? "isDeletable" : "isCancellable"} was ${String(flag)} on the last read`;
  if ((p.guards?.gracePeriod ?? "P1D") !== "PT0S")
    return "within the grace period (first sighting this campaign)";
  const valid = (v: unknown) => (typeof v === "string" && RFC3339.test(v) ? Date.parse(v) : undefined);
  const first = BOX_FIRST_STAGES.includes(lower);
  if (stage !== j.properties.status && !first)
    // Moved during the campaign: lastModifiedAt (or the janitor's first sighting) is then, minutes ago.
    return "too young: its stage changed during the campaign";
  const evidence = first
    ? [valid(served.systemData?.createdAt), valid(served.properties?.startTime)]
    : [valid(served.systemData?.lastModifiedAt)];
  const known = evidence.filter((e): e is number => e !== undefined);
  if (known.length === 0) return "no valid timestamp: its age is unknown (first observed this campaign)";
  const ageDays = (nowMs - Math.max(...known)) / DAY;
  if (ageDays < days(rule.olderThan) - 0.01)
    return `too young: ${ageDays.toFixed(1)} days by the newest valid evidence, rule ${rule.name} needs ${rule.olderThan}`;
  return undefined;
}

async function readTable(connection: string, name: string): Promise<Record<string, unknown>[]> {
  const table = createTableClient(parseStorageSettings({ JANITOR_STORAGE: connection }), name);
  const rows: Record<string, unknown>[] = [];
  try {
    for await (const e of table.listEntities<Record<string, unknown>>()) rows.push(e);
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode !== 404) throw err;
  }
  return rows;
}

export async function checkInvariants(input: {
  c: ChaosCase;
  log: LoggedRequest[];
  logDropped: number;
  windows: RunWindow[];
  partsSeen: WorkPart[][];
  written: Map<string, WrittenRecord>;
  /** The emulator's Data Box jobs after the case (settled: a succeeded delete has removed its job). */
  boxJobsAfter: DataBoxJobView[];
  /** Every action the case's saved plans proposed. */
  proposed: ProposedAction[];
  runs: RunStore;
  azuriteConnection: string;
  tablePrefix: string;
  logs: string[];
  figures: CaseFigures;
}): Promise<Violation[]> {
  const { c, log, windows } = input;
  const out: Violation[] = [];
  const add = (invariant: Invariant, detail: string) => out.push({ invariant, detail });
  if (input.logDropped > 0) add("harness", `request log dropped ${input.logDropped} entries`);

  const names = tableNames(input.tablePrefix);
  const [auditRows = [], runRows = [], observationRows = [], leaseRows = [], planRows = []] =
    await Promise.all(
      [names.audit, names.runs, names.observations, names.leases, names.plans].map((n) =>
        readTable(input.azuriteConnection, n),
      ),
    );
  const stored: Stored[] = auditRows
    .filter((r) => /^r[!-]/.test(String(r.partitionKey)))
    .map((r) => ({ ...entityToAuditEntry(r as never), storedAt: isoMs(String(r.timestamp)) }));
  const byOrder = (a: Stored, b: Stored) =>
    a.storedAt - b.storedAt || (a.runId === b.runId ? a.seq - b.seq : 0);
  stored.sort(byOrder);

  // 1. forbidden: what the emulator marks (refusals of both sources, $expand=details, listCredentials, read-only
  // subscriptions), and on Data Box paths, by our own reading: never $expand or listCredentials, nothing but reads,
  // a job's DELETE and its POST cancel, and no action the service refused.
  for (const r of log.filter((r) => r.forbidden))
    add("forbidden", `${r.method} ${r.path} answered ${r.status} (${r.rule ?? "?"})`);
  // Outside the job APIs the janitor sends reads only, and Resource Graph's query (a POST that changes nothing).
  for (const r of log.filter(
    (r) => !isBox(r) && !r.path.toLowerCase().includes("/providers/microsoft.importexport/"),
  ))
    if (r.method !== "GET" && !/^\/providers\/Microsoft\.ResourceGraph\/resources$/i.test(r.path))
      add("forbidden", `${r.method} ${r.path}: not a request the janitor may send`);
  for (const r of log.filter((r) => !r.forbidden && isBox(r))) {
    const query = decodeURIComponent(r.query ?? "");
    if (/\$expand/i.test(query) || /listCredentials/i.test(r.path))
      add("forbidden", `${r.method} ${r.path}?${r.query ?? ""}: $expand or listCredentials`);
    else if (r.method !== "GET" && actionOf(r) === undefined)
      add("forbidden", `${r.method} ${r.path}: not a request the janitor may send`);
    else if (actionOf(r) !== undefined && r.status === 409)
      add("forbidden", `${r.method} ${r.path} refused (409) by the service`);
  }

  const allJobs = [...c.jobs, ...c.lateJobs];
  const jobByPath = new Map(
    allJobs.map((j) => [
      `/subscriptions/${j.seed.subscriptionId}/resourcegroups/${j.seed.resourceGroup}/providers/microsoft.importexport/jobs/${j.seed.name}`.toLowerCase(),
      j,
    ]),
  );
  const boxByPath = new Map(c.boxJobs.map((j) => [boxKey(j.seed), j]));
  const boxLeft = new Set(input.boxJobsAfter.map(boxKey));
  // Jobs someone else (a fault's mutate) removed or changed: the service's truth about them is not ours alone.
  const mutated = new Set(
    c.armFaults
      .filter((f) => f.mutate && f.path)
      .map((f) => f.path!.replace(/(\/cancel)?\$$/, "").toLowerCase()),
  );
  let actions = 0;
  let planActions = 0;
  let boxActions = 0;
  for (const w of windows) {
    const arrived = (r: LoggedRequest) => isoMs(r.receivedAt ?? r.at);
    const reqs = log
      .filter((r) => arrived(r) >= w.startMs && arrived(r) <= w.endMs)
      .sort((a, b) => arrived(a) - arrived(b) || a.seq - b.seq);
    const acts = reqs.filter((r) => actionOf(r) !== undefined);
    const trail = stored.filter((e) => e.runId === w.runId);
    if (w.mode === "plan")
      for (const r of acts) add("policy", `${w.runId}: plan run sent ${r.method} ${r.path}`);

    // 2. policy, on the job as the service served it at the last read before the action
    for (const r of acts) {
      const key = jobKeyOf(r);
      const job = jobByPath.get(key);
      const box = boxByPath.get(key);
      if (!job && !box) {
        add("policy", `${w.runId}: ${r.method} ${r.path}: not a seeded job`);
        continue;
      }
      const read = [...reqs]
        .reverse()
        .find((g) => g.seq < r.seq && g.method === "GET" && jobKeyOf(g) === key && g.status === 200 && g.job);
      if (!read?.job) {
        add("policy", `${w.runId}: ${r.method} ${r.path} (request ${r.seq}) without a fresh read before it`);
        continue;
      }
      const at = Date.parse(r.receivedAt ?? r.at);
      const why = box
        ? boxOracle(c, box, read.job, actionOf(r)!, at)
        : oracle(c, job!, read.job, actionOf(r)!, at);
      if (why)
        add(
          "policy",
          `${w.runId}: ${r.method} ${(box ?? job)!.seed.name} (${box ? "Data Box stage" : "state"} ${JSON.stringify(box ? read.job.status : read.job.state)}): ${why}`,
        );
    }

    // 2b. applying a plan: nothing outside the plan minus its exclusions (and the job changed since) is acted on,
    // and the run and every entry of it name the plan and its approver
    if (w.allowed) {
      for (const r of acts) {
        const allowed = w.allowed.get(jobKeyOf(r));
        const what =
          jobKeyOf(r) === w.excluded ? "excluded" : jobKeyOf(r) === w.changed ? "changed" : "not planned";
        if (allowed === undefined)
          add(
            "plan-only",
            `${w.runId}: ${r.method} ${r.path} (request ${r.seq}): ${what}, outside the approved plan`,
          );
        else if (allowed !== actionOf(r))
          add(
            "plan-only",
            `${w.runId}: ${r.method} ${r.path} (request ${r.seq}): the plan proposed ${allowed}`,
          );
      }
      const unnamed = trail.filter((e) => e.planId !== w.planId || e.approvedBy !== "chaos-approver");
      if (unnamed.length > 0)
        add(
          "plan-only",
          `${w.runId}: ${unnamed.length} audit entries without planId ${w.planId} and its approver`,
        );
      const rec = (await input.runs.get(w.runId).catch(() => undefined)) ?? w.run;
      if (rec && (rec.planId !== w.planId || rec.approvedBy !== "chaos-approver"))
        add("plan-only", `${w.runId}: run record names plan ${rec.planId} approved by ${rec.approvedBy}`);
    }

    // 3. caps: distinct jobs the service got an action for
    const acted = new Map<string, string>();
    for (const r of acts.filter(handled)) acted.set(jobKeyOf(r), jobKeyOf(r).split("/")[2]!);
    actions += acted.size;
    boxActions += [...acted.keys()].filter((k) => boxByPath.has(k)).length;
    if (w.allowed) planActions += acted.size;
    const limits = c.policy.limits!;
    if (acted.size > limits.maxActionsPerRun!)
      add("cap-run", `${w.runId}: ${acted.size} jobs acted on, maxActionsPerRun ${limits.maxActionsPerRun}`);
    const perSub = new Map<string, number>();
    for (const sub of acted.values()) perSub.set(sub, (perSub.get(sub) ?? 0) + 1);
    for (const [sub, n] of perSub)
      if (n > limits.maxActionsPerSubscription!)
        add(
          "cap-subscription",
          `${w.runId}: ${n} jobs acted on in ${sub}, maxActionsPerSubscription ${limits.maxActionsPerSubscription}`,
        );

    // 4. no action after one the service carried out (a 429, a 5xx, a dropped request did nothing: the engine
    // re-reads and decides again before it sends again, which is the one retry allowed)
    const done = new Set<string>();
    for (const r of acts) {
      const key = `${jobKeyOf(r)}|${actionOf(r)}`;
      if (done.has(jobKeyOf(r)))
        add(
          "no-double-action",
          `${w.runId}: ${r.method} ${r.path} (request ${r.seq}) after the job was already acted on`,
        );
      if (handled(r) && r.status < 300) done.add(jobKeyOf(r));
      void key;
    }

    // 5. intent stored (table Timestamp) and reported written before the request arrived
    const intents = trail.filter((e) => e.phase === "intent");
    for (const r of acts) {
      const received = isoMs(r.receivedAt ?? r.at);
      const mine = intents.filter((i) => i.jobId?.toLowerCase() === jobKeyOf(r) && i.action === actionOf(r));
      const before = mine.filter((i) => i.storedAt <= received);
      const intent = before[before.length - 1];
      if (!intent) {
        add(
          "intent-before",
          `${w.runId}: ${r.method} ${r.path} (request ${r.seq}) ${mine.length ? `arrived before its intent was stored` : "has no intent"}`,
        );
        continue;
      }
      const reported = input.written.get(`${intent.runId}#${intent.seq}`);
      if (!reported || reported.resolvedAt > received)
        add(
          "intent-before",
          `${w.runId}: ${r.method} ${r.path} (request ${r.seq}) sent before the store confirmed its intent (seq ${intent.seq})`,
        );
    }

    // 6. exactly one outcome per intent, before that job's next intent
    for (const intent of intents) {
      const same = (e: Stored) =>
        e.jobId?.toLowerCase() === intent.jobId?.toLowerCase() && e.action === intent.action;
      const from = trail.indexOf(intent);
      const next = trail.findIndex((e, i) => i > from && e.phase === "intent" && same(e));
      const outcomes = trail
        .slice(from + 1, next === -1 ? undefined : next)
        .filter((e) => e.phase === "outcome" && same(e));
      if (outcomes.length !== 1)
        add(
          "one-outcome",
          `${w.runId}: intent seq ${intent.seq} (${intent.action} ${intent.jobName}) has ${outcomes.length} outcomes`,
        );
    }

    // 7. counts vs the audit log, 8. vs what the service did
    const run = (await input.runs.get(w.runId).catch(() => undefined)) ?? w.run;
    if (!run || !["succeeded", "partial", "failed", "paused"].includes(run.status)) {
      add("run-final", `${w.runId}: status ${run?.status ?? "missing"} after recovery`);
      continue;
    }
    // How the run found its subscriptions is on its record, in the janitor's own words: Resource Graph only in a
    // discovery case and never for a plan's apply; a fallback names a short printable reason.
    const found = run.discovery;
    const graph = c.discovery !== undefined && w.planId === undefined;
    const shapeOk =
      found === "subscriptions" ||
      (graph &&
        (found === "resource-graph" || /^subscriptions \(fallback: [\x20-\x7e]{1,120}\)$/.test(found ?? "")));
    if (found === undefined ? run.partsPlanId !== undefined : !shapeOk)
      add(
        "discovery",
        `${w.runId}: discovery ${JSON.stringify(found)} in a ${graph ? "discovery" : "listing"} case`,
      );
    // An approver's exclusions are entries of the plan run too, written after it: the run's counts predate them.
    const outcomes = trail.filter(
      (e) => e.phase === "outcome" && e.jobId && !(w.mode === "plan" && e.reason === "plan-excluded"),
    );
    const distinct = (pred: (e: Stored) => boolean) =>
      new Set(outcomes.filter(pred).map((e) => e.jobId!.toLowerCase()));
    const deleted = distinct((e) => e.outcome === "succeeded" && e.action === "delete");
    const cancelled = distinct((e) => e.outcome === "succeeded" && e.action === "cancel");
    const last = new Map<string, Stored>();
    for (const e of outcomes) last.set(e.jobId!.toLowerCase(), e);
    const planned = [...last.values()].filter((e) => e.outcome === "planned").length;
    const countsSay = {
      deleted: run.counts.deleted,
      cancelled: run.counts.cancelled,
      planned: run.counts.planned,
    };
    const auditSays = { deleted: deleted.size, cancelled: cancelled.size, planned };
    if (JSON.stringify(countsSay) !== JSON.stringify(auditSays))
      add(
        "counts",
        `${w.runId}: run counts ${JSON.stringify(countsSay)}, audit outcomes ${JSON.stringify(auditSays)}`,
      );
    const classicActs = acts.filter((r) => !isBox(r));
    const serviceDeleted = new Set(
      classicActs.filter((r) => r.method === "DELETE" && r.status === 200).map(jobKeyOf),
    );
    const serviceCancelled = new Set(
      classicActs.filter((r) => r.method === "PATCH" && r.status === 200).map(jobKeyOf),
    );
    for (const k of serviceDeleted)
      if (!deleted.has(k))
        add(
          "outcome-truth",
          `${w.runId}: the service deleted ${k.split("/").pop()}, the audit does not say succeeded`,
        );
    for (const k of [...deleted].filter((k) => !boxByPath.has(k)))
      if (!serviceDeleted.has(k))
        add(
          "outcome-truth",
          `${w.runId}: audit says ${k.split("/").pop()} deleted, no delete of ours was carried out`,
        );
    for (const k of serviceCancelled)
      if (!cancelled.has(k))
        add(
          "outcome-truth",
          `${w.runId}: the service cancelled ${k.split("/").pop()}, the audit does not say succeeded`,
        );

    // 8b. Data Box: a delete is a long-running operation, a cancel answers 204 without the job. Recorded deleted
    // only if a DELETE of ours was accepted and the job is gone afterwards; cancelled only if a cancel of ours was
    // accepted and a later read shows the job Cancelled or not cancellable. Deferred (still running) is fine; an
    // accepted delete that did remove the job, or a cancel the service made, recorded failed is not.
    const boxActs = acts.filter(isBox);
    const accepted = (method: string, k: string) =>
      boxActs.filter((r) => r.method === method && jobKeyOf(r) === k && handled(r) && r.status < 300);
    for (const k of [...deleted].filter((k) => boxByPath.has(k))) {
      if (accepted("DELETE", k).length === 0)
        add(
          "outcome-truth",
          `${w.runId}: audit says ${k.split("/").pop()} deleted, no delete of ours was accepted`,
        );
      else if (boxLeft.has(k))
        add("outcome-truth", `${w.runId}: audit says ${k.split("/").pop()} deleted, the job is still there`);
    }
    const shown = (k: string, afterSeq: number) =>
      reqs.some(
        (g) =>
          g.seq > afterSeq &&
          jobKeyOf(g) === k &&
          g.job?.source === "databox" &&
          (g.job.status?.toLowerCase() === "cancelled" || g.job.isCancellable === false),
      );
    for (const k of [...cancelled].filter((k) => boxByPath.has(k))) {
      const posts = accepted("POST", k);
      if (posts.length === 0)
        add(
          "outcome-truth",
          `${w.runId}: audit says ${k.split("/").pop()} cancelled, no cancel of ours was accepted`,
        );
      else if (!shown(k, posts[0]!.seq))
        add(
          "outcome-truth",
          `${w.runId}: audit says ${k.split("/").pop()} cancelled, no read afterwards shows it Cancelled or not cancellable`,
        );
    }
    const lastOutcome = (k: string) => [...outcomes].reverse().find((e) => e.jobId!.toLowerCase() === k);
    // Gone by the end of this run: absent now, and no later read found it (a later run may have deleted it).
    const goneAfterRun = (k: string) =>
      !boxLeft.has(k) &&
      !log.some((g) => arrived(g) > w.endMs && jobKeyOf(g) === k && g.status === 200 && g.job !== undefined);
    for (const k of new Set(boxActs.map(jobKeyOf))) {
      if (mutated.has(k)) continue;
      const last = lastOutcome(k);
      const name = k.split("/").pop();
      if (
        accepted("DELETE", k).length > 0 &&
        goneAfterRun(k) &&
        last?.action === "delete" &&
        last.outcome === "failed"
      )
        add(
          "outcome-truth",
          `${w.runId}: the service deleted ${name} after our delete, the audit says failed`,
        );
      if (accepted("POST", k).length > 0 && !cancelled.has(k))
        add("outcome-truth", `${w.runId}: the service cancelled ${name}, the audit does not say succeeded`);
    }
  }
  input.figures.actions = actions;
  input.figures.planActions = planActions;
  input.figures.boxActions = boxActions;

  // 9. every entry the store confirmed is stored as it was; copies are complete
  const storedByKey = new Map(stored.map((e) => [`${e.runId}#${e.seq}`, e]));
  for (const [key, { entry }] of input.written) {
    const s = storedByKey.get(key);
    if (!s)
      add(
        "audit-lost",
        `entry ${key} (${entry.phase} ${entry.outcome ?? ""} ${entry.jobName ?? ""}) reported written, not in the table`,
      );
    else if (!sameAuditEntry(s, entry)) add("audit-lost", `entry ${key} stored with other content`);
  }
  const rowKeys = (partition: RegExp) =>
    new Set(auditRows.filter((r) => partition.test(String(r.partitionKey))).map((r) => String(r.rowKey)));
  const timeKeys = rowKeys(/^t/);
  const runKeys = rowKeys(/^r[!-]/); // per-second run partitions, and per-run ones written before
  const jobRows = auditRows.filter((r) => String(r.partitionKey).startsWith("j-")).length;
  const withJob = stored.filter((e) => e.jobId).length;
  if (timeKeys.size !== runKeys.size || [...runKeys].some((k) => !timeKeys.has(k)) || jobRows !== withJob)
    add(
      "audit-lost",
      `copies disagree: ${timeKeys.size} time rows, ${runKeys.size} run rows, ${jobRows} job rows for ${withJob} job entries`,
    );

  // 10. no canary anywhere in storage or logs
  const haystacks: [string, string][] = [
    ["audit table", JSON.stringify(auditRows)],
    ["runs table", JSON.stringify(runRows)],
    ["observations table", JSON.stringify(observationRows)],
    ["leases table", JSON.stringify(leaseRows)],
    ["plans table", JSON.stringify(planRows)],
    ["plans' proposed actions", JSON.stringify(input.proposed)],
    ["logs", input.logs.join("\n")],
  ];
  const canaries = [...allJobs, ...c.boxJobs].flatMap((j) => j.canaries);
  for (const [where, text] of haystacks) {
    if (!text.includes("CANARY-")) continue;
    const found = canaries.filter((k) => text.includes(k));
    if (found.length)
      add("canary", `${where} holds ${found.slice(0, 3).join(", ")}${found.length > 3 ? "..." : ""}`);
  }

  // 12. a run's parts are fixed once: a coordinator redelivery plans the same parts
  if (input.partsSeen.length > 1) {
    const shape = (parts: WorkPart[]) => JSON.stringify(parts.map((p) => [p.index, p.subscriptions]));
    const mainParts = input.partsSeen.slice(0, c.coordinatorRedelivery ? 2 : 1);
    if (mainParts.length === 2 && shape(mainParts[0]!) !== shape(mainParts[1]!))
      add(
        "parts-fixed",
        `coordinator redelivery planned other parts: ${shape(mainParts[0]!)} then ${shape(mainParts[1]!)}`,
      );
  }
  return out;
}
