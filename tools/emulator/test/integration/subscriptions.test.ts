import { describe, expect, it } from "vitest";
import { DEMO_SUBSCRIPTIONS } from "../../src/demoSeed";
import { withEmulator } from "../../../../test/support/emulator";

// GET /subscriptions (api-version 2022-12-01) for discovery, through the real SubscriptionClient.

describe("emulator: subscription discovery", () => {
  const fx = withEmulator({ seed: "demo", settings: { throttling: false } });

  it("lists the demo subscriptions with their states", async () => {
    const found: Array<[string | undefined, string | undefined]> = [];
    for await (const s of fx.subscriptions().subscriptions.list()) found.push([s.subscriptionId, s.state]);
    expect(found).toEqual([
      [DEMO_SUBSCRIPTIONS.production, "Enabled"],
      [DEMO_SUBSCRIPTIONS.devTest, "Enabled"],
      [DEMO_SUBSCRIPTIONS.archive, "Warned"],
      [DEMO_SUBSCRIPTIONS.legacy, "PastDue"],
      [DEMO_SUBSCRIPTIONS.retired, "Disabled"],
    ]);
  });

  it("gets one subscription, and answers 404 for an unknown one", async () => {
    const client = fx.subscriptions().subscriptions;
    expect((await client.get(DEMO_SUBSCRIPTIONS.archive)).displayName).toBe("Fabrikam Archive");
    await expect(client.get("00000000-0000-0000-0000-000000000000")).rejects.toMatchObject({
      statusCode: 404,
      code: "SubscriptionNotFound",
    });
  });

  it("pages many subscriptions with a nextLink that carries api-version", async () => {
    // Prepare: 250 subscriptions (added through their jobs' subscription ids).
    const subscriptions = Array.from({ length: 250 }, (_, i) => ({
      subscriptionId: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
    }));
    await fx.control.reset({ seed: { subscriptions } });

    // Act
    const ids: string[] = [];
    for await (const s of fx.subscriptions().subscriptions.list()) ids.push(s.subscriptionId!);

    // Assess
    expect(ids).toEqual(subscriptions.map((s) => s.subscriptionId));
    const calls = (await fx.control.requests()).items.filter((r) => r.operation === "Subscriptions_List");
    expect(calls).toHaveLength(3);
    expect(calls.every((c) => c.query?.includes("api-version=2022-12-01"))).toBe(true);
  });
});
