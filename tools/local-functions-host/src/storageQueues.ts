import { QueueServiceClient, type QueueClient } from "@azure/storage-queue";
import type { SettingLookup } from "./appSettingExpression";
import { encodeQueueMessage, type MessageEncoding } from "./queueMessageEncoding";

/**
 * Queue clients for the storage connections bindings name. A binding's `connection` is the NAME of an app setting
 * holding a connection string (empty = the default setting, `AzureWebJobsStorage`), as the host reads it; like the
 * host, `AzureWebJobs<name>` is tried too. Identity-based connections (`<name>__queueServiceUri`) need Azure
 * credentials and are not supported by the local host.
 */
export class StorageQueues {
  readonly #lookup: SettingLookup;
  readonly #defaultSetting: string;
  readonly #services = new Map<string, QueueServiceClient>();
  readonly #created = new Map<string, Promise<unknown>>();

  constructor(lookup: SettingLookup, defaultSetting = "AzureWebJobsStorage") {
    this.#lookup = lookup;
    this.#defaultSetting = defaultSetting;
  }

  /** The queue client for a binding; throws naming the setting when the connection is missing. */
  queue(connection: unknown, queueName: string, where: string): QueueClient {
    const setting = typeof connection === "string" && connection !== "" ? connection : this.#defaultSetting;
    const value = this.#lookup(setting) ?? this.#lookup(`AzureWebJobs${setting}`);
    if (!value) {
      const identityBased =
        this.#lookup(`${setting}__queueServiceUri`) ?? this.#lookup(`${setting}__accountName`);
      throw new Error(
        identityBased
          ? `${where}: connection "${setting}" is identity-based, which the local host does not support; set "${setting}" to a connection string.`
          : `${where}: app setting "${setting}" (the storage connection string) is not set.`,
      );
    }
    let service = this.#services.get(value);
    if (!service) {
      service = QueueServiceClient.fromConnectionString(value);
      this.#services.set(value, service);
    }
    return service.getQueueClient(queueName);
  }

  /** Creates the queue once per process (output bindings and poison queues are created on demand by the host). */
  ensureExists(client: QueueClient): Promise<unknown> {
    const key = client.url;
    let pending = this.#created.get(key);
    if (!pending) {
      pending = client.createIfNotExists().catch((err: unknown) => {
        this.#created.delete(key);
        throw err;
      });
      this.#created.set(key, pending);
    }
    return pending;
  }

  /**
   * Writes an output binding's value as the host does: an array is one message per element, a string as is, a
   * Buffer as its bytes, anything else as JSON.
   */
  async send(client: QueueClient, value: unknown, encoding: MessageEncoding): Promise<number> {
    const items = Array.isArray(value) ? value : [value];
    await this.ensureExists(client);
    let sent = 0;
    for (const item of items) {
      if (item === undefined || item === null) continue;
      const text = typeof item === "string" || Buffer.isBuffer(item) ? item : JSON.stringify(item);
      await client.sendMessage(encodeQueueMessage(text, encoding));
      sent++;
    }
    return sent;
  }
}
