// The bodies sent to a target, one builder per format: `generic` JSON, `teams` (an Adaptive Card inside the
// message a Teams workflow webhook accepts) and `slack` (Block Kit). Pure: an event in, a JSON value out.
// Only what the event carries goes out (ids, names, states, rules, dates, counts, links).
import type { JanitorEvent, UpcomingJob } from "./events";
import type { NotifyFormat, NotifyTarget } from "./notifyTargets";

/** One message for one target: the event (for `upcoming`, one owner's share of it) and where to link. */
export interface Notice {
  event: JanitorEvent;
  /** `upcoming` with an `ownerTag`: the owner these jobs belong to (undefined: jobs without the tag). */
  owner?: string;
  /** The app's base URL (e.g. https://<app>.azurewebsites.net), for links to the run. */
  appUrl?: string;
}

/** Jobs listed in one message; the rest are counted ("and 12 more"), so no chat service refuses the size. */
export const MAX_LISTED_JOBS = 25;

/**
 * The `upcoming` jobs split per owner for a target: with `ownerTag`, one group per tag value (tag names match
 * case-insensitively, as ARM's do) and one for the jobs without it; without, one group.
 */
export function groupUpcoming(
  jobs: readonly UpcomingJob[],
  target: Pick<NotifyTarget, "ownerTag">,
): { owner?: string; jobs: UpcomingJob[] }[] {
  const groups = new Map<string, { owner?: string; jobs: UpcomingJob[] }>();
  const tag = target.ownerTag?.toLowerCase();
  for (const job of jobs) {
    const owner = tag === undefined ? undefined : ownerOf(job, tag);
    const key = owner === undefined ? "" : `=${owner}`;
    if (!groups.has(key)) groups.set(key, { ...(owner !== undefined && { owner }), jobs: [] });
    groups.get(key)!.jobs.push(job);
  }
  return [...groups.values()].sort((a, b) => (a.owner ?? "").localeCompare(b.owner ?? ""));
}

export function buildPayload(format: NotifyFormat, notice: Notice): unknown {
  switch (format) {
    case "generic":
      return genericPayload(notice);
    case "teams":
      return teamsPayload(notice);
    case "slack":
      return slackPayload(notice);
  }
}

/** Plain JSON: the event's own fields, the owner and the links. */
export function genericPayload(notice: Notice): unknown {
  const { event } = notice;
  const links = linksOf(notice);
  if (event.type === "upcoming")
    return {
      type: event.type,
      runId: event.runId,
      mode: event.mode,
      ...(notice.owner !== undefined && { owner: notice.owner }),
      jobs: event.jobs.map(jobFields),
      ...(links && { links }),
    };
  return { ...event, ...(links && { links }) };
}

/** The Teams workflow webhook message: `{type: "message", attachments: [Adaptive Card]}`. */
export function teamsPayload(notice: Notice): unknown {
  const text = describe(notice);
  const body: unknown[] = [
    { type: "TextBlock", text: text.title, weight: "Bolder", size: "Medium", wrap: true },
    { type: "TextBlock", text: text.summary, wrap: true },
  ];
  if (text.facts.length > 0)
    body.push({ type: "FactSet", facts: text.facts.map(([title, value]) => ({ title, value })) });
  for (const line of text.lines) body.push({ type: "TextBlock", text: line, wrap: true, spacing: "Small" });
  const actions = text.link ? [{ type: "Action.OpenUrl", title: "Open the run", url: text.link }] : [];
  return {
    type: "message",
    attachments: [
      {
        contentType: "application/vnd.microsoft.card.adaptive",
        contentUrl: null,
        content: {
          $schema: "http://adaptivecards.io/schemas/adaptive-card.json",
          type: "AdaptiveCard",
          version: "1.4",
          body,
          ...(actions.length > 0 && { actions }),
        },
      },
    ],
  };
}

/** Slack Block Kit: a header, a summary, up to ten fields, then the job lines (limits from Slack's docs). */
export function slackPayload(notice: Notice): unknown {
  const text = describe(notice);
  const blocks: unknown[] = [
    { type: "header", text: { type: "plain_text", text: cut(text.title, 150) } },
    { type: "section", text: { type: "mrkdwn", text: cut(escapeSlack(text.summary), 3000) } },
  ];
  if (text.facts.length > 0)
    blocks.push({
      type: "section",
      fields: text.facts
        .slice(0, 10)
        .map(([title, value]) => ({ type: "mrkdwn", text: cut(`*${title}*\n${escapeSlack(value)}`, 2000) })),
    });
  if (text.lines.length > 0)
    blocks.push({
      type: "section",
      text: { type: "mrkdwn", text: cut(text.lines.map((l) => `• ${escapeSlack(l)}`).join("\n"), 3000) },
    });
  if (text.link)
    blocks.push({ type: "context", elements: [{ type: "mrkdwn", text: `<${text.link}|Open the run>` }] });
  return { text: cut(`${text.title}: ${text.summary}`, 3000), blocks };
}

