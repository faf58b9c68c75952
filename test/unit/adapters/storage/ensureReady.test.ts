import { describe, expect, it } from "vitest";
import { createStorageOnTables } from "../../../../src/adapters/storage";
import type { TableLike } from "../../../../src/adapters/storage/tableAccess";

// Table creation failures are faults Azurite cannot produce on demand (it has no roles): fake tables here.
function tableFailingWith(statusCode: number | undefined): TableLike {
  return {
    createTable: async () => {
      if (statusCode !== undefined) throw Object.assign(new Error(`status ${statusCode}`), { statusCode });
    },
  } as unknown as TableLike;
}

const fast = { retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 } };

describe("ensureReady", () => {
  it("accepts a 403 on table creation (a reader cannot create tables; they exist already)", async () => {
    const t = tableFailingWith(403);
    await expect(
      createStorageOnTables({ audit: t, runs: t, observations: t, leases: t }, fast).ensureReady(),
    ).resolves.toBeUndefined();
  });

  it("still fails on other errors, and tries again on the next call", async () => {
    const t = tableFailingWith(500);
    const storage = createStorageOnTables({ audit: t, runs: t, observations: t, leases: t }, fast);
    await expect(storage.ensureReady()).rejects.toThrow("status 500");
    await expect(storage.ensureReady()).rejects.toThrow("status 500");
  });
});
