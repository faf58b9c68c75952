import { randomUUID } from "node:crypto";
import type { DequeuedMessageItem, QueueClient } from "@azure/storage-queue";
import type { RpcTypedData } from "./coreTypes";
import { decodeQueueMessage, type MessageEncoding } from "./queueMessageEncoding";

export interface QueueTriggerListenerOptions {
  functionName: string;
  queue: QueueClient;
  poisonQueue: QueueClient;
  ensureExists(client: QueueClient): Promise<unknown>;
  encoding: MessageEncoding;
  /** Invocations of this function running at once (the host's batchSize; scale-out is tested with >= 2). */
  concurrency: number;
  maxDequeueCount: number;
  /** Delay before a failed message is retried (host.json `visibilityTimeout`). */
  retryDelayMs: number;
  /** Wait between polls of an empty queue. */
  pollMs: number;
  /**
   * How long a received message stays invisible; renewed at half-time while the invocation runs (the host renews
   * too). If the process dies mid-message, the message is visible again after at most this long.
   */
  leaseSeconds: number;
  invoke(messageText: string, triggerMetadata: Record<string, RpcTypedData>): Promise<void>;
  log(level: "information" | "warning" | "error", message: string): void;
}

/**
 * Polls one storage queue for one queue-triggered function, as the Functions storage extension does: decode
 * (base64 by default), invoke, delete on success; on failure make the message visible again after the retry delay,
 * and after `maxDequeueCount` failed dequeues move it to `<queue>-poison`.
 */
export class QueueTriggerListener {
  readonly #o: QueueTriggerListenerOptions;
  readonly #inFlight = new Set<Promise<void>>();
  #running = false;
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;
  #receiveFailing = false;

  constructor(options: QueueTriggerListenerOptions) {
    this.#o = options;
  }

  get queueUrl(): string {
    return this.#o.queue.url;
  }

  /** Polls now (new messages were just written to this queue by this host). */
  wake(): void {
    this.#wake?.();
  }

  async start(): Promise<void> {
    // The host's listener waits for a missing queue; creating it up front lets a newcomer enqueue at once.
    await this.#o.ensureExists(this.#o.queue);
    this.#running = true;
    this.#loop = this.#pump();
  }

