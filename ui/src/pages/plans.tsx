// Saved plans and their approval (GET /api/plans..., POST .../approve and .../reject), through the same handlers.
import { useState } from "preact/hooks";
import { ApiError, getJson, postJson, type Me, type Page } from "../api";
import { ErrorNote, errorText, hashLink, jobLink, Loading, PageTitle, Status, useLoad } from "../common";
import { when } from "../words";

interface Plan {
  planId: string;
  status: string;
  createdAt: string;
  expiresAt?: string;
  requestedBy: string;
  policyHash?: string;
  counts?: Record<string, number>;
  approvedBy?: string;
  rejectedBy?: string;
  comment?: string;
  excluded?: string[];
  appliedRunId?: string;
}

interface ProposedAction {
  jobId: string;
  subscriptionId: string;
  resourceGroup: string;
  jobName: string;
  jobType?: string;
  state: string;
  rule: string;
  action: string;
  ageDays?: number;
}

const notAvailable = (err: unknown) => err instanceof ApiError && err.status === 404;

async function loadPlans(): Promise<{ pending: Plan[]; others: Plan[]; missing?: boolean }> {
  try {
    const [pending, all] = await Promise.all([
      getJson<Page<Plan>>("plans", { status: "pending", limit: "100" }),
      getJson<Page<Plan>>("plans", { limit: "100" }),
    ]);
    return { pending: pending.items, others: all.items.filter((p) => p.status !== "pending") };
  } catch (err) {
    if (notAvailable(err)) return { pending: [], others: [], missing: true };
    throw err;
  }
}

