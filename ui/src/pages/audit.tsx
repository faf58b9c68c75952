import { useEffect, useMemo, useState } from "preact/hooks";
import { auditEntriesToCsv } from "../../../src/domain/auditCsv";
import type { AuditEntry as DomainEntry } from "../../../src/domain/records";
import { getJson, type AuditEntry, type Page } from "../api";
import { ErrorNote, hashLink, jobLink, Loading, PageTitle, Pager, Status, useLoad } from "../common";
import { ACTIONS, OUTCOMES, reasonWords, when } from "../words";

/** The filters of GET /api/audit, in the API's own names. */
const TEXT_FIELDS: [string, string][] = [
  ["from", "From (UTC, ISO 8601)"],
  ["to", "To (UTC, ISO 8601)"],
  ["subscriptionId", "Subscription id"],
  ["resourceGroup", "Resource group"],
  ["jobName", "Job name"],
  ["jobId", "Job resource id"],
  ["runId", "Run id"],
];
const FIELDS = [...TEXT_FIELDS.map(([f]) => f), "action", "outcome", "limit"];

export function AuditPage({ query }: { query: URLSearchParams }) {
  const filters = useMemo(() => {
    const f: Record<string, string> = {};
    for (const name of FIELDS) {
      const v = query.get(name);
      if (v) f[name] = v;
    }
    if (!f.runId && !f.jobId && !f.from && !f.to) {
      f.to = new Date().toISOString();
      f.from = new Date(Date.now() - 7 * 86_400_000).toISOString();
    }
    f.limit ??= "100";
    return f;
  }, [query.toString()]);
  const [form, setForm] = useState(filters);
  useEffect(() => setForm(filters), [filters]);
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  useEffect(() => setCursors([undefined]), [filters]);
  const cursor = cursors[cursors.length - 1];
  const page = useLoad(() => getJson<Page<AuditEntry>>("audit", { ...filters, cursor }), [filters, cursor]);
  const [csvUrl, setCsvUrl] = useState<string>();
  useEffect(() => {
    if (!page.data) return setCsvUrl(undefined);
    // Exactly the rows shown, written by the same CSV code the API's format=csv uses.
    const csv = auditEntriesToCsv(page.data.items as unknown as DomainEntry[], { header: true });
    const url = URL.createObjectURL(new Blob([csv], { type: "text/csv;charset=utf-8" }));
    setCsvUrl(url);
    return () => URL.revokeObjectURL(url);
  }, [page.data]);

  const submit = (event: Event) => {
    event.preventDefault();
    const clean: Record<string, string> = {};
    for (const [k, v] of Object.entries(form)) if (v.trim()) clean[k] = v.trim();
    location.hash = hashLink("audit", clean);
  };
  const set = (name: string) => (e: Event) =>
    setForm({ ...form, [name]: (e.target as HTMLInputElement | HTMLSelectElement).value });

  return (
    <section>
      <PageTitle>Audit log</PageTitle>
      <form class="filters audit-form" onSubmit={submit} aria-label="Audit filters">
        {TEXT_FIELDS.map(([name, label]) => (
          <label key={name}>
            {label}
            <input name={name} value={form[name] ?? ""} onInput={set(name)} />
          </label>
        ))}
        <label>
          Action
          <select name="action" value={form.action ?? ""} onChange={set("action")}>
            <option value="">any</option>
            {ACTIONS.map((a) => (
              <option key={a}>{a}</option>
            ))}
          </select>
        </label>
        <label>
          Outcome
          <select name="outcome" value={form.outcome ?? ""} onChange={set("outcome")}>
            <option value="">any</option>
            {OUTCOMES.map((o) => (
              <option key={o}>{o}</option>
            ))}
          </select>
        </label>
        <label>
          Rows per page
          <select name="limit" value={form.limit ?? "100"} onChange={set("limit")}>
            {["25", "100", "500", "1000"].map((n) => (
              <option key={n}>{n}</option>
            ))}
          </select>
        </label>
        <div class="form-buttons">
          <button type="submit">Show entries</button>
          <a class="button" href={hashLink("audit")}>
            Clear
          </a>
        </div>
      </form>
      <p class="note">
        A time range of at most 31 days is needed unless a run or a job is given. Newest entries first.
      </p>
      <ErrorNote error={page.error} />
      <Loading when={page.loading} />
      {page.data && (
        <p aria-live="polite">
          {page.data.items.length} entries on this page{page.data.nextCursor ? "; more on the next" : ""}.{" "}
          {csvUrl && (
            <a href={csvUrl} download={`audit-page-${cursors.length}.csv`} class="button">
              Download these rows as CSV
            </a>
          )}
        </p>
      )}
      <div class="table-wrap" tabIndex={0} role="region" aria-label="Audit entries">
        <table>
          <thead>
            <tr>
              <th scope="col">Time</th>
              <th scope="col">Run</th>
              <th scope="col">Actor</th>
              <th scope="col">Job</th>
              <th scope="col">Resource group</th>
              <th scope="col">Action</th>
              <th scope="col">Phase</th>
              <th scope="col">Outcome</th>
              <th scope="col">Why</th>
              <th scope="col">History</th>
            </tr>
          </thead>
          <tbody>
            {(page.data?.items ?? []).map((e) => (
              <tr key={`${e.runId}-${e.seq}-${e.phase}`}>
                <td>{when(e.timestamp)}</td>
                <td>
                  <a href={hashLink(`runs/${encodeURIComponent(e.runId)}`)}>{e.runId}</a>
                </td>
                <td>{e.actor}</td>
                <td>
                  <a href={jobLink(e)}>{e.jobName}</a>
                </td>
                <td>{e.resourceGroup}</td>
                <td>{e.action}</td>
                <td>{e.phase}</td>
                <td>
                  {/* An intent entry has no outcome yet (its outcome entry follows it). */}
                  {e.outcome && <Status value={e.outcome} />}
                </td>
                <td>
                  {reasonWords(e.reason)}
                  {e.errorMessage ? `: ${e.errorMessage}` : ""}
                </td>
                <td>
                  <a href={hashLink("audit", { jobId: e.jobId })}>job history</a>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <Pager
        label="Audit pages"
        hasPrevious={cursors.length > 1}
        hasNext={!!page.data?.nextCursor}
        onPrevious={() => setCursors(cursors.slice(0, -1))}
        onNext={() => setCursors([...cursors, page.data!.nextCursor!])}
      />
    </section>
  );
}
