// Issue 11's acceptance through the local Functions host with real loopback receivers:
// 1. "mark, notify, then act": a P3D grace period and a `teams` target; the first plan sends one `upcoming`
//    message per owner, the next plan nothing new, and apply after the grace period sends `run-finished`.
//    The janitor measures grace periods by the host clock (firstEligibleAt vs now) and has no clock setting, so
//    "after the grace period" is made by moving the stored first-eligible marks back 4 days through the real
//    observation store (the emulator's clock is advanced by as much, so both sides agree on the time).
// 2. Receivers that answer 500 or hang: redelivered by the queue, then poison and a recorded failure, while the
//    sweep's outcome and duration stay as they were with healthy receivers.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createStorage, parseStorageSettings } from "../../src/adapters/storage";
import { waitForRun, withAppStack } from "../support/appStack";
import { guid, seedJob, subscription } from "../support/jobFactory";
import { startWebhookReceiver, type ReceivedRequest, type WebhookReceiver } from "../support/webhookReceiver";

const DAY = 86_400_000;
const SUB = guid(0x11a);
const POLICY = JSON.stringify({
  version: 1,
  rules: [{ name: "stale-drafts", states: ["Creating"], olderThan: "P7D", action: "delete" }],
  guards: { gracePeriod: "P3D" },
});
const seed = {
  subscriptions: [subscription(SUB)],
  jobs: [
    seedJob({
      sub: SUB,
      name: "alice-1",
      state: "Creating",
      days: 8,
      systemData: true,
      tags: { owner: "alice" },
    }),
    seedJob({
      sub: SUB,
      name: "alice-2",
      state: "Creating",
      days: 9,
      systemData: true,
      tags: { owner: "alice" },
    }),
    seedJob({
      sub: SUB,
      name: "bob-1",
      state: "Creating",
      days: 8,
      systemData: true,
      tags: { owner: "bob" },
    }),
    seedJob({
      sub: SUB,
      name: "young",
      state: "Creating",
      days: 1,
      systemData: true,
      tags: { owner: "bob" },
    }),
  ],
};

async function startRun(api: string, mode: "plan" | "apply"): Promise<string> {
  const res = await fetch(`${api}/runs`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ mode, reason: "notifications flow e2e" }),
  });
  expect(res.status).toBe(202);
  return ((await res.json()) as { runId: string }).runId;
}

