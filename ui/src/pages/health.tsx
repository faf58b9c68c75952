import { getJson, type Me } from "../api";
import { ErrorNote, PageTitle, useLoad } from "../common";

interface Settings {
  mode: string;
  schedule: string;
  paused: boolean;
  manualApply: boolean;
  policyHash: string;
  policySource: string;
  auditRetentionDays: number;
  runTimeoutMinutes: number;
  concurrency: number;
  easyAuth: boolean;
}

export function HealthPage({ me }: { me?: Me }) {
  const health = useLoad(
    () =>
      getJson<Record<string, string>>("health").catch((e: Error): Record<string, string> => ({
        status: e.message,
      })),
    [],
  );
  const settings = useLoad(() => getJson<Settings>("settings"), []);
  const policy = useLoad(() => getJson<{ policy: unknown }>("policy"), []);
  const s = settings.data;
  return (
    <section>
      <PageTitle>Health and settings</PageTitle>
      <h2>Health</h2>
      <dl class="facts">
        <dt>Status</dt>
        <dd>{health.data?.status ?? "..."}</dd>
        <dt>Storage</dt>
        <dd>{health.data?.storage ?? ""}</dd>
        <dt>ARM</dt>
        <dd>{health.data?.arm ?? ""}</dd>
      </dl>
      <h2>Settings</h2>
      <ErrorNote error={settings.error} />
      {s && (
        <dl class="facts">
          <dt>Mode of scheduled runs</dt>
          <dd>{s.mode}</dd>
          <dt>Schedule (NCRONTAB, UTC)</dt>
          <dd class="mono">{s.schedule}</dd>
          <dt>Paused (kill switch)</dt>
          <dd>{s.paused ? "yes: runs do nothing" : "no"}</dd>
          <dt>Apply over HTTP</dt>
          <dd>{s.manualApply ? "enabled" : "disabled"}</dd>
          <dt>Policy hash</dt>
          <dd class="mono">{s.policyHash}</dd>
          <dt>Policy from</dt>
          <dd>{s.policySource}</dd>
          <dt>Audit kept for</dt>
          <dd>{s.auditRetentionDays} days</dd>
          <dt>Run time limit</dt>
          <dd>{s.runTimeoutMinutes} minutes</dd>
          <dt>Subscriptions at once</dt>
          <dd>{s.concurrency}</dd>
          <dt>Easy Auth</dt>
          <dd>{s.easyAuth ? "on" : "off"}</dd>
          <dt>You</dt>
          <dd>{me ? `${me.name}${me.roles.length ? ` (${me.roles.join(", ")})` : ""}` : ""}</dd>
        </dl>
      )}
      <h2>The effective policy</h2>
      <ErrorNote error={policy.error} />
      {policy.data && <pre class="policy">{JSON.stringify(policy.data.policy, null, 2)}</pre>}
    </section>
  );
}
