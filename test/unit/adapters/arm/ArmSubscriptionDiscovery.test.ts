import { describe, expect, it } from "vitest";

import { ArmRequestError, createArmAdapters, parseArmSettings } from "../../../../src/adapters/arm";
import { ValidationError } from "../../../../src/errors";
import { FakeHttpClient } from "./fakeHttpClient";
import { ENDPOINT } from "./wireJobs";

function discovery() {
  const http = new FakeHttpClient();
  const { subscriptions } = createArmAdapters(parseArmSettings({ JANITOR_ARM_ENDPOINT: ENDPOINT }), {
    httpClient: http,
  });
  return { subscriptions, http };
}

const subscription = (id: string, state: string | undefined, displayName?: string) => ({
  id: `/subscriptions/${id}`,
  subscriptionId: id,
  tenantId: "t",
  ...(state !== undefined && { state }),
  ...(displayName && { displayName }),
  subscriptionPolicies: { quotaId: "q", spendingLimit: "Off" },
});

describe("ArmSubscriptionDiscovery", () => {
  it("refuses a subscription id outside the accepted shape before anything is sent", async () => {
    // Prepare
    const { subscriptions, http } = discovery();

    // Act
    const reading = subscriptions.getSubscription("../providers/x");

    // Assert
    await expect(reading).rejects.toBeInstanceOf(ValidationError);
    expect(http.sent).toHaveLength(0);
  });

  it("lists every page with states, following nextLink", async () => {
    // Prepare
    const { subscriptions, http } = discovery();
    const nextLink = `${ENDPOINT}/subscriptions?api-version=2022-12-01&$skiptoken=2`;
    http.reply(
      {
        status: 200,
        json: { value: [subscription("sub-a", "Enabled", "A"), subscription("sub-b", "Disabled")], nextLink },
      },
      {
        status: 200,
        json: { value: [subscription("sub-c", "PastDue", "C"), subscription("sub-d", undefined)] },
      },
    );

    // Act
    const found = await subscriptions.listSubscriptions();

    // Assess
    expect(found).toEqual([
      { subscriptionId: "sub-a", displayName: "A", state: "Enabled" },
      { subscriptionId: "sub-b", state: "Disabled" },
      { subscriptionId: "sub-c", displayName: "C", state: "PastDue" },
      { subscriptionId: "sub-d", state: "Unknown" },
    ]);
    expect(http.sent.map((request) => request.url)).toEqual([
      `${ENDPOINT}/subscriptions?api-version=2022-12-01`,
      nextLink,
    ]);
  });

  it("throws ArmRequestError with the status and code when a page is refused", async () => {
    const { subscriptions, http } = discovery();
    http.reply({ status: 403, json: { error: { code: "AuthorizationFailed", message: "No access." } } });

    const error = await subscriptions.listSubscriptions().catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(ArmRequestError);
    expect(error).toMatchObject({
      status: 403,
      code: "AuthorizationFailed",
      failure: { kind: "not-allowed" },
    });
    expect((error as Error).message).toMatch(/Listing subscriptions failed.*403.*AuthorizationFailed/);
  });

  it("throws a transient ArmRequestError when the second page's connection keeps dropping (four tries): never a partial list", async () => {
    const { subscriptions, http } = discovery();
    http.reply(
      {
        status: 200,
        json: { value: [subscription("sub-a", "Enabled")], nextLink: `${ENDPOINT}/subscriptions?p=2` },
      },
      { networkError: "ECONNRESET" },
      { networkError: "ECONNRESET" },
      { networkError: "ECONNRESET" },
      { networkError: "ECONNRESET" },
    );

    await expect(subscriptions.listSubscriptions()).rejects.toMatchObject({
      failure: { kind: "transient", code: "ECONNRESET" },
    });
  });

  it("throws on throttling that asks for a longer wait than discovery takes, with the wait asked for", async () => {
    const { subscriptions, http } = discovery();
    http.reply({ status: 429, headers: { "retry-after": "60" } });

    await expect(subscriptions.listSubscriptions()).rejects.toMatchObject({
      status: 429,
      failure: { kind: "throttled", retryAfterMs: 60_000 },
    });
  });

  it("asks again after a short 429 or a 503, and lists everything", async () => {
    const { subscriptions, http } = discovery();
    http.reply(
      { status: 429, headers: { "retry-after": "0" } },
      { status: 503 },
      { status: 200, json: { value: [subscription("sub-a", "Enabled")] } },
    );

    expect(await subscriptions.listSubscriptions()).toEqual([
      expect.objectContaining({ subscriptionId: "sub-a", state: "Enabled" }),
    ]);
  });

  it("refuses a nextLink that leaves the ARM endpoint", async () => {
    const { subscriptions, http } = discovery();
    http.reply({ status: 200, json: { value: [], nextLink: "https://elsewhere.example/subscriptions" } });

    await expect(subscriptions.listSubscriptions()).rejects.toMatchObject({ failure: { kind: "malformed" } });
    expect(http.sent).toHaveLength(1);
  });

  it("rejects with the AbortError when the caller aborts", async () => {
    const { subscriptions, http } = discovery();
    http.reply({ hang: true });
    const controller = new AbortController();

    const pending = subscriptions.listSubscriptions(controller.signal);
    setTimeout(() => controller.abort(), 10);

    await expect(pending).rejects.toMatchObject({ name: "AbortError" });
  });
});
