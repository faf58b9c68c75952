// Queue `janitor-notify`: one notice to one target, or a finished run's `upcoming` notices grouped per owner
// (docs/operations.md#notifications). A failed delivery throws, so the host delivers it again after the queue's
// visibility timeout (the backoff); after five deliveries it lands on `janitor-notify-poison` and is recorded.
import type { InvocationContext } from "@azure/functions";
import {
  deliverNotification,
  DeliveryError,
  NOTIFY_QUEUE,
  readNotifyMessage,
  type DeliverMessage,
} from "../../adapters/notify";
import { runningTelemetry } from "../../adapters/telemetry";
import { RECORDS } from "../../domain/telemetryNames";
import type { AppContext } from "../appContext";

export async function notifyDelivery(
  app: AppContext,
  message: unknown,
  context: InvocationContext,
): Promise<void> {
  const notice = readNotifyMessage(message);
  if (notice.kind === "upcoming-flush") {
    const janitor = await app.janitor();
    const queued = (await janitor.notifier?.flushUpcoming(notice.runId, notice.mode)) ?? 0;
    context.log(`run ${notice.runId}: ${queued} upcoming notice(s) queued`);
    return;
  }
  const target = app.settings.notify.targets.find((t) => t.name === notice.target);
  if (!target) {
    await recordNotificationFailure(app, context, notice, "the target is no longer in JANITOR_NOTIFY");
    return;
  }
  try {
    const { status, durationMs } = await deliverNotification(notice, target);
    context.log(
      `notification ${notice.event} ${notice.deliveryId} to ${target.name}: HTTP ${status} in ${durationMs} ms`,
    );
  } catch (err) {
    // A refused target (private address, redirect) will refuse again: recorded now, not retried.
    if (err instanceof DeliveryError && !err.retry) {
      await recordNotificationFailure(app, context, notice, err.message);
      return;
    }
    throw err;
  }
}

/** `janitor-notify-poison`: every retry failed; the failure is recorded. */
export async function notifyPoison(
  app: AppContext,
  message: unknown,
  context: InvocationContext,
): Promise<void> {
  let notice;
  try {
    notice = readNotifyMessage(message);
  } catch {
    context.warn("a malformed message reached janitor-notify-poison; dropped");
    return;
  }
  runningTelemetry()?.poisonMessage({ queue: `${NOTIFY_QUEUE}-poison`, runId: notice.runId });
  if (notice.kind !== "deliver") {
    context.warn(`run ${notice.runId}: upcoming notices could not be grouped (poison message)`);
    return;
  }
  await recordNotificationFailure(app, context, notice, "delivery failed five times (poison message)");
}

/**
 * The `NotificationFailed` log record, and a note on the run record (`notificationsFailed`,
 * `notificationError`). Neither ever touches the run's status or counts.
 */
export async function recordNotificationFailure(
  app: AppContext,
  context: InvocationContext,
  notice: DeliverMessage,
  why: string,
): Promise<void> {
  const record = {
    record: RECORDS.notificationFailed,
    runId: notice.runId,
    target: notice.target,
    event: notice.event,
    deliveryId: notice.deliveryId,
    reason: why,
  };
  context.error(JSON.stringify(record));
  runningTelemetry()?.notificationFailed(record);
  if (!notice.runId) return;
  const janitor = await app.janitor();
  await janitor.storage.runs
    .update(notice.runId, (r) => ({
      ...r,
      notificationsFailed: (r.notificationsFailed ?? 0) + 1,
      notificationError: `${notice.event} to ${notice.target}: ${why}`.slice(0, 300),
    }))
    .catch(() => undefined);
}