interface Described {
  title: string;
  summary: string;
  facts: [string, string][];
  lines: string[];
  link?: string;
}

function describe(notice: Notice): Described {
  const { event } = notice;
  const link = linksOf(notice)?.run;
  switch (event.type) {
    case "upcoming": {
      const listed = event.jobs.slice(0, MAX_LISTED_JOBS);
      const more = event.jobs.length - listed.length;
      const whose = notice.owner !== undefined ? ` for ${notice.owner}` : "";
      return {
        title: `Import/Export janitor: ${event.jobs.length} job(s) will be acted on${whose}`,
        summary:
          "These jobs became eligible under the janitor's policy. Each can be deleted or cancelled from the time " +
          "shown; tag a job janitor=exempt (or change it) before then to keep it.",
        facts: [
          ["Run", event.runId],
          ...(notice.owner !== undefined ? ([["Owner", notice.owner]] as [string, string][]) : []),
        ],
        lines: [
          ...listed.map(
            (j) =>
              `${j.action} ${j.resourceGroup}/${j.jobName} (${j.state}, rule ${j.rule}, subscription ${j.subscriptionId}) from ${j.earliestActionAt}`,
          ),
          ...(more > 0 ? [`and ${more} more`] : []),
        ],
        link,
      };
    }
    case "run-finished":
    case "run-failed": {
      const { run } = event;
      const c = run.counts;
      return {
        title: `Import/Export janitor: ${run.mode} run ${run.status}`,
        summary:
          event.type === "run-failed"
            ? `Run ${run.runId} failed${run.error ? `: ${run.error}` : ""}.`
            : `Run ${run.runId} (${run.trigger}) finished ${run.status}.`,
        facts: [
          ["Run", run.runId],
          ["Status", run.status],
          ["Jobs seen", String(c.jobsSeen)],
          ["Planned", String(c.planned)],
          ["Deleted", String(c.deleted)],
          ["Cancelled", String(c.cancelled)],
          ["Refused / failed", `${c.refused} / ${c.failed}`],
          ["Deferred", String(c.deferred)],
          ["Subscriptions", `${c.subscriptionsScanned} scanned, ${c.subscriptionsFailed} failed`],
          ["Breakers tripped", String(c.breakersTripped)],
        ],
        lines: [],
        link,
      };
    }
    case "breaker-tripped":
      return {
        title: "Import/Export janitor: breaker tripped",
        summary: `${event.eligible} of ${event.jobsSeen} jobs in subscription ${event.subscriptionId} were eligible; nothing was done there this run.`,
        facts: [
          ["Run", event.runId],
          ["Subscription", event.subscriptionId],
        ],
        lines: [],
        link,
      };
    case "action-failed":
      return {
        title: `Import/Export janitor: ${event.action} ${event.outcome}`,
        summary: `${event.action} of ${event.resourceGroup}/${event.jobName} was ${event.outcome} (${event.reason}${event.httpStatus ? `, HTTP ${event.httpStatus}` : ""}).`,
        facts: [
          ["Run", event.runId],
          ["Subscription", event.subscriptionId],
          ["Job", event.jobId],
        ],
        lines: [],
        link,
      };
    case "plan-awaiting-approval":
      return {
        title: "Import/Export janitor: a plan awaits approval",
        summary: `Plan ${event.planId} of run ${event.runId} would take ${event.actions} action(s).`,
        facts: [
          ["Run", event.runId],
          ["Plan", event.planId],
          ...(event.expiresAt ? ([["Expires", event.expiresAt]] as [string, string][]) : []),
        ],
        lines: [],
        link: event.approveUrl ?? link,
      };
  }
}

function jobFields(job: UpcomingJob) {
  const { tags: _tags, ...fields } = job;
  return fields;
}

function linksOf(notice: Notice): { run: string } | undefined {
  const runId = "runId" in notice.event ? notice.event.runId : notice.event.run.runId;
  if (!notice.appUrl) return undefined;
  return { run: `${notice.appUrl.replace(/\/+$/, "")}/api/runs/${encodeURIComponent(runId)}` };
}

/** A tag value as an owner name: control characters removed, at most 256 characters; empty is no owner. */
function ownerOf(job: UpcomingJob, tag: string): string | undefined {
  const entry = Object.entries(job.tags).find(([name]) => name.toLowerCase() === tag);
  const value = Array.from(entry?.[1] ?? "", (c) => (c < " " || c === "\u007f" ? "" : c))
    .join("")
    .trim()
    .slice(0, 256);
  return value ? value : undefined;
}

function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** Slack reads &, < and > as markup. */
function escapeSlack(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}
