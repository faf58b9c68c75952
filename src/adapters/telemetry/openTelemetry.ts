// The engine's telemetry (engine/ports.ts EngineTelemetry and EngineEvents) over the OpenTelemetry API: spans,
// metrics and structured log records named in domain/telemetryNames. With no SDK started (startTelemetry) the
// API is a no-op and nothing leaves the process. Only ids, names, states, reasons and counts are recorded: the
// engine's job model holds no address, phone number, e-mail or key, and nothing here reads a response body.
import {
  context,
  metrics,
  SpanStatusCode,
  trace,
  type Attributes,
  type ContextManager,
  type MeterProvider,
  type TracerProvider,
} from "@opentelemetry/api";
import { logs, SeverityNumber } from "@opentelemetry/api-logs";
import type { JanitorEvent, RunSummary } from "../../domain/notifications/events";
import {
  METRICS,
  RECORDS,
  type RecordName,
  type SpanName,
  type TelemetryAttributes,
} from "../../domain/telemetryNames";
import type { ActionReport, EngineEvents, EngineTelemetry } from "../../engine/ports";

const SCOPE = "importexport-janitor";
/** The log record attribute that makes the Azure Monitor exporter send a record as a custom event of that name. */
const CUSTOM_EVENT_NAME = "microsoft.custom_event.name";
/** Free text the janitor wrote itself (run errors, reasons) is cut to this. */
const MAX_TEXT = 300;

/**
 * The providers the SDK registered. The distro registers them through its own copy of @opentelemetry/api (1.9),
 * whose globals this app's newer copy refuses to read (the API's version check), so they are read from the
 * API's global registry (its key is the same for every 1.x), falling back to the API's own accessors.
 */
interface Registered {
  trace?: TracerProvider;
  metrics?: MeterProvider;
  context?: ContextManager;
}
function registered(): Registered {
  return ((globalThis as Record<symbol, unknown>)[Symbol.for("opentelemetry.js.api.1")] ?? {}) as Registered;
}
function activeContext() {
  return registered().context?.active() ?? context.active();
}
function withContext<T>(ctx: ReturnType<typeof context.active>, fn: () => T): T {
  const manager = registered().context;
  return manager ? manager.with(ctx, fn) : context.with(ctx, fn);
}

function clean(attributes: TelemetryAttributes): Attributes {
  const out: Attributes = {};
  for (const [key, value] of Object.entries(attributes)) {
    if (value === undefined) continue;
    out[key] = typeof value === "string" ? value.slice(0, MAX_TEXT) : value;
  }
  return out;
}

function guarded(work: () => void): void {
  try {
    work();
  } catch {
    // Telemetry never fails the caller.
  }
}

export class OpenTelemetryJanitor implements EngineTelemetry, EngineEvents {
  private readonly tracer = (registered().trace ?? trace.getTracerProvider()).getTracer(SCOPE);
  private readonly logger = logs.getLogger(SCOPE);
  private readonly meter = (registered().metrics ?? metrics).getMeter(SCOPE);
  private readonly jobsSeen = this.meter.createCounter(METRICS.jobsSeen, {
    description: "Jobs listed by subscription sweeps",
    unit: "{job}",
  });
  private readonly actions = this.meter.createCounter(METRICS.actions, {
    description: "Actions planned or sent, by action and outcome",
    unit: "{action}",
  });
  private readonly throttled = this.meter.createCounter(METRICS.armThrottled, {
    description: "ARM answers 429 Too Many Requests",
    unit: "{response}",
  });
  private readonly runDuration = this.meter.createHistogram(METRICS.runDuration, {
    description: "Duration of finished runs",
    unit: "s",
  });

  inSpan<T>(name: SpanName, attributes: TelemetryAttributes, fn: () => Promise<T>): Promise<T> {
    const parent = activeContext();
    const span = this.tracer.startSpan(name, { attributes: clean(attributes) }, parent);
    return withContext(trace.setSpan(parent, span), async () => {
      try {
        return await fn();
      } catch (err) {
        guarded(() => span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error)?.name }));
        throw err;
      } finally {
        guarded(() => span.end());
      }
    });
  }

  action(report: ActionReport): void {
    guarded(() => {
      this.actions.add(1, { action: report.action, outcome: report.outcome, mode: report.mode });
      if (report.outcome === "planned") return;
      this.record(RECORDS.actionOutcome, report.outcome === "succeeded" ? "info" : "warn", {
        runId: report.runId,
        subscriptionId: report.subscriptionId,
        resourceGroup: report.resourceGroup,
        jobName: report.jobName,
        action: report.action,
        outcome: report.outcome,
        reason: report.reason,
        httpStatus: report.httpStatus,
      });
    });
  }

  subscriptionSwept(report: {
    runId: string;
    mode: string;
    subscriptionId: string;
    counts: { jobsSeen: number };
  }) {
    guarded(() => this.jobsSeen.add(report.counts.jobsSeen, { mode: report.mode }));
  }

  partSwept(report: { runId: string; partIndex: number; throttled: number }): void {
    guarded(() => {
      if (report.throttled > 0) this.throttled.add(report.throttled);
    });
  }

  emit(event: JanitorEvent): void {
    guarded(() => {
      if (event.type === "run-finished" || event.type === "run-failed") this.runFinished(event.run);
      else if (event.type === "breaker-tripped")
        this.record(RECORDS.breakerTripped, "warn", {
          runId: event.runId,
          subscriptionId: event.subscriptionId,
          eligible: event.eligible,
          jobsSeen: event.jobsSeen,
        });
    });
  }

  /** `NotificationFailed`: a notice that could not be delivered (the notify poison handler). */
  notificationFailed(failure: {
    runId?: string;
    target: string;
    event: string;
    deliveryId: string;
    reason: string;
  }): void {
    guarded(() =>
      this.record(RECORDS.notificationFailed, "error", {
        runId: failure.runId,
        target: failure.target,
        event: failure.event,
        deliveryId: failure.deliveryId,
        reason: failure.reason,
      }),
    );
  }

  /** `PoisonMessage`: a message that failed five times reached `queue` (the poison handlers). */
  poisonMessage(poison: { queue: string; runId?: string; partIndex?: number }): void {
    guarded(() =>
      this.record(RECORDS.poisonMessage, "error", {
        queue: poison.queue,
        runId: poison.runId,
        partIndex: poison.partIndex,
      }),
    );
  }

  private runFinished(run: RunSummary): void {
    const from = Date.parse(run.startedAt ?? run.queuedAt);
    const to = run.finishedAt ? Date.parse(run.finishedAt) : Date.now();
    const seconds =
      Number.isFinite(from) && Number.isFinite(to) ? Math.max(0, (to - from) / 1000) : undefined;
    if (seconds !== undefined)
      this.runDuration.record(seconds, { status: run.status, trigger: run.trigger, mode: run.mode });
    const level = run.status === "failed" ? "error" : run.status === "partial" ? "warn" : "info";
    this.record(RECORDS.runFinished, level, {
      runId: run.runId,
      status: run.status,
      trigger: run.trigger,
      mode: run.mode,
      durationSeconds: seconds,
      error: run.error,
      ...run.counts,
    });
  }

  private record(name: RecordName, level: "info" | "warn" | "error", attributes: TelemetryAttributes): void {
    const severityNumber =
      level === "error" ? SeverityNumber.ERROR : level === "warn" ? SeverityNumber.WARN : SeverityNumber.INFO;
    this.logger.emit({
      body: name,
      severityNumber,
      severityText: level.toUpperCase(),
      attributes: { ...clean(attributes), [CUSTOM_EVENT_NAME]: name },
    });
  }
}
