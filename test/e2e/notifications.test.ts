// Notifications through the local Functions host: the built app sweeps the demo data, the engine's events go
// to the real `janitor-notify` queue on Azurite, and the `notifyDelivery` function POSTs them to a real receiver.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signature } from "../../src/adapters/notify";
import { waitForRun, withAppStack } from "../support/appStack";
import { FAKE_EMAIL, FAKE_KEY, FAKE_PHONE } from "../support/jobFactory";
import { startWebhookReceiver, type WebhookReceiver } from "../support/webhookReceiver";

const SECRET = "e2e-secret-0123456789";
let receiver: WebhookReceiver;
// Registered before the app stack's own hook, so the receiver's URL exists when the settings are read.
beforeAll(async () => {
  receiver = await startWebhookReceiver();
});
afterAll(() => receiver?.close());

const stack = withAppStack({
  seed: "demo",
  get settings() {
    return {
      JANITOR_NOTIFY: JSON.stringify([
        {
          name: "local",
          url: receiver.url,
          format: "teams",
          secret: SECRET,
          allowPrivate: true,
          ownerTag: "owner",
          events: ["upcoming", "run-finished"],
        },
      ]),
    };
  },
});

async function until<T>(check: () => T | undefined, timeoutMs = 30_000): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() - started > timeoutMs) throw new Error("timed out waiting for deliveries");
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe("notifications through the local host", () => {
  it("a plan run's run-finished and upcoming notices arrive signed, without personal data", async () => {
    const res = await fetch(`${stack().api}/runs`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ mode: "plan", reason: "notify e2e" }),
    });
    const { runId } = (await res.json()) as { runId: string };
    const run = await waitForRun(stack().api, runId);
    const finished = await until(() =>
      receiver.received.find(
        (r) => r.headers["x-janitor-event"] === "run-finished" && r.body.includes(runId),
      ),
    );
    expect(finished.body).toContain(`"value":"${(run.counts as { jobsSeen: number }).jobsSeen}"`);
    const upcoming = await until(() => {
      const found = receiver.received.filter((r) => r.headers["x-janitor-event"] === "upcoming");
      return found.length > 0 ? found : undefined;
    });
    for (const r of [finished, ...upcoming]) {
      expect(r.headers["x-janitor-signature"]).toBe(
        `sha256=${signature(SECRET, String(r.headers["x-janitor-timestamp"]), r.body)}`,
      );
      for (const canary of [FAKE_PHONE, FAKE_EMAIL, FAKE_KEY]) expect(r.body).not.toContain(canary);
    }
  }, 90_000);
});