  /** Stops polling and waits (up to `graceMs`) for running invocations; unfinished messages keep their lease. */
  async stop(graceMs = 10_000): Promise<void> {
    this.#running = false;
    this.#wake?.();
    await this.#loop;
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)));
    await Promise.race([Promise.allSettled([...this.#inFlight]), grace]);
    clearTimeout(timer);
  }

  async #pump(): Promise<void> {
    while (this.#running) {
      const free = this.#o.concurrency - this.#inFlight.size;
      if (free <= 0) {
        await this.#sleep(this.#o.pollMs);
        continue;
      }
      let messages: DequeuedMessageItem[];
      try {
        const response = await this.#o.queue.receiveMessages({
          numberOfMessages: Math.min(32, free),
          visibilityTimeout: this.#o.leaseSeconds,
        });
        messages = response.receivedMessageItems;
        if (this.#receiveFailing)
          this.#o.log("information", `Queue "${this.#o.queue.name}" is reachable again.`);
        this.#receiveFailing = false;
      } catch (err) {
        if (!this.#receiveFailing) {
          this.#o.log("warning", `Polling queue "${this.#o.queue.name}" failed: ${describe(err)}`);
        }
        this.#receiveFailing = true;
        await this.#sleep(this.#o.pollMs * 5);
        continue;
      }
      if (messages.length === 0) {
        await this.#sleep(this.#o.pollMs);
        continue;
      }
      for (const message of messages) {
        const work: Promise<void> = this.#process(message).finally(() => {
          this.#inFlight.delete(work);
          this.#wake?.();
        });
        this.#inFlight.add(work);
      }
    }
  }

  /** Sleeps until the time passes, a slot frees up, or stop() is called. */
  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = done;
    });
  }

  async #process(message: DequeuedMessageItem): Promise<void> {
    const o = this.#o;
    const lease = new MessageLease(o.queue, message, o.leaseSeconds);
    try {
      // A message seen more often than allowed was dequeued by invocations that never finished (a crash).
      if (message.dequeueCount > o.maxDequeueCount) {
        return await this.#moveToPoison(
          message,
          lease,
          `dequeued ${message.dequeueCount} times without completing`,
        );
      }
      const text = decodeQueueMessage(message.messageText, o.encoding);
      if (text === undefined) {
        return await this.#moveToPoison(message, lease, `it is not valid ${o.encoding} (messageEncoding)`);
      }
      lease.startRenewing();
      try {
        await o.invoke(text, triggerMetadataOf(o.functionName, message, text));
      } catch (err) {
        await lease.stopRenewing();
        o.log(
          "error",
          `Executed '${o.functionName}' (Failed, Id=${message.messageId}, dequeueCount=${message.dequeueCount}): ${describeWithStack(err)}`,
        );
        if (message.dequeueCount >= o.maxDequeueCount) {
          return await this.#moveToPoison(message, lease, `it failed ${message.dequeueCount} times`);
        }
        await o.queue.updateMessage(
          message.messageId,
          lease.popReceipt,
          undefined,
          Math.round(o.retryDelayMs / 1000),
        );
        return;
      }
      await lease.stopRenewing();
      await o.queue.deleteMessage(message.messageId, lease.popReceipt);
    } catch (err) {
      // Storage errors here leave the message to reappear after its lease: the host behaves the same way.
      o.log("warning", `Queue "${o.queue.name}" message ${message.messageId}: ${describe(err)}`);
    } finally {
      await lease.stopRenewing();
    }
  }

  async #moveToPoison(message: DequeuedMessageItem, lease: MessageLease, why: string): Promise<void> {
    const o = this.#o;
    await o.ensureExists(o.poisonQueue);
    // The raw (still encoded) text, so the poison message can be re-queued as is.
    await o.poisonQueue.sendMessage(message.messageText);
    await o.queue.deleteMessage(message.messageId, lease.popReceipt);
    o.log("warning", `Message ${message.messageId} moved to queue "${o.poisonQueue.name}": ${why}.`);
  }
}

/** Keeps a received message invisible while its invocation runs, tracking the pop receipt each update returns. */
class MessageLease {
  popReceipt: string;
  #timer: NodeJS.Timeout | undefined;
  #pending: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly queue: QueueClient,
    private readonly message: DequeuedMessageItem,
    private readonly leaseSeconds: number,
  ) {
    this.popReceipt = message.popReceipt;
  }

  startRenewing(): void {
    this.#timer = setInterval(
      () => {
        this.#pending = this.#pending
          .then(() =>
            this.queue.updateMessage(this.message.messageId, this.popReceipt, undefined, this.leaseSeconds),
          )
          .then((r) => {
            if (r.popReceipt) this.popReceipt = r.popReceipt;
          })
          .catch(() => undefined);
      },
      (this.leaseSeconds * 1000) / 2,
    );
  }

  /** Stops renewing and waits for a renewal in flight, so the next call uses the newest pop receipt. */
  async stopRenewing(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#pending;
  }
}

/** What the host puts in a queue trigger's metadata; the library camel-cases the keys (`dequeueCount`, ...). */
function triggerMetadataOf(
  functionName: string,
  message: DequeuedMessageItem,
  text: string,
): Record<string, RpcTypedData> {
  return {
    QueueTrigger: { string: text },
    DequeueCount: { int: message.dequeueCount },
    Id: { string: message.messageId },
    PopReceipt: { string: message.popReceipt },
    InsertionTime: { string: message.insertedOn.toISOString() },
    ExpirationTime: { string: message.expiresOn.toISOString() },
    NextVisibleTime: { string: message.nextVisibleOn.toISOString() },
    sys: {
      json: JSON.stringify({
        MethodName: functionName,
        UtcNow: new Date().toISOString(),
        RandGuid: randomUUID(),
      }),
    },
  };
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function describeWithStack(err: unknown): string {
  return err instanceof Error ? (err.stack ?? err.message) : String(err);
}
