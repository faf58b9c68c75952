// Notifications end to end below the Functions host: a real sweep (emulator over https, Azurite), the real
// `janitor-notify` queue, and deliveries to a real HTTP receiver on loopback. The queue is drained here the way
// the `notifyDelivery` function does it (its retries are the host's; see test/e2e/notifications.test.ts).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createQueueClient } from "../../../src/adapters/storage";
import {
  createNotifier,
  deliverNotification,
  DeliveryError,
  NOTIFY_QUEUE,
  readNotifyMessage,
  signature,
  type QueueNotifier,
} from "../../../src/adapters/notify";
import type { NotifyTarget } from "../../../src/domain/notifications/notifyTargets";
import type { PolicyDocument } from "../../../src/domain/policy";
import { withScenarios, type Scenario } from "../../support/janitorHarness";
import { FAKE_EMAIL, FAKE_KEY, FAKE_PHONE, guid, seedJob, subscription } from "../../support/jobFactory";
import { startWebhookReceiver, type WebhookReceiver } from "../../support/webhookReceiver";

const SUB = guid(0xb1);
const DAY = 86_400_000;
const SECRET = "a-test-secret-of-some-length";
const POLICY: PolicyDocument = {
  version: 1,
  rules: [{ name: "completed-retention", states: ["Completed"], olderThan: "P30D", action: "delete" }],
  guards: { gracePeriod: "P3D" },
  limits: {
    maxActionsPerRun: 100,
    maxActionsPerSubscription: 100,
    maxEligibleFraction: 1,
    minJobsForFraction: 10,
  },
};
const JOBS = [
  seedJob({
    sub: SUB,
    name: "old-a1",
    state: "Completed",
    days: 40,
    tags: { owner: "team-a" },
    systemData: true,
  }),
  seedJob({
    sub: SUB,
    name: "old-a2",
    state: "Completed",
    days: 50,
    tags: { Owner: "team-a" },
    systemData: true,
  }),
  seedJob({
    sub: SUB,
    name: "old-b",
    state: "Completed",
    days: 45,
    tags: { owner: "team-b" },
    systemData: true,
  }),
  seedJob({ sub: SUB, name: "old-untagged", state: "Completed", days: 60, systemData: true }),
  seedJob({
    sub: SUB,
    name: "young",
    state: "Completed",
    days: 2,
    tags: { owner: "team-a" },
    systemData: true,
  }),
];

const { scenario } = withScenarios();
let receiver: WebhookReceiver;
beforeAll(async () => {
  receiver = await startWebhookReceiver();
});
afterAll(() => receiver?.close());

/** The janitor of a scenario with a notifier attached, as createJanitor does when JANITOR_NOTIFY is set. */
async function withNotifier(s: Scenario, target: NotifyTarget): Promise<QueueNotifier> {
  const notifier = (await createNotifier(
    s.janitor.settings.storage,
    { targets: [target] },
    {
      tablePrefix: `N${process.pid}x${Date.now() % 100000}`,
      flushDelaySeconds: 0,
    },
  ))!;
  (s.janitor.engine.services as { events?: QueueNotifier }).events = notifier;
  return notifier;
}

/** Receives and delivers what is on the queue until it is empty, as the notifyDelivery function would. */
async function drain(s: Scenario, notifier: QueueNotifier, target: NotifyTarget): Promise<void> {
  await notifier.idle();
  const queue = createQueueClient(s.janitor.settings.storage, NOTIFY_QUEUE);
  for (;;) {
    const { receivedMessageItems: items } = await queue.receiveMessages({ numberOfMessages: 32 });
    if (items.length === 0) return;
    for (const item of items) {
      const message = readNotifyMessage(Buffer.from(item.messageText, "base64").toString("utf8"));
      if (message.kind === "upcoming-flush") await notifier.flushUpcoming(message.runId, message.mode);
      else await deliverNotification(message, target);
      await queue.deleteMessage(item.messageId, item.popReceipt);
    }
  }
}

