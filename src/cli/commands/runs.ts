// `ie-janitor runs`: the latest runs, newest first, as a table or as JSON
// (`{"items", "nextCursor"}`, as `GET /api/runs` answers).
import type { RunRecord } from "../../domain/records";
import type { RunStore } from "../../engine/ports";
import { ValidationError } from "../../errors";
import { EXIT, type CliIO } from "../io";
import { limitFlag } from "../limitFlag";
import { renderTable } from "../table";

export interface RunsFlags {
  limit?: string | number;
  json?: boolean;
  cursor?: string;
}

const DEFAULT_LIMIT = 20;
const MAX_LIMIT = 1000;

export async function runRunsCommand(
  flags: RunsFlags,
  deps: { runs: Pick<RunStore, "list"> },
  io: CliIO,
): Promise<number> {
  const limit = limitFlag(flags.limit, DEFAULT_LIMIT, MAX_LIMIT);
  if (limit === undefined) {
    io.stderr(
      `ie-janitor runs: --limit: must be a whole number from 1 to ${MAX_LIMIT} (default ${DEFAULT_LIMIT})\n`,
    );
    return EXIT.usage;
  }

  let page;
  try {
    page = await deps.runs.list({ limit, ...(flags.cursor !== undefined ? { cursor: flags.cursor } : {}) });
  } catch (err) {
    if (err instanceof ValidationError) {
      for (const p of err.problems) io.stderr(`ie-janitor runs: --${p.field}: ${p.message}\n`);
      return EXIT.usage;
    }
    io.stderr(`ie-janitor runs: failed: ${(err as Error)?.message ?? String(err)}\n`);
    return EXIT.failed;
  }

  if (flags.json) {
    io.stdout(`${JSON.stringify({ items: page.items, nextCursor: page.nextCursor ?? null }, null, 2)}\n`);
    return EXIT.done;
  }
  if (page.items.length === 0) io.stderr("no runs yet\n");
  else io.stdout(renderTable(HEADER, page.items.map(row)));
  if (page.nextCursor) io.stderr(`more runs: repeat with --cursor ${page.nextCursor}\n`);
  return EXIT.done;
}

const HEADER = [
  "RUN",
  "STATUS",
  "MODE",
  "TRIGGER",
  "QUEUED",
  "FINISHED",
  "SUBS",
  "JOBS",
  "PLANNED",
  "DELETED",
  "CANCELLED",
  "SKIPPED",
  "REFUSED",
  "FAILED",
  "DEFERRED",
];

function row(run: RunRecord): string[] {
  const c = run.counts;
  const time = (iso: string | undefined) => (iso ? iso.replace(/\.\d{3}Z$/, "Z") : "");
  return [
    run.runId,
    run.status,
    run.mode,
    run.trigger,
    time(run.queuedAt),
    time(run.finishedAt),
    c.subscriptionsFailed > 0
      ? `${c.subscriptionsScanned} (${c.subscriptionsFailed} failed)`
      : String(c.subscriptionsScanned),
    String(c.jobsSeen),
    String(c.planned),
    String(c.deleted),
    String(c.cancelled),
    String(c.skipped),
    String(c.refused),
    String(c.failed),
    String(c.deferred),
  ];
}
