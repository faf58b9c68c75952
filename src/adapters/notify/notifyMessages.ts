// Messages on the `janitor-notify` queue. A `deliver` message holds a finished body and names its target; the
// target's URL and secret stay in the app's settings, never on the queue. An `upcoming-flush` message asks for
// a run's pending `upcoming` notices to be grouped per owner and sent, once the run is over.
import { createHash } from "node:crypto";
import { z } from "zod";
import { NOTIFY_EVENTS } from "../../domain/notifications/notifyTargets";
import { MODES } from "../../domain/vocabulary";
import { ValidationError } from "../../errors";

export const NOTIFY_QUEUE = "janitor-notify";

const deliverSchema = z
  .object({
    kind: z.literal("deliver"),
    deliveryId: z.string().regex(/^[a-f0-9]{32}$/),
    target: z.string().min(1).max(64),
    event: z.enum(NOTIFY_EVENTS),
    runId: z.string().max(64).optional(),
    body: z.string().max(60_000),
  })
  .strict();

const flushSchema = z
  .object({ kind: z.literal("upcoming-flush"), runId: z.string().min(1).max(64), mode: z.enum(MODES) })
  .strict();

const messageSchema = z.discriminatedUnion("kind", [deliverSchema, flushSchema]);

export type DeliverMessage = z.infer<typeof deliverSchema>;
export type NotifyMessage = z.infer<typeof messageSchema>;

/** The idempotency key a receiver sees in `x-janitor-delivery`: the same for every retry of one notice. */
export function deliveryId(...parts: string[]): string {
  return createHash("sha256").update(parts.join("\n")).digest("hex").slice(0, 32);
}

export function encodeNotifyMessage(message: NotifyMessage): string {
  return Buffer.from(JSON.stringify(message), "utf8").toString("base64");
}

/** The Functions host hands over the decoded message (a string or parsed JSON); its shape is checked here. */
export function readNotifyMessage(raw: unknown): NotifyMessage {
  let body = raw;
  if (typeof raw === "string") {
    try {
      body = JSON.parse(raw);
    } catch {
      body = undefined;
    }
  }
  const parsed = messageSchema.safeParse(body);
  if (!parsed.success)
    throw new ValidationError([
      { field: "message", message: "not a janitor-notify message ({kind: deliver|upcoming-flush, ...})" },
    ]);
  return parsed.data;
}