function PlanTable({ plans, caption }: { plans: Plan[]; caption: string }) {
  return (
    <div class="table-wrap" tabIndex={0} role="region" aria-label={caption}>
      <table>
        <caption>{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Plan</th>
            <th scope="col">Status</th>
            <th scope="col">Made</th>
            <th scope="col">Expires</th>
            <th scope="col">Who asked</th>
            <th scope="col">Approved by</th>
          </tr>
        </thead>
        <tbody>
          {plans.map((p) => (
            <tr key={p.planId}>
              <td>
                <a href={hashLink(`plans/${encodeURIComponent(p.planId)}`)}>{p.planId}</a>
              </td>
              <td>
                <Status value={p.status} />
              </td>
              <td>{when(p.createdAt)}</td>
              <td>{when(p.expiresAt)}</td>
              <td>{p.requestedBy}</td>
              <td>{p.approvedBy ?? ""}</td>
            </tr>
          ))}
          {plans.length === 0 && (
            <tr>
              <td colSpan={6}>None.</td>
            </tr>
          )}
        </tbody>
      </table>
    </div>
  );
}

export function PlansPage() {
  const plans = useLoad(loadPlans, []);
  return (
    <section>
      <PageTitle>Plans</PageTitle>
      <ErrorNote error={plans.error} />
      <Loading when={plans.loading && !plans.data} />
      {plans.data?.missing && <p>This version of the app saves no plans yet.</p>}
      {plans.data && !plans.data.missing && (
        <>
          <PlanTable plans={plans.data.pending} caption="Awaiting approval" />
          <PlanTable plans={plans.data.others} caption="Approved, applied, rejected and expired" />
        </>
      )}
    </section>
  );
}

async function loadActions(planId: string): Promise<ProposedAction[]> {
  const all: ProposedAction[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = await getJson<Page<ProposedAction>>(`plans/${encodeURIComponent(planId)}/actions`, {
      limit: "1000",
      cursor,
    });
    all.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor && ++pages < 10);
  return all;
}

export function PlanPage({ planId, me }: { planId: string; me?: Me }) {
  const plan = useLoad(() => getJson<Plan>(`plans/${encodeURIComponent(planId)}`), [planId]);
  const actions = useLoad(() => loadActions(planId), [planId]);
  const [excluded, setExcluded] = useState<Set<string>>(new Set());
  const [comment, setComment] = useState("");
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const p = plan.data;
  const bySub = new Map<string, ProposedAction[]>();
  for (const a of actions.data ?? [])
    bySub.set(a.subscriptionId, [...(bySub.get(a.subscriptionId) ?? []), a]);
  const pending = p?.status === "pending";
  const decide = async (verb: "approve" | "reject") => {
    setBusy(true);
    setError(undefined);
    try {
      const body =
        verb === "approve"
          ? { ...(comment && { comment }), exclude: [...excluded] }
          : { ...(comment && { comment }) };
      await postJson(`plans/${encodeURIComponent(planId)}/${verb}`, body);
      plan.reload();
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  const apply = async () => {
    setBusy(true);
    try {
      const run = await postJson<{ runId: string }>("runs", { mode: "apply", planId });
      location.hash = hashLink(`runs/${encodeURIComponent(run.runId)}`);
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  const toggle = (jobId: string) => {
    const next = new Set(excluded);
    if (next.has(jobId)) next.delete(jobId);
    else next.add(jobId);
    setExcluded(next);
  };
  return (
    <section>
      <PageTitle>Plan {planId}</PageTitle>
      <ErrorNote error={plan.error} />
      {p && (
        <dl class="facts">
          <dt>Status</dt>
          <dd>
            <Status value={p.status} />
          </dd>
          <dt>Made</dt>
          <dd>{when(p.createdAt)}</dd>
          <dt>Expires</dt>
          <dd>{when(p.expiresAt)}</dd>
          <dt>Who asked</dt>
          <dd>{p.requestedBy}</dd>
          {p.approvedBy && (
            <>
              <dt>Approved by</dt>
              <dd>{p.approvedBy}</dd>
            </>
          )}
          {p.rejectedBy && (
            <>
              <dt>Rejected by</dt>
              <dd>{p.rejectedBy}</dd>
            </>
          )}
          {p.excluded && p.excluded.length > 0 && (
            <>
              <dt>Excluded</dt>
              <dd>
                {p.excluded.length} {p.excluded.length === 1 ? "job" : "jobs"} left out by the approver
              </dd>
            </>
          )}
          {p.appliedRunId && (
            <>
              <dt>Applied by run</dt>
              <dd>
                <a href={hashLink(`runs/${encodeURIComponent(p.appliedRunId)}`)}>{p.appliedRunId}</a>
              </dd>
            </>
          )}
          {p.comment && (
            <>
              <dt>Comment</dt>
              <dd>{p.comment}</dd>
            </>
          )}
        </dl>
      )}
      <p>
        <a href={hashLink(`runs/${encodeURIComponent(planId)}`)}>The plan's run</a>
      </p>
      <h2>Proposed actions by subscription</h2>
      <ErrorNote error={actions.error} />
      <Loading when={actions.loading} />
      {[...bySub].map(([sub, list]) => (
        <fieldset key={sub}>
          <legend>
            Subscription <span class="mono">{sub}</span> ({list.length})
          </legend>
          <ul class="actions">
            {list.map((a) => (
              <li key={a.jobId}>
                {pending && me?.canApprove && (
                  <label>
                    <input type="checkbox" checked={excluded.has(a.jobId)} onChange={() => toggle(a.jobId)} />
                    Exclude
                  </label>
                )}{" "}
                <strong>{a.action}</strong> <a href={jobLink(a)}>{a.jobName}</a> in {a.resourceGroup} (
                {a.state}
                {a.ageDays !== undefined ? `, ${a.ageDays} days` : ""}, rule {a.rule})
              </li>
            ))}
          </ul>
        </fieldset>
      ))}
      {pending && me?.canApprove && (
        <form class="approve" onSubmit={(e) => e.preventDefault()} aria-label="Approve or reject">
          <label for="plan-comment">Comment</label>
          <textarea
            id="plan-comment"
            maxLength={500}
            value={comment}
            onInput={(e) => setComment((e.target as HTMLTextAreaElement).value)}
          />
          <p>{excluded.size} excluded.</p>
          <button type="button" disabled={busy} onClick={() => decide("approve")}>
            Approve
          </button>
          <button type="button" disabled={busy} onClick={() => decide("reject")}>
            Reject
          </button>
        </form>
      )}
      {p?.status === "approved" && me?.canOperate && (
        <button type="button" disabled={busy} onClick={apply}>
          Apply this plan now
        </button>
      )}
      <ErrorNote error={error} />
    </section>
  );
}
