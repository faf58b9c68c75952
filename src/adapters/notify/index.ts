// Notifications over Azure Storage: the `janitor-notify` queue and the table of pending `upcoming` notices.
import type { NotifyTarget } from "../../domain/notifications/notifyTargets";
import { DEFAULT_TABLE_PREFIX } from "../storage";
import { createQueueClient, createTableClient, type StorageConnection } from "../storage";
import { NOTIFY_QUEUE } from "./notifyMessages";
import { QueueNotifier } from "./QueueNotifier";
import { TableUpcomingStore } from "./TableUpcomingStore";

export { QueueNotifier } from "./QueueNotifier";
export { deliverNotification, DeliveryError, signature, DELIVERY_TIMEOUT_MS } from "./deliverNotification";
export { NOTIFY_QUEUE, readNotifyMessage, type NotifyMessage, type DeliverMessage } from "./notifyMessages";

/** The notifier when targets are set (undefined otherwise: no queue, no table, nothing sent). */
export async function createNotifier(
  connection: StorageConnection,
  settings: { targets: NotifyTarget[]; appUrl?: string },
  options: {
    tablePrefix?: string;
    flushDelaySeconds?: number;
    onFailure?: (what: string, err: unknown) => void;
  } = {},
): Promise<QueueNotifier | undefined> {
  if (settings.targets.length === 0) return undefined;
  const queue = createQueueClient(connection, NOTIFY_QUEUE);
  await queue.createIfNotExists();
  const table = createTableClient(connection, `${options.tablePrefix ?? DEFAULT_TABLE_PREFIX}Notices`);
  return new QueueNotifier({
    targets: settings.targets,
    queue,
    upcoming: new TableUpcomingStore(table),
    appUrl: settings.appUrl,
    flushDelaySeconds: options.flushDelaySeconds,
    onFailure:
      options.onFailure ??
      ((what, err) =>
        console.warn(
          `notification ${what} failed: ${(err as Error)?.name ?? "error"} ${(err as Error)?.message ?? ""}`,
        )),
  });
}
