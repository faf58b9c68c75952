import { useEffect, useState } from "preact/hooks";
import { getJson, type AuditEntry, type Page, type RunRecord } from "../api";
import { ErrorNote, hashLink, jobLink, Loading, PageTitle, Status, useLoad } from "../common";
import { duration, reasonWords, when } from "../words";

/** A run's entries are read whole up to this many pages of 1000 (a run acts on a few hundred jobs at most). */
const MAX_PAGES = 10;

async function runEntries(runId: string): Promise<AuditEntry[]> {
  const all: AuditEntry[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = await getJson<Page<AuditEntry>>("audit", { runId, limit: "1000", cursor });
    all.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor && ++pages < MAX_PAGES);
  return all;
}

const SUB_REASONS = ["breaker-tripped", "listing-failed", "lease-held", "deadline", "subscription-state"];

export function RunPage({ runId }: { runId: string }) {
  const run = useLoad(() => getJson<RunRecord>(`runs/${encodeURIComponent(runId)}`), [runId]);
  const finished = run.data && !["queued", "running"].includes(run.data.status);
  // While it runs, the page follows it.
  useEffect(() => {
    if (!run.data || finished) return;
    const timer = setTimeout(run.reload, 1000);
    return () => clearTimeout(timer);
  }, [run.data, finished]);
  const entries = useLoad(() => runEntries(runId), [runId, finished]);
  const [outcome, setOutcome] = useState("");
  const [reason, setReason] = useState("");
  const r = run.data;
  const items = entries.data ?? [];
  const decisions = items.filter((e) => e.phase !== "intent");
  const outcomes = [...new Set(decisions.map((e) => e.outcome))].sort();
  const reasons = [...new Set(decisions.map((e) => e.reason))].sort();
  const shown = decisions.filter(
    (e) => (!outcome || e.outcome === outcome) && (!reason || e.reason === reason),
  );
  const subs = new Map<string, Record<string, number>>();
  for (const e of decisions) {
    const row = subs.get(e.subscriptionId) ?? {};
    row[e.outcome] = (row[e.outcome] ?? 0) + 1;
    if (SUB_REASONS.includes(e.reason)) row[e.reason] = (row[e.reason] ?? 0) + 1;
    subs.set(e.subscriptionId, row);
  }
  return (
    <section>
      <PageTitle>Run {runId}</PageTitle>
      <ErrorNote error={run.error} />
      <Loading when={run.loading && !r} />
      {r && (
        <>
          <dl class="facts">
            <dt>Status</dt>
            <dd>
              <Status value={r.status} />
            </dd>
            <dt>Trigger</dt>
            <dd>{r.trigger}</dd>
            <dt>Mode</dt>
            <dd>{r.mode}</dd>
            <dt>Who asked</dt>
            <dd>{r.requestedBy}</dd>
            {r.note && (
              <>
                <dt>Reason given</dt>
                <dd>{r.note}</dd>
              </>
            )}
            <dt>Queued</dt>
            <dd>{when(r.queuedAt)}</dd>
            <dt>Duration</dt>
            <dd>{duration(r.startedAt, r.finishedAt) || "not finished"}</dd>
            <dt>Policy hash</dt>
            <dd class="mono">{r.policyHash}</dd>
            {r.error && (
              <>
                <dt>Error</dt>
                <dd>{r.error}</dd>
              </>
            )}
          </dl>
          <h2>Subscriptions</h2>
          <ul class="counts">
            <li>scanned: {r.counts.subscriptionsScanned ?? 0}</li>
            <li>failed: {r.counts.subscriptionsFailed ?? 0}</li>
            <li>deferred: {r.counts.subscriptionsDeferred ?? 0}</li>
            <li>jobs seen: {r.counts.jobsSeen ?? 0}</li>
          </ul>
          {subs.size > 0 && (
            <div class="table-wrap" tabIndex={0} role="region" aria-label="Decisions per subscription">
              <table>
                <caption>
                  Written decisions per subscription (breaker, failures and deferrals included)
                </caption>
                <thead>
                  <tr>
                    <th scope="col">Subscription</th>
                    <th scope="col">Entries</th>
                    <th scope="col">Audit</th>
                  </tr>
                </thead>
                <tbody>
                  {[...subs].map(([sub, row]) => (
                    <tr key={sub}>
                      <td class="mono">{sub}</td>
                      <td>
                        {Object.entries(row)
                          .map(([k, n]) => `${k}: ${n}`)
                          .join(", ")}
                      </td>
                      <td>
                        <a href={hashLink("audit", { runId, subscriptionId: sub })}>entries</a>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          {r.reasons && Object.keys(r.reasons).length > 0 && (
            <p>
              Counted, not written one by one:{" "}
              {Object.entries(r.reasons)
                .map(([k, n]) => `${reasonWords(k)} (${k}): ${n}`)
                .join("; ")}
            </p>
          )}
        </>
      )}
      <h2>Decisions</h2>
      <p>
        <a href={hashLink("audit", { runId })}>This run in the audit log</a>
      </p>
      <div class="filters">
        <label>
          Outcome
          <select value={outcome} onChange={(e) => setOutcome((e.target as HTMLSelectElement).value)}>
            <option value="">any</option>
            {outcomes.map((o) => (
              <option key={o}>{o}</option>
            ))}
          </select>
        </label>
        <label>
          Reason
          <select value={reason} onChange={(e) => setReason((e.target as HTMLSelectElement).value)}>
            <option value="">any</option>
            {reasons.map((o) => (
              <option key={o} value={o}>
                {reasonWords(o)}
              </option>
            ))}
          </select>
        </label>
      </div>
      <ErrorNote error={entries.error} />
      <p aria-live="polite">{entries.data ? `${shown.length} of ${decisions.length} decisions` : ""}</p>
      <div class="table-wrap" tabIndex={0} role="region" aria-label="Decisions of the run">
        <table>
          <thead>
            <tr>
              <th scope="col">Time</th>
              <th scope="col">Job</th>
              <th scope="col">Resource group</th>
              <th scope="col">State</th>
              <th scope="col">Action</th>
              <th scope="col">Outcome</th>
              <th scope="col">Why</th>
              <th scope="col">History</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((e) => (
              <tr key={`${e.runId}-${e.seq}`}>
                <td>{when(e.timestamp)}</td>
                <td>
                  <a href={jobLink(e)}>{e.jobName}</a>
                </td>
                <td>{e.resourceGroup}</td>
                <td>{e.stateBefore}</td>
                <td>{e.action}</td>
                <td>
                  <Status value={e.outcome} />
                </td>
                <td>
                  {reasonWords(e.reason)}
                  {e.rule ? ` (rule ${e.rule})` : ""}
                </td>
                <td>
                  <a href={hashLink("audit", { jobId: e.jobId })}>audit</a>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
