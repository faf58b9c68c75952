import { beforeEach, describe, expect, it } from "vitest";
import { makeJob, sdkRejection, withEmulator } from "../../../../test/support/emulator";

// docs/service.md#state-rules: delete only in Creating or Completed; cancel only before Packaging. The emulator refuses
// everything else (409 by default) and flags it in its request log, where tests of the janitor look for it.

const SUB = "bbbbbbbb-0000-4000-8000-000000000001";
const DISABLED_SUB = "bbbbbbbb-0000-4000-8000-000000000002";
const RG = "rg-states";
const STATES = [
  "Creating",
  "Shipping",
  "Received",
  "Transferring",
  "Packaging",
  "Completed",
  "Closed",
  "Canceled",
];
const nameOf = (state: string) => `job-${state.toLowerCase()}`;

describe("emulator: state rules for delete and cancel", () => {
  const fx = withEmulator({ settings: { throttling: false } });
  const jobs = () => fx.importExport(SUB).jobs;

  beforeEach(async () => {
    await fx.control.reset({
      seed: {
        subscriptions: [
          { subscriptionId: SUB, displayName: "States", state: "Enabled" },
          { subscriptionId: DISABLED_SUB, displayName: "Off", state: "Disabled" },
        ],
        jobs: [
          ...STATES.map((state) => makeJob(SUB, RG, nameOf(state), { state })),
          makeJob(DISABLED_SUB, RG, "draft", { state: "Creating" }),
        ],
      },
    });
  });

  it.each(["Creating", "Completed"])(
    "deletes a job in %s: 200 with an empty body, then it is gone",
    async (state) => {
      // Act
      let status = 0;
      let bodyText: string | undefined;
      await jobs().delete(nameOf(state), RG, {
        onResponse: (raw) => {
          status = raw.status;
          bodyText = raw.bodyAsText ?? undefined;
        },
      });

      // Assess
      expect(status).toBe(200);
      expect(bodyText ?? "").toBe("");
      expect((await sdkRejection(jobs().get(nameOf(state), RG))).statusCode).toBe(404);
      expect((await fx.control.requests({ forbidden: true })).items).toEqual([]);
    },
  );

  it.each(["Shipping", "Received", "Transferring", "Packaging", "Closed", "Canceled"])(
    "refuses to delete a job in %s with an ErrorResponse and flags the request forbidden",
    async (state) => {
      const error = await sdkRejection(jobs().delete(nameOf(state), RG));
      expect(error.statusCode).toBe(409);
      expect(error.code).toBe("DeleteNotAllowed");
      expect(error.message).toContain(state);

      const forbidden = await fx.control.requests({ forbidden: true });
      expect(forbidden.forbiddenTotal).toBe(1);
      expect(forbidden.items).toMatchObject([
        {
          method: "DELETE",
          status: 409,
          forbidden: true,
          rule: "delete-not-allowed-in-state",
          operation: "Jobs_Delete",
        },
      ]);
      expect((await jobs().get(nameOf(state), RG)).properties?.state).toBe(state);
    },
  );

  it.each(["Creating", "Shipping", "Received", "Transferring"])(
    "cancels a job in %s: 200, cancelRequested true, state unchanged, Completed after the cancel delay",
    async (state) => {
      const answered = await jobs().update(nameOf(state), RG, { cancelRequested: true });
      expect(answered.properties?.cancelRequested).toBe(true);
      expect(answered.properties?.state).toBe(state);

      await fx.control.advanceClock("PT59M");
      expect((await jobs().get(nameOf(state), RG)).properties?.state).toBe(state);
      await fx.control.advanceClock("PT2M");
      const later = await jobs().get(nameOf(state), RG);
      expect(later.properties?.state).toBe("Completed");
      expect(later.properties?.cancelRequested).toBe(true);
      expect((await fx.control.requests({ forbidden: true })).items).toEqual([]);
    },
  );

  it.each(["Packaging", "Completed", "Closed", "Canceled"])(
    "refuses to cancel a job in %s and flags the request forbidden",
    async (state) => {
      const error = await sdkRejection(jobs().update(nameOf(state), RG, { cancelRequested: true }));
      expect(error.statusCode).toBe(409);
      expect(error.code).toBe("CancelNotAllowed");
      const forbidden = await fx.control.requests({ forbidden: true });
      expect(forbidden.items).toMatchObject([
        { method: "PATCH", forbidden: true, rule: "cancel-not-allowed-in-state", operation: "Jobs_Update" },
      ]);
      expect((await jobs().get(nameOf(state), RG)).properties?.cancelRequested).toBe(false);
    },
  );

  it("answers a repeated cancel with 200 and keeps the first completion time", async () => {
    await jobs().update(nameOf("Shipping"), RG, { cancelRequested: true });
    const first = (await fx.control.jobs(SUB)).find((j) => j.name === nameOf("Shipping"))!.cancelCompletesAt;
    await fx.control.advanceClock("PT30M");
    await jobs().update(nameOf("Shipping"), RG, { cancelRequested: true });
    const second = (await fx.control.jobs(SUB)).find((j) => j.name === nameOf("Shipping"))!.cancelCompletesAt;
    expect(second).toBe(first);
  });

  it("uses the refusal status and state lists from the settings", async () => {
    await fx.control.reset({
      seed: {
        jobs: [
          makeJob(SUB, RG, "closed", { state: "Closed" }),
          makeJob(SUB, RG, "ship", { state: "Shipping" }),
        ],
      },
      settings: {
        refusalStatus: 400,
        deleteStates: ["Creating", "Completed", "Closed"],
        cancelStates: ["Creating"],
      },
    });
    await jobs().delete("closed", RG);
    const refused = await sdkRejection(jobs().update("ship", RG, { cancelRequested: true }));
    expect(refused.statusCode).toBe(400);
    expect((await fx.control.requests({ forbidden: true })).items).toHaveLength(1);
  });

  it("refuses every change in a Disabled (read-only) subscription, flagged forbidden", async () => {
    const client = fx.importExport(DISABLED_SUB).jobs;
    expect((await client.get("draft", RG)).properties?.state).toBe("Creating");
    const error = await sdkRejection(client.delete("draft", RG));
    expect(error.statusCode).toBe(409);
    expect(error.code).toBe("ReadOnlyDisabledSubscription");
    expect((await fx.control.requests({ forbidden: true })).items).toMatchObject([
      { rule: "subscription-read-only" },
    ]);
  });

  it("refuses cancelRequested false and a state other than Shipping with 400 (not forbidden)", async () => {
    expect(
      (await sdkRejection(jobs().update(nameOf("Creating"), RG, { cancelRequested: false }))).statusCode,
    ).toBe(400);
    expect(
      (await sdkRejection(jobs().update(nameOf("Creating"), RG, { state: "Completed" }))).statusCode,
    ).toBe(400);
    expect((await fx.control.requests({ forbidden: true })).items).toEqual([]);
  });
});
