import { z } from "zod";
import { checkDuration } from "../../../src/domain/duration";
import { ValidationError, type FieldProblem } from "../../../src/errors";
import type { EmulatorState, SeedInput } from "./EmulatorState";
import { parseFaults } from "./FaultInjector";
import type { StoredJob } from "./JobStore";
import { dataBoxJobResponse } from "./dataBoxApi";
import type { DataBoxJobStore, StoredDataBoxJob } from "./DataBoxJobStore";
import { parseSeed } from "./seed";
import { jobResponse } from "./wireFormat";
import { zodProblems } from "../../../src/validation/zodProblems";

// The control API under /_emulator (README.md#control-api): tests, benchmarks and the local host steer the
// emulator with it. No auth, no throttling, not in the ARM request log. Every body is validated first; a bad one
// answers 400 `{"error":{"code":"InvalidRequest","message":"<field>: <problem>"}}` and changes nothing.

export interface ControlReply {
  status: number;
  body: unknown;
}

/** A job as `GET /_emulator/jobs` shows it: the wire body plus the emulator's own timestamps. */
export interface EmulatorJobView {
  source: "importexport";
  subscriptionId: string;
  resourceGroup: string;
  name: string;
  state?: string;
  createdAt: string;
  stateEnteredAt: string;
  cancelCompletesAt?: string;
  job: Record<string, unknown>;
}

export function jobView(job: StoredJob): EmulatorJobView {
  const view: EmulatorJobView = {
    source: "importexport",
    subscriptionId: job.subscriptionId,
    resourceGroup: job.resourceGroup,
    name: job.name,
    state: job.properties.state,
    createdAt: new Date(job.createdAtMs).toISOString(),
    stateEnteredAt: new Date(job.stateEnteredAtMs).toISOString(),
    job: jobResponse(job),
  };
  if (job.cancelCompletesAtMs !== undefined)
    view.cancelCompletesAt = new Date(job.cancelCompletesAtMs).toISOString();
  return view;
}

/** A Data Box job as `GET /_emulator/jobs` shows it: the wire body with `details`, its flags and its own times. */
export interface DataBoxJobView {
  source: "databox";
  subscriptionId: string;
  resourceGroup: string;
  name: string;
  sku: string;
  status?: string;
  isCancellable: boolean;
  isDeletable: boolean;
  addedAt: string;
  stageEnteredAt: string;
  /** The id of the delete operation under way. */
  deletingOperationId?: string;
  job: Record<string, unknown>;
}

export function dataBoxJobView(job: StoredDataBoxJob, store: DataBoxJobStore): DataBoxJobView {
  const flags = store.flags(job);
  const view: DataBoxJobView = {
    source: "databox",
    subscriptionId: job.subscriptionId,
    resourceGroup: job.resourceGroup,
    name: job.name,
    sku: job.sku.name,
    status: job.properties.status,
    isCancellable: flags.isCancellable,
    isDeletable: flags.isDeletable,
    addedAt: new Date(job.addedAtMs).toISOString(),
    stageEnteredAt: new Date(job.stageEnteredAtMs).toISOString(),
    job: dataBoxJobResponse(job, store, true),
  };
  const running = store.runningDelete(job);
  if (running !== undefined) view.deletingOperationId = running.id;
  return view;
}

const ok = (body: unknown): ControlReply => ({ status: 200, body });

function invalid(problems: FieldProblem[]): ControlReply {
  return {
    status: 400,
    body: {
      error: {
        code: "InvalidRequest",
        message: problems.map((p) => `${p.field}: ${p.message}`).join("; "),
        details: problems.map((p) => ({ code: "InvalidRequest", target: p.field, message: p.message })),
      },
    },
  };
}

function notFound(message: string): ControlReply {
  return { status: 404, body: { error: { code: "NotFound", message } } };
}

const resetBody = z.strictObject({
  seed: z
    .union([z.literal("demo"), z.looseObject({})], { message: 'expected "demo" or a seed object' })
    .optional(),
  settings: z.looseObject({}, { message: "expected an object of emulator settings" }).optional(),
});

