import { useState } from "preact/hooks";
import { getJson, postJson, type Me, type Page, type RunRecord } from "../api";
import { ActionsChart } from "../chart";
import { ErrorNote, hashLink, Loading, PageTitle, Pager, Status, useLoad } from "../common";
import { duration, when } from "../words";

const COUNTS = ["jobsSeen", "planned", "deleted", "cancelled", "skipped", "refused", "failed", "deferred"];

export function RunsPage({ me }: { me?: Me }) {
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const cursor = cursors[cursors.length - 1];
  const runs = useLoad(() => getJson<Page<RunRecord>>("runs", { limit: "25", cursor }), [cursor]);
  return (
    <section>
      <PageTitle>Runs</PageTitle>
      {me?.canOperate && <StartRun />}
      <ErrorNote error={runs.error} />
      <Loading when={runs.loading && !runs.data} />
      {runs.data && (
        <div class="table-wrap" tabIndex={0} role="region" aria-label="Runs, newest first">
          <table>
            <caption>Runs, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Run</th>
                <th scope="col">Status</th>
                <th scope="col">Trigger</th>
                <th scope="col">Mode</th>
                <th scope="col">Who asked</th>
                <th scope="col">Queued</th>
                <th scope="col">Duration</th>
                {COUNTS.map((c) => (
                  <th scope="col" class="num" key={c}>
                    {c}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {runs.data.items.map((run) => (
                <tr key={run.runId}>
                  <td>
                    <a href={hashLink(`runs/${encodeURIComponent(run.runId)}`)}>{run.runId}</a>
                  </td>
                  <td>
                    <Status value={run.status} />
                  </td>
                  <td>{run.trigger}</td>
                  <td>{run.mode}</td>
                  <td>{run.requestedBy}</td>
                  <td>{when(run.queuedAt)}</td>
                  <td>{duration(run.startedAt, run.finishedAt)}</td>
                  {COUNTS.map((c) => (
                    <td class="num" key={c}>
                      {run.counts?.[c] ?? 0}
                    </td>
                  ))}
                </tr>
              ))}
              {runs.data.items.length === 0 && (
                <tr>
                  <td colSpan={7 + COUNTS.length}>No runs yet.</td>
                </tr>
              )}
            </tbody>
          </table>
        </div>
      )}
      <Pager
        label="Runs pages"
        hasPrevious={cursors.length > 1}
        hasNext={!!runs.data?.nextCursor}
        onPrevious={() => setCursors(cursors.slice(0, -1))}
        onNext={() => setCursors([...cursors, runs.data!.nextCursor!])}
      />
      {/* After the list: the chart reads up to 30,000 audit entries, and the runs' one read must not queue
          behind them (with 100,000 entries stored that put the first rows past 1 s; bench/dashboardBench.ts). */}
      {(runs.data || runs.error) && <ActionsChart />}
    </section>
  );
}

function StartRun() {
  const [reason, setReason] = useState("");
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const start = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const run = await postJson<{ runId: string }>("runs", { mode: "plan", ...(reason && { reason }) });
      location.hash = hashLink(`runs/${encodeURIComponent(run.runId)}`);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="inline-form" onSubmit={start} aria-label="Start a plan run">
      <label for="run-reason">Reason (optional)</label>
      <input
        id="run-reason"
        value={reason}
        maxLength={500}
        onInput={(e) => setReason((e.target as HTMLInputElement).value)}
      />
      <button type="submit" disabled={busy}>
        Start a plan run
      </button>
      <ErrorNote error={error} />
    </form>
  );
}
