import { useEffect, useState } from "preact/hooks";
import { ApiError, DATA } from "../api";
import { ErrorNote, hashLink, Loading, PageTitle, useLoad } from "../common";
import { reasonWords } from "../words";

interface DecisionAnswer {
  jobId: string;
  policyHash: string;
  mode: string;
  paused: boolean;
  decision: {
    action: string;
    reason: string;
    rule?: string;
    eligible: boolean;
    ageDays?: number;
    ageBasis?: string;
    state: string;
    detail: string;
  };
  readFailure?: { kind: string; status?: number };
}

async function loadDecision(
  sub: string,
  rg: string,
  name: string,
  source: string,
): Promise<DecisionAnswer | undefined> {
  if (!sub || !rg || !name) return undefined;
  const path = [sub, rg, name].map(encodeURIComponent).join("/");
  const query = source === "databox" ? "?source=databox" : "";
  const res = await fetch(`${DATA}/jobs/${path}/decision${query}`, { credentials: "same-origin" });
  // 502: the job could not be read; the answer still says so in its body.
  if (!res.ok && res.status !== 502) {
    const body = (await res.json().catch(() => ({}))) as { title?: string; detail?: string };
    throw new ApiError(res.status, [body.title, body.detail].filter(Boolean).join(": "));
  }
  return (await res.json()) as DecisionAnswer;
}

const JOB_ID =
  /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/(Microsoft\.ImportExport|Microsoft\.DataBox)\/jobs\/(.+)$/i;

export function JobPage({ query }: { query: URLSearchParams }) {
  const sub = query.get("subscriptionId") ?? "";
  const rg = query.get("resourceGroup") ?? "";
  const name = query.get("jobName") ?? "";
  const source = query.get("source") === "databox" ? "databox" : "importexport";
  const [form, setForm] = useState({ subscriptionId: sub, resourceGroup: rg, jobName: name, jobId: "" });
  useEffect(
    () => setForm({ subscriptionId: sub, resourceGroup: rg, jobName: name, jobId: "" }),
    [sub, rg, name],
  );
  const answer = useLoad(() => loadDecision(sub, rg, name, source), [sub, rg, name, source]);
  const submit = (event: Event) => {
    event.preventDefault();
    const m = JOB_ID.exec(form.jobId.trim());
    const target = m
      ? {
          subscriptionId: m[1]!,
          resourceGroup: m[2]!,
          jobName: decodeURIComponent(m[4]!),
          ...(m[3]!.toLowerCase() === "microsoft.databox" && { source: "databox" }),
        }
      : { subscriptionId: form.subscriptionId, resourceGroup: form.resourceGroup, jobName: form.jobName };
    location.hash = hashLink("job", target);
  };
  const set = (field: keyof typeof form) => (e: Event) =>
    setForm({ ...form, [field]: (e.target as HTMLInputElement).value });
  const a = answer.data;
  return (
    <section>
      <PageTitle>A job's decision</PageTitle>
      <form class="filters" onSubmit={submit} aria-label="Which job">
        <label>
          Subscription id
          <input value={form.subscriptionId} onInput={set("subscriptionId")} />
        </label>
        <label>
          Resource group
          <input value={form.resourceGroup} onInput={set("resourceGroup")} />
        </label>
        <label>
          Job name
          <input value={form.jobName} onInput={set("jobName")} />
        </label>
        <label>
          or its resource id
          <input value={form.jobId} onInput={set("jobId")} />
        </label>
        <div class="form-buttons">
          <button type="submit">Explain</button>
        </div>
      </form>
      <ErrorNote error={answer.error} />
      <Loading when={answer.loading && !!name} />
      {a && (
        <article aria-labelledby="decision-title">
          <h2 id="decision-title">{name}</h2>
          {a.readFailure && (
            <p class="error" role="alert">
              The job could not be read now ({a.readFailure.kind}
              {a.readFailure.status ? `, HTTP ${a.readFailure.status}` : ""}); nothing would be done to it.
            </p>
          )}
          <p class="verdict">
            {a.decision.eligible
              ? `The janitor would ${a.decision.action} this job now (in ${a.mode} mode${a.paused ? ", but it is paused" : ""}).`
              : a.decision.action !== "none"
                ? `A rule would ${a.decision.action} it, but not now.`
                : "The janitor leaves this job alone."}
          </p>
          <dl class="facts">
            <dt>Why</dt>
            <dd>
              {reasonWords(a.decision.reason)} ({a.decision.reason})
            </dd>
            <dt>In detail</dt>
            <dd>{a.decision.detail}</dd>
            <dt>State</dt>
            <dd>{a.decision.state}</dd>
            {a.decision.rule && (
              <>
                <dt>Rule</dt>
                <dd>{a.decision.rule}</dd>
              </>
            )}
            {a.decision.ageDays !== undefined && (
              <>
                <dt>Age in state</dt>
                <dd>
                  {a.decision.ageDays} days (from {a.decision.ageBasis})
                </dd>
              </>
            )}
            <dt>Resource id</dt>
            <dd class="mono">{a.jobId}</dd>
            <dt>Policy hash</dt>
            <dd class="mono">{a.policyHash}</dd>
          </dl>
          <p>
            <a href={hashLink("audit", { jobId: a.jobId })}>This job's history in the audit log</a>
          </p>
        </article>
      )}
    </section>
  );
}