const clockBody = z.union(
  [
    z.strictObject({
      now: z.string().refine((s) => /^\d{4}-\d{2}-\d{2}T/.test(s) && !Number.isNaN(Date.parse(s)), {
        message: "expected an ISO 8601 date-time, e.g. 2030-01-01T00:00:00Z",
      }),
    }),
    z.strictObject({
      advance: z.string().refine((s) => !("error" in checkDuration(s)), {
        message: "expected an ISO 8601 duration, e.g. P1D or PT1H",
      }),
    }),
  ],
  { message: 'expected {"now": "<ISO 8601 date-time>"} or {"advance": "<ISO 8601 duration>"}' },
);

const stateBody = z.strictObject({
  state: z.string().min(1, "expected a non-empty state name, e.g. Completed"),
  source: z.enum(["importexport", "databox"]).optional(),
});

/** Serves one control request; `path` is what follows `/_emulator`. */
export function handleControl(
  method: string,
  path: string,
  query: URLSearchParams,
  body: unknown,
  state: EmulatorState,
): ControlReply {
  try {
    return route(method, path.replace(/\/+$/, ""), query, body, state);
  } catch (error) {
    if (error instanceof ValidationError) return invalid(error.problems);
    throw error;
  }
}

function route(
  method: string,
  path: string,
  query: URLSearchParams,
  body: unknown,
  state: EmulatorState,
): ControlReply {
  const key = `${method} ${path}`;
  switch (key) {
    case "GET ":
      return ok(summary(state));
    case "POST /reset":
      return reset(body, state);
    case "GET /settings":
      return ok(state.settings);
    case "POST /settings":
      // A patch on the settings in force: jobs, clock, faults and the log stay (e.g. resourceGraphLagMs mid-test).
      return ok(state.updateSettings(body ?? {}));
    case "POST /jobs": {
      const seed = parseSeed(body ?? {}, "");
      return ok(state.load(seed));
    }
    case "GET /jobs": {
      // Both sources unless `source` says which (each item says its own).
      const source = query.get("source");
      if (source !== null && source !== "importexport" && source !== "databox") {
        return invalid([{ field: "source", message: "expected importexport or databox" }]);
      }
      const subscriptionId = query.get("subscriptionId") ?? undefined;
      const items: Array<EmulatorJobView | DataBoxJobView> = [];
      if (source !== "databox") items.push(...state.store.all(subscriptionId).map(jobView));
      if (source !== "importexport")
        items.push(...state.dataBox.all(subscriptionId).map((job) => dataBoxJobView(job, state.dataBox)));
      return ok({ count: items.length, items });
    }
    case "GET /clock":
      return ok({ now: state.clock.nowIso() });
    case "POST /clock":
      return setClock(body, state);
    case "GET /faults":
      return ok({ faults: state.faults.list() });
    case "POST /faults":
      state.faults.add(parseFaults(body));
      return ok({ faults: state.faults.list() });
    case "DELETE /faults":
      state.faults.clear();
      return ok({ faults: [] });
    case "GET /requests": {
      const since = query.get("since");
      if (since !== null && !/^\d+$/.test(since)) {
        return invalid([{ field: "since", message: "expected a whole number (a request seq)" }]);
      }
      const forbidden = query.get("forbidden");
      if (forbidden !== null && forbidden !== "true" && forbidden !== "false") {
        return invalid([{ field: "forbidden", message: "expected true or false" }]);
      }
      return ok(
        state.requests.page({
          forbiddenOnly: forbidden === "true",
          since: since === null ? 0 : Number(since),
        }),
      );
    }
  }
  const stateMatch = /^\/jobs\/([^/]+)\/([^/]+)\/([^/]+)\/state$/.exec(path);
  if (stateMatch !== null && method === "POST") {
    let parts: string[];
    try {
      parts = stateMatch.slice(1).map(decodeURIComponent);
    } catch {
      return invalid([{ field: "path", message: "not valid URL encoding" }]);
    }
    const [subscriptionId, resourceGroup, name] = parts as [string, string, string];
    return forceState(subscriptionId, resourceGroup, name, body, state);
  }
  return notFound(
    `The control API has no '${method} /_emulator${path}'. It serves: GET /, POST /reset, GET|POST /settings, ` +
      "POST|GET /jobs, POST /jobs/{subscriptionId}/{resourceGroup}/{jobName}/state, GET|POST /clock, " +
      "GET|POST|DELETE /faults, GET /requests.",
  );
}