describe("notifications", () => {
  it("mark, notify, then act: upcoming once per owner, nothing new next time, run-finished with the counts", async () => {
    // Prepare
    let now = Date.now();
    const s = await scenario({
      seed: { subscriptions: [subscription(SUB)], jobs: JOBS },
      policy: POLICY,
      engine: { now: () => new Date(now) },
    });
    const target: NotifyTarget = {
      name: "teams",
      url: receiver.url,
      secret: SECRET,
      format: "teams",
      events: ["upcoming", "run-finished", "action-failed"],
      ownerTag: "owner",
      allowPrivate: true,
    };
    const notifier = await withNotifier(s, target);
    receiver.received.length = 0;

    // Act: the first plan marks four jobs
    const first = await s.run("plan");
    await drain(s, notifier, target);

    // Assess
    expect(first.run.counts.planned).toBe(0);
    const cards = receiver.received.map((r) => ({
      r,
      text: JSON.stringify(JSON.parse(r.body).attachments[0].content),
    }));
    const upcoming = cards.filter((c) => c.r.headers["x-janitor-event"] === "upcoming");
    expect(upcoming).toHaveLength(3);
    const forA = upcoming.find((c) => c.text.includes("for team-a"))!;
    expect(forA.text).toContain("old-a1");
    expect(forA.text).toContain("old-a2");
    expect(forA.text).not.toContain("young");
    const earliest = new Date(Date.parse(forA.text.match(/from (\S+?Z)/)![1]!));
    expect(Math.abs(earliest.getTime() - (now + 3 * DAY))).toBeLessThan(60_000);
    expect(upcoming.some((c) => c.text.includes("old-untagged") && !c.text.includes(" for "))).toBe(true);
    expect(cards.filter((c) => c.r.headers["x-janitor-event"] === "run-finished")).toHaveLength(1);
    for (const { r } of cards) {
      const ts = String(r.headers["x-janitor-timestamp"]);
      expect(r.headers["x-janitor-signature"]).toBe(`sha256=${signature(SECRET, ts, r.body)}`);
      expect(r.headers["x-janitor-delivery"]).toMatch(/^[a-f0-9]{32}$/);
      for (const canary of [FAKE_PHONE, FAKE_EMAIL, FAKE_KEY, "Pat Doe"])
        expect(r.body).not.toContain(canary);
    }

    // Act: the next plan sends nothing new
    receiver.received.length = 0;
    await s.run("plan");
    await drain(s, notifier, target);
    expect(receiver.received.map((r) => r.headers["x-janitor-event"])).toEqual(["run-finished"]);

    // Act: apply after the grace period
    receiver.received.length = 0;
    now += 4 * DAY;
    const applied = await s.run("apply");
    await drain(s, notifier, target);
    expect(applied.run.counts.deleted).toBe(4);
    expect(receiver.received.map((r) => r.headers["x-janitor-event"])).toEqual(["run-finished"]);
    expect(receiver.received[0]!.body).toContain('"value":"4"');
  }, 60_000);

  it("a receiver that fails or hangs never touches the sweep; its deliveries fail for a retry", async () => {
    const s = await scenario({ seed: { subscriptions: [subscription(SUB)], jobs: JOBS }, policy: POLICY });
    const target: NotifyTarget = {
      name: "gen",
      url: receiver.url,
      format: "generic",
      events: ["upcoming", "run-finished"],
      allowPrivate: true,
    };
    const quiet = await s.run("plan");
    const notifier = await withNotifier(s, target);

    receiver.answer = "hang";
    const started = Date.now();
    const sweep = await s.run("plan");
    const sweepMs = Date.now() - started;
    expect(sweep.run.status).toBe(quiet.run.status);
    expect(sweep.run.counts).toEqual(quiet.run.counts);
    expect(sweepMs).toBeLessThan(5_000);
    await notifier.idle();

    const queue = createQueueClient(s.janitor.settings.storage, NOTIFY_QUEUE);
    const { receivedMessageItems: items } = await queue.receiveMessages({ numberOfMessages: 32 });
    const deliver = items
      .map((i) => readNotifyMessage(Buffer.from(i.messageText, "base64").toString()))
      .find((m) => m.kind === "deliver")!;
    expect(deliver.kind).toBe("deliver");
    if (deliver.kind !== "deliver") return;
    const hung = Date.now();
    await expect(deliverNotification(deliver, target, { timeoutMs: 500 })).rejects.toMatchObject({
      retry: true,
    });
    expect(Date.now() - hung).toBeLessThan(3_000);
    receiver.answer = { status: 500 };
    await expect(deliverNotification(deliver, target)).rejects.toThrow(/answered HTTP 500/);
    receiver.answer = { status: 200 };
  }, 60_000);
});

describe("delivery refuses what could reach inside (SSRF)", () => {
  const base = {
    kind: "deliver" as const,
    deliveryId: "0".repeat(32),
    target: "t",
    event: "run-finished" as const,
    body: "{}",
  };
  const target = (url: string, extra: Partial<NotifyTarget> = {}): NotifyTarget => ({
    name: "t",
    url,
    format: "generic",
    events: ["run-finished"],
    ...extra,
  });

  it.each(["http://169.254.169.254/latest/meta-data", "https://10.0.0.1/hook", "https://169.254.169.254/"])(
    "refuses %s",
    async (url) => {
      await expect(deliverNotification(base, target(url))).rejects.toMatchObject({ retry: false });
    },
  );

  it("refuses a host name that resolves to loopback, unless allowPrivate", async () => {
    const before = receiver.received.length;
    const port = new URL(receiver.url).port;
    const resolve = async () => [{ address: "127.0.0.1", family: 4 }];
    const err = await deliverNotification(base, target(`https://hooks.example.test:${port}/`), {
      resolve,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeliveryError);
    expect((err as DeliveryError).message).toMatch(
      /hooks\.example\.test resolves to a private, loopback or link-local address/,
    );
    // localhost, through the real resolver
    await expect(deliverNotification(base, target(`http://localhost:${port}/`))).rejects.toMatchObject({
      retry: false,
    });
    expect(receiver.received.length).toBe(before);
  });

  it("does not follow a redirect (to a private address or anywhere)", async () => {
    receiver.answer = { status: 302, location: "http://10.0.0.1/internal" };
    const before = receiver.received.length;
    await expect(deliverNotification(base, target(receiver.url, { allowPrivate: true }))).rejects.toThrow(
      /redirects are not followed/,
    );
    expect(receiver.received.length).toBe(before + 1);
    receiver.answer = { status: 200 };
  });
});
