// Reading a plan's proposed actions by job source (GET /api/plans/{planId}/actions?source=, plans show --source):
// on a real Azurite, every action of that source once, in order, across pages and subscriptions, none other.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseStorageSettings } from "../../../../src/adapters/storage";
import { PlanStorage } from "../../../../src/adapters/storage/PlanStorage";
import { createContainerClient, createTableClient } from "../../../../src/adapters/storage/storageConnection";
import type { JobSource } from "../../../../src/domain/job";
import type { ProposedAction } from "../../../../src/domain/plans";
import { ValidationError } from "../../../../src/errors";
import { startAzurite, type AzuriteProcess } from "../../../../tools/local-functions-host/src/azuriteProcess";

let azurite: AzuriteProcess;
beforeAll(async () => {
  azurite = await startAzurite();
});
afterAll(async () => {
  await azurite?.stop();
});

const sub = (n: number) => `5ab20000-0000-4000-8000-${n.toString(16).padStart(12, "0")}`;

function action(subscriptionId: string, n: number, source: JobSource): ProposedAction {
  const jobName = `job-${String(n).padStart(4, "0")}`;
  const provider = source === "databox" ? "Microsoft.DataBox" : "Microsoft.ImportExport";
  return {
    jobId: `/subscriptions/${subscriptionId}/resourceGroups/rg-a/providers/${provider}/jobs/${jobName}`,
    source,
    subscriptionId,
    resourceGroup: "rg-a",
    jobName,
    jobType: "Import",
    state: "Completed",
    rule: "retention",
    action: "delete",
  };
}

async function readAll(store: PlanStorage, planId: string, source: JobSource | undefined, limit: number) {
  const out: ProposedAction[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.readActions(planId, {
      limit,
      ...(source && { source }),
      ...(cursor && { cursor }),
    });
    expect(page.items.length).toBeLessThanOrEqual(limit);
    out.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return out;
}

describe("PlanStorage.readActions by source", () => {
  it("returns only the actions of the source asked for, each once and in order, across pages", async () => {
    const conn = parseStorageSettings({ JANITOR_STORAGE: azurite.connectionString });
    const store = new PlanStorage(
      createTableClient(conn, `PlanSource${process.pid}`),
      createContainerClient(conn, `plan-source-${process.pid}`),
    );
    const planId = "20261201T110000Z-5ab2";
    const written: ProposedAction[] = [];
    for (let s = 0; s < 3; s++) {
      const actions = Array.from({ length: 25 }, (_, i) =>
        action(sub(s), s * 100 + i, i % 3 === 0 ? "databox" : "importexport"),
      );
      await store.writeActions(planId, sub(s), actions);
      written.push(...actions);
    }
    for (const limit of [1, 4, 100]) {
      const boxes = await readAll(store, planId, "databox", limit);
      expect(boxes.map((a) => a.jobId)).toEqual(
        written.filter((a) => a.source === "databox").map((a) => a.jobId),
      );
      const classic = await readAll(store, planId, "importexport", limit);
      expect(classic).toHaveLength(written.length - boxes.length);
      expect(classic.every((a) => a.source === "importexport")).toBe(true);
    }
    expect(await readAll(store, planId, undefined, 10)).toHaveLength(written.length);

    // A cursor belongs to its filter: another source with the same cursor is refused, not misread.
    const first = await store.readActions(planId, { limit: 2, source: "databox" });
    await expect(
      store.readActions(planId, { limit: 2, source: "importexport", cursor: first.nextCursor! }),
    ).rejects.toBeInstanceOf(ValidationError);
    await expect(
      store.readActions(planId, { limit: 2, source: "classic" as JobSource }),
    ).rejects.toMatchObject({ problems: [{ field: "source" }] });
  });
});