async function until<T>(
  what: string,
  check: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 30_000,
) {
  const started = Date.now();
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const ofEvent = (receiver: WebhookReceiver, event: string) =>
  receiver.received.filter((r) => r.headers["x-janitor-event"] === event);
const finishedFor = (receiver: WebhookReceiver, runId: string) =>
  ofEvent(receiver, "run-finished").filter((r) => r.body.includes(runId));
/** The Adaptive Card's fact value for a title (the teams format). */
const fact = (r: ReceivedRequest, title: string) =>
  new RegExp(`"title":"${title}","value":"([^"]*)"`).exec(r.body)?.[1];

describe("mark, notify, then act: upcoming per owner, then run-finished after the grace period", () => {
  let receiver: WebhookReceiver;
  beforeAll(async () => {
    receiver = await startWebhookReceiver();
  });
  afterAll(() => receiver?.close());
  const stack = withAppStack({
    seed,
    get settings() {
      return {
        JANITOR_POLICY: POLICY,
        JANITOR_MANUAL_APPLY: "enabled",
        JANITOR_NOTIFY: JSON.stringify([
          {
            name: "owners",
            url: receiver.url,
            format: "teams",
            allowPrivate: true,
            ownerTag: "owner",
            events: ["upcoming", "run-finished"],
          },
        ]),
      };
    },
  });

  it("first plan: one upcoming per owner; next plan: nothing new; apply after the grace period: run-finished", async () => {
    const { api, settings, control } = stack();
    const storage = createStorage(parseStorageSettings({ JANITOR_STORAGE: settings.JANITOR_STORAGE! }));

    // First plan: the grace marks are set, and each owner hears of their jobs once.
    const first = await startRun(api, "plan");
    const firstRun = await waitForRun(api, first);
    expect(firstRun).toMatchObject({ status: "succeeded", counts: { jobsSeen: 4, planned: 0 } });
    const upcoming = await until("two upcoming messages", () => {
      const found = ofEvent(receiver, "upcoming");
      return found.length >= 2 ? found : undefined;
    });
    await until("the first run-finished", () => finishedFor(receiver, first)[0]);
    const marks = await storage.observations.loadSubscription(SUB);
    const earliest = (name: string) => {
      const mark = [...marks.values()].find((o) => o.jobId.endsWith(`/${name}`))?.firstEligibleAt;
      expect(mark, name).toBeDefined();
      return new Date(Date.parse(mark!) + 3 * DAY).toISOString();
    };
    const byOwner = new Map(upcoming.map((r) => [fact(r, "Owner"), r.body]));
    expect([...byOwner.keys()].sort()).toEqual(["alice", "bob"]);
    for (const name of ["alice-1", "alice-2"]) {
      expect(byOwner.get("alice")).toContain(`delete rg-test/${name} (Creating, rule stale-drafts`);
      expect(byOwner.get("alice")).toContain(`from ${earliest(name)}`);
    }
    expect(byOwner.get("bob")).toContain(`delete rg-test/bob-1 (Creating, rule stale-drafts`);
    expect(byOwner.get("bob")).toContain(`from ${earliest("bob-1")}`);
    expect(byOwner.get("bob")).not.toContain("young");

    // Next plan: only its run-finished; no upcoming (waited for past its end-of-run grouping).
    const second = await startRun(api, "plan");
    expect(await waitForRun(api, second)).toMatchObject({ status: "succeeded", counts: { planned: 0 } });
    await until("the second run-finished", () => finishedFor(receiver, second)[0]);
    await new Promise((r) => setTimeout(r, 3_000));
    expect(ofEvent(receiver, "upcoming")).toHaveLength(2);

    // After the grace period: the host clock cannot be moved, so the marks go back 4 days in the real store.
    await control.advanceClock("P4D");
    const backdated = [...marks.values()].map((o) => ({
      ...o,
      firstEligibleAt: new Date(Date.parse(o.firstEligibleAt!) - 4 * DAY).toISOString(),
    }));
    expect(backdated).toHaveLength(3);
    await storage.observations.save(SUB, { upserts: backdated, removals: [] });

    const apply = await startRun(api, "apply");
    const applied = await waitForRun(api, apply);
    expect(applied).toMatchObject({ status: "succeeded", counts: { jobsSeen: 4, deleted: 3, failed: 0 } });
    const finished = await until("the apply run-finished", () => finishedFor(receiver, apply)[0]);
    expect(fact(finished, "Status")).toBe("succeeded");
    expect(fact(finished, "Jobs seen")).toBe("4");
    expect(fact(finished, "Deleted")).toBe("3");
    expect(fact(finished, "Refused / failed")).toBe("0 / 0");
    await new Promise((r) => setTimeout(r, 1_000));
    expect(ofEvent(receiver, "upcoming")).toHaveLength(2);
  }, 60_000);
});

describe("receivers that answer 500 or hang: redelivery, poison, a recorded failure, an unchanged sweep", () => {
  let failing: WebhookReceiver;
  let hanging: WebhookReceiver;
  beforeAll(async () => {
    [failing, hanging] = await Promise.all([startWebhookReceiver(), startWebhookReceiver()]);
  });
  afterAll(() => Promise.all([failing?.close(), hanging?.close()]));
  const MAX_DEQUEUE = 3;
  const stack = withAppStack({
    seed,
    get settings() {
      return {
        JANITOR_POLICY: POLICY,
        // host.json says 5 deliveries 10 s apart; overridden as app settings do on the real host, so a hanging
        // receiver (10 s delivery timeout each) reaches the poison queue in about 35 s.
        AzureFunctionsJobHost__extensions__queues__maxDequeueCount: String(MAX_DEQUEUE),
        AzureFunctionsJobHost__extensions__queues__visibilityTimeout: "00:00:01",
        JANITOR_NOTIFY: JSON.stringify(
          [
            ["fails", failing],
            ["hangs", hanging],
          ].map(([name, r]) => ({
            name,
            url: (r as WebhookReceiver).url,
            format: "generic",
            allowPrivate: true,
            events: ["run-finished"],
          })),
        ),
      };
    },
  });

  it("each notice is delivered maxDequeueCount times, then recorded; the run's status, counts and duration hold", async () => {
    const { api } = stack();
    const durationOf = (run: Record<string, unknown>) =>
      Date.parse(run.finishedAt as string) - Date.parse(run.startedAt as string);

    // Baseline: healthy receivers.
    const healthyId = await startRun(api, "plan");
    const healthy = await waitForRun(api, healthyId);
    await until("both healthy deliveries", () =>
      finishedFor(failing, healthyId).length && finishedFor(hanging, healthyId).length ? true : undefined,
    );

    failing.answer = { status: 500 };
    hanging.answer = "hang";
    const brokenId = await startRun(api, "plan");
    const broken = await waitForRun(api, brokenId);
    const [healthyMs, brokenMs] = [durationOf(healthy), durationOf(broken)];
    console.log(
      `sweep duration: ${healthyMs} ms with healthy receivers, ${brokenMs} ms with 500/hanging ones`,
    );
    expect(broken.status).toBe(healthy.status);
    expect(broken.status).toBe("succeeded");
    expect(broken.counts).toEqual(healthy.counts);
    expect(broken.notificationsFailed).toBeUndefined();
    expect(Math.abs(brokenMs - healthyMs)).toBeLessThan(2_000);

    // Redelivered by the queue, then poison: the failure lands on the run record, nothing else changes.
    const recorded = await until(
      "both failures recorded",
      async () => {
        const run = (await (await fetch(`${api}/runs/${brokenId}`)).json()) as Record<string, unknown>;
        return run.notificationsFailed === 2 ? run : undefined;
      },
      50_000,
    );
    expect(recorded.notificationError).toMatch(/run-finished to (fails|hangs): .*poison message/);
    expect(recorded.status).toBe(broken.status);
    expect(recorded.counts).toEqual(broken.counts);
    for (const r of [failing, hanging]) {
      const attempts = finishedFor(r, brokenId);
      expect(attempts).toHaveLength(MAX_DEQUEUE);
      expect(new Set(attempts.map((a) => a.headers["x-janitor-delivery"])).size).toBe(1);
    }
  }, 60_000);
});
