// The engine's events turned into notices on the `janitor-notify` queue (docs/operations.md#notifications).
// `emit` returns at once: the queue and table writes run behind it, one after another, and a failure is
// reported to `onFailure` (a log record), never to the sweep.
import type { QueueClient } from "@azure/storage-queue";
import type { JanitorEvent, UpcomingJob } from "../../domain/notifications/events";
import type { NotifyTarget } from "../../domain/notifications/notifyTargets";
import { buildPayload, groupUpcoming, type Notice } from "../../domain/notifications/payloads";
import type { Mode } from "../../domain/vocabulary";
import type { EngineEvents } from "../../engine/ports";
import { deliveryId, encodeNotifyMessage, type NotifyMessage } from "./notifyMessages";
import type { TableUpcomingStore } from "./TableUpcomingStore";

export interface QueueNotifierOptions {
  targets: NotifyTarget[];
  queue: QueueClient;
  upcoming: TableUpcomingStore;
  /** The app's base URL for links (https://<host>), when known. */
  appUrl?: string;
  /** How long after a run ends its `upcoming` notices are grouped: time for other workers' rows to land. */
  flushDelaySeconds?: number;
  onFailure?: (what: string, err: unknown) => void;
}

export class QueueNotifier implements EngineEvents {
  private chain: Promise<void> = Promise.resolve();

  constructor(private readonly options: QueueNotifierOptions) {}

  emit(event: JanitorEvent): void {
    if (!this.options.targets.some((t) => t.events.includes(event.type) || wantsFlush(t, event))) return;
    this.chain = this.chain
      .then(() => this.handle(event))
      .catch((err: unknown) => this.options.onFailure?.(`queueing ${event.type}`, err));
  }

  /** Resolves when everything emitted so far is queued (or has failed and been reported). */
  idle(): Promise<void> {
    return this.chain;
  }

  /** A run's pending `upcoming` notices, one message per target and owner; then forgotten. */
  async flushUpcoming(runId: string, mode: Mode): Promise<number> {
    const jobs = await this.options.upcoming.load(runId);
    if (jobs.length === 0) return 0;
    const messages: NotifyMessage[] = [];
    for (const target of this.options.targets.filter((t) => t.events.includes("upcoming"))) {
      for (const group of groupUpcoming(jobs, target)) {
        const notice: Notice = {
          event: { type: "upcoming", runId, mode, jobs: group.jobs },
          ...(group.owner !== undefined && { owner: group.owner }),
          appUrl: this.options.appUrl,
        };
        messages.push(this.deliver(target, notice, group.owner ?? ""));
      }
    }
    await this.send(messages);
    await this.options.upcoming.remove(runId);
    return messages.length;
  }

  private async handle(event: JanitorEvent): Promise<void> {
    const { targets } = this.options;
    if (event.type === "upcoming") {
      if (targets.some((t) => t.events.includes("upcoming")))
        await this.options.upcoming.add(
          event.runId,
          event.jobs.map((j) => keepOwnerTags(j, targets)),
        );
      return;
    }
    const messages = targets
      .filter((t) => t.events.includes(event.type))
      .map((t) => this.deliver(t, { event, appUrl: this.options.appUrl }, discriminator(event)));
    await this.send(messages);
    if (
      (event.type === "run-finished" || event.type === "run-failed") &&
      targets.some((t) => wantsFlush(t, event))
    )
      await this.options.queue.sendMessage(
        encodeNotifyMessage({ kind: "upcoming-flush", runId: event.run.runId, mode: event.run.mode }),
        { visibilityTimeout: this.options.flushDelaySeconds ?? 5 },
      );
  }

  private deliver(target: NotifyTarget, notice: Notice, key: string): NotifyMessage {
    const runId = "runId" in notice.event ? notice.event.runId : notice.event.run.runId;
    return {
      kind: "deliver",
      deliveryId: deliveryId(target.name, runId, notice.event.type, key),
      target: target.name,
      event: notice.event.type,
      runId,
      body: JSON.stringify(buildPayload(target.format, notice)),
    };
  }

  private async send(messages: NotifyMessage[]): Promise<void> {
    for (let i = 0; i < messages.length; i += 16)
      await Promise.all(
        messages.slice(i, i + 16).map((m) => this.options.queue.sendMessage(encodeNotifyMessage(m))),
      );
  }
}

function wantsFlush(target: NotifyTarget, event: JanitorEvent): boolean {
  return (event.type === "run-finished" || event.type === "run-failed") && target.events.includes("upcoming");
}

/** What makes one event's notice unique within its run and type. */
function discriminator(event: JanitorEvent): string {
  switch (event.type) {
    case "breaker-tripped":
      return event.subscriptionId.toLowerCase();
    case "action-failed":
      return `${event.jobId.toLowerCase()}|${event.action}`;
    case "plan-awaiting-approval":
      return event.planId;
    default:
      return "";
  }
}

/** Only the tags a target groups by are kept with a pending notice; the others are not needed. */
function keepOwnerTags(job: UpcomingJob, targets: NotifyTarget[]): UpcomingJob {
  const names = new Set(targets.flatMap((t) => (t.ownerTag ? [t.ownerTag.toLowerCase()] : [])));
  const tags = Object.fromEntries(Object.entries(job.tags).filter(([name]) => names.has(name.toLowerCase())));
  return { ...job, tags };
}
