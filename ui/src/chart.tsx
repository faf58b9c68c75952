// Actions per day by outcome over the last 30 days, counted from the audit API's entries (outcome phase only, so
// an action is counted once). uPlot draws it; a table under it holds the same numbers for screen readers.
import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";
import { getJson, type AuditEntry, type Page } from "./api";
import { ErrorNote, useLoad } from "./common";
import { OUTCOMES } from "./words";

const DAY = 86_400_000;
const DAYS = 30;
/** At most this many entries are read for the chart (30 pages of the API's largest page). */
const MAX_PAGES = 30;
const COLOURS: Record<string, string> = {
  planned: "#3a6ea5",
  succeeded: "#2e7d32",
  skipped: "#757575",
  refused: "#b26a00",
  failed: "#c62828",
  deferred: "#6a1b9a",
};

interface Counts {
  days: number[];
  byOutcome: Record<string, number[]>;
  truncated: boolean;
}

async function loadCounts(): Promise<Counts> {
  const end = Math.ceil(Date.now() / DAY) * DAY;
  const start = end - DAYS * DAY;
  const days = Array.from({ length: DAYS }, (_, i) => (start + i * DAY) / 1000);
  const byOutcome: Record<string, number[]> = Object.fromEntries(OUTCOMES.map((o) => [o, days.map(() => 0)]));
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = await getJson<Page<AuditEntry>>("audit", {
      from: new Date(start).toISOString(),
      to: new Date(Math.min(end, Date.now())).toISOString(),
      limit: "1000",
      cursor,
    });
    for (const e of page.items) {
      if (e.phase !== "outcome" || e.action === "none") continue;
      const i = Math.floor((Date.parse(e.timestamp) - start) / DAY);
      const series = byOutcome[e.outcome];
      if (series && i >= 0 && i < DAYS) series[i]! += 1;
    }
    cursor = page.nextCursor ?? undefined;
    pages += 1;
  } while (cursor && pages < MAX_PAGES);
  return { days, byOutcome, truncated: !!cursor };
}

export function ActionsChart() {
  const counts = useLoad(loadCounts, []);
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const data = counts.data;
    if (!data || !box.current) return;
    const el = box.current;
    const width = () => Math.max(280, el.clientWidth);
    const plot = new uPlot(
      {
        width: width(),
        height: 240,
        series: [
          {},
          ...OUTCOMES.map((o) => ({ label: o, stroke: COLOURS[o], width: 2, points: { show: true } })),
        ],
        axes: [{}, { label: "actions" }],
        scales: { x: { time: true } },
      },
      [data.days, ...OUTCOMES.map((o) => data.byOutcome[o]!)],
      el,
    );
    const resize = () => plot.setSize({ width: width(), height: 240 });
    window.addEventListener("resize", resize);
    return () => {
      window.removeEventListener("resize", resize);
      plot.destroy();
    };
  }, [counts.data]);
  const data = counts.data;
  const active = data ? OUTCOMES.filter((o) => data.byOutcome[o]!.some((n) => n > 0)) : [];
  return (
    <section aria-labelledby="chart-title">
      <h2 id="chart-title">Actions per day by outcome, last {DAYS} days</h2>
      <ErrorNote error={counts.error} />
      <div
        ref={box}
        class="chart"
        role="img"
        aria-label="Chart of actions per day by outcome; the table below has the numbers"
      />
      {data?.truncated && <p class="note">Only the newest {MAX_PAGES * 1000} entries are counted.</p>}
      {data && (
        <details>
          <summary>The chart's numbers</summary>
          <div class="table-wrap" tabIndex={0} role="region" aria-label="Actions per day">
            <table>
              <thead>
                <tr>
                  <th scope="col">Day (UTC)</th>
                  {active.map((o) => (
                    <th scope="col" class="num" key={o}>
                      {o}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {data.days.map((d, i) =>
                  active.some((o) => data.byOutcome[o]![i]! > 0) ? (
                    <tr key={d}>
                      <td>{new Date(d * 1000).toISOString().slice(0, 10)}</td>
                      {active.map((o) => (
                        <td class="num" key={o}>
                          {data.byOutcome[o]![i]}
                        </td>
                      ))}
                    </tr>
                  ) : null,
                )}
              </tbody>
            </table>
          </div>
        </details>
      )}
    </section>
  );
}
