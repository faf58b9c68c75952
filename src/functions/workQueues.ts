import type { QueueClient } from "@azure/storage-queue";
import { createQueueClient, type StorageConnection } from "../adapters/storage";
import { isRunId, isSubscriptionId } from "../domain/armIds";
import type { WorkPart } from "../engine/janitorEngine";
import { ValidationError } from "../errors";

/** Queue names; the Functions host adds `-poison` for messages that failed five times. */
export const RUNS_QUEUE = "janitor-runs";
export const PARTS_QUEUE = "janitor-parts";

export interface RunMessage {
  runId: string;
}

/**
 * Hands work to the storage queues. Messages are base64 JSON, as the Functions host expects by default. A run
 * message asks a coordinator to discover and split the run; a part message asks a worker to sweep a few
 * subscriptions, so the platform can spread a large run over many instances.
 */
export class WorkQueues {
  private constructor(
    private readonly runs: QueueClient,
    private readonly parts: QueueClient,
  ) {}

  static async open(connection: StorageConnection): Promise<WorkQueues> {
    const runs = createQueueClient(connection, RUNS_QUEUE);
    const parts = createQueueClient(connection, PARTS_QUEUE);
    await Promise.all([runs.createIfNotExists(), parts.createIfNotExists()]);
    return new WorkQueues(runs, parts);
  }

  async enqueueRun(message: RunMessage): Promise<void> {
    await this.runs.sendMessage(encode(message));
  }

  async enqueueParts(parts: WorkPart[]): Promise<void> {
    // A handful at a time: fast, without opening hundreds of sockets for a large run.
    for (let i = 0; i < parts.length; i += 16) {
      await Promise.all(parts.slice(i, i + 16).map((p) => this.parts.sendMessage(encode(p))));
    }
  }
}

function encode(value: unknown): string {
  return Buffer.from(JSON.stringify(value), "utf8").toString("base64");
}

/** Queue triggers hand us the decoded message; we still check its shape (a stray message must not act). */
export function readRunMessage(raw: unknown): RunMessage {
  const body = typeof raw === "string" ? safeJson(raw) : raw;
  const runId = (body as { runId?: unknown })?.runId;
  if (!isRunId(runId))
    throw new ValidationError([{ field: "runId", message: 'queue message must be {"runId": "..."}' }]);
  return { runId };
}

export function readPartMessage(raw: unknown): WorkPart {
  const body = (typeof raw === "string" ? safeJson(raw) : raw) as Partial<WorkPart> | undefined;
  const ok =
    body &&
    isRunId(body.runId) &&
    Number.isInteger(body.index) &&
    Array.isArray(body.subscriptions) &&
    body.subscriptions.every((s) => s && isSubscriptionId(s.subscriptionId) && Number.isInteger(s.slot));
  if (!ok)
    throw new ValidationError([
      {
        field: "message",
        message: "queue message must be a work part {runId, index, subscriptions[{subscriptionId, slot}]}",
      },
    ]);
  return body as WorkPart;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