function reset(body: unknown, state: EmulatorState): ControlReply {
  let seed: SeedInput | undefined;
  let settings: unknown;
  if (body === undefined || body === null) {
    seed = undefined;
  } else if (
    typeof body === "object" &&
    !Array.isArray(body) &&
    ("subscriptions" in body || "jobs" in body)
  ) {
    // `POST /reset` takes an optional seed body (README.md#control-api): a bare seed is accepted too.
    seed = body as SeedInput;
  } else {
    const parsed = resetBody.safeParse(body);
    if (!parsed.success) return invalid(zodProblems(parsed.error));
    seed = parsed.data.seed as SeedInput | undefined;
    settings = parsed.data.settings;
  }
  state.reset(seed, settings);
  return ok(summary(state));
}

/** What `GET /_emulator` and a reset answer: the clock, the counts of both sources and the settings. */
function summary(state: EmulatorState): Record<string, unknown> {
  return {
    now: state.clock.nowIso(),
    subscriptions: state.store.listSubscriptions().length,
    jobs: state.store.size + state.dataBox.size,
    classicJobs: state.store.size,
    dataBoxJobs: state.dataBox.size,
    settings: state.settings,
  };
}

function setClock(body: unknown, state: EmulatorState): ControlReply {
  const parsed = clockBody.safeParse(body);
  if (!parsed.success) {
    // A union error says little; name the field the caller most likely meant.
    const problems = zodProblems(parsed.error);
    if (body !== null && typeof body === "object" && !Array.isArray(body)) {
      const b = body as Record<string, unknown>;
      if ("now" in b && "advance" in b)
        return invalid([{ field: "body", message: "give either now or advance, not both" }]);
      if ("now" in b)
        return invalid([
          { field: "now", message: "expected an ISO 8601 date-time, e.g. 2030-01-01T00:00:00Z" },
        ]);
      if ("advance" in b)
        return invalid([{ field: "advance", message: "expected an ISO 8601 duration, e.g. P1D or PT1H" }]);
    }
    return invalid(problems);
  }
  if ("now" in parsed.data) state.clock.set(Date.parse(parsed.data.now));
  else {
    const result = checkDuration(parsed.data.advance);
    if ("ms" in result) state.clock.advance(result.ms);
  }
  return ok({ now: state.clock.nowIso() });
}

function forceState(
  subscriptionId: string,
  resourceGroup: string,
  name: string,
  body: unknown,
  state: EmulatorState,
): ControlReply {
  const parsed = stateBody.safeParse(body);
  if (!parsed.success) return invalid(zodProblems(parsed.error));
  const { source } = parsed.data;
  const job = source === "databox" ? undefined : state.store.get(subscriptionId, resourceGroup, name);
  if (job !== undefined) {
    state.store.setState(job, parsed.data.state);
    return ok(jobView(job));
  }
  // Without `source`, a name only a Data Box job has is that job.
  const dataBoxJob =
    source === "importexport" ? undefined : state.dataBox.get(subscriptionId, resourceGroup, name);
  if (dataBoxJob === undefined) {
    const what = source === "databox" ? "Data Box job" : source === "importexport" ? "classic job" : "job";
    return notFound(
      `No ${what} '${name}' in ${subscriptionId}/${resourceGroup} (it may have expired or been deleted).`,
    );
  }
  state.dataBox.setStatus(dataBoxJob, parsed.data.state);
  return ok(dataBoxJobView(dataBoxJob, state.dataBox));
}
