// PlanStorage's proposed actions on a real Azurite: read back page by page, every action once and in order, for
// any page size and blob sizes (one action per blob, blobs larger than one ranged read); and what reading costs:
// a blob is read from its start once and then only on from where a page stopped (the cursor's byte offset,
// plus the one byte before it that proves the offset is a line start), each read bounded, and a page lists only
// from the listing page it stopped in, never the plan's listing from its start.
import type { ContainerClient } from "@azure/storage-blob";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseStorageSettings } from "../../../../src/adapters/storage";
import { PlanStorage } from "../../../../src/adapters/storage/PlanStorage";
import { createContainerClient, createTableClient } from "../../../../src/adapters/storage/storageConnection";
import type { ProposedAction } from "../../../../src/domain/plans";
import { ValidationError } from "../../../../src/errors";
import { startAzurite, type AzuriteProcess } from "../../../../tools/local-functions-host/src/azuriteProcess";

let azurite: AzuriteProcess;
let count = 0;

beforeAll(async () => {
  azurite = await startAzurite();
});
afterAll(async () => {
  await azurite?.stop();
});

const sub = (n: number) => `5ab10000-0000-4000-8000-${n.toString(16).padStart(12, "0")}`;

function action(subscriptionId: string, n: number, padding = 0): ProposedAction {
  const jobName = `job-${String(n).padStart(6, "0")}${"x".repeat(padding)}`;
  return {
    jobId: `/subscriptions/${subscriptionId}/resourceGroups/rg-a/providers/Microsoft.ImportExport/jobs/${jobName}`,
    source: "importexport",
    subscriptionId,
    resourceGroup: "rg-a",
    jobName,
    jobType: "Import",
    state: "Completed",
    cancelRequested: false,
    rule: "completed-retention",
    action: "delete",
    ageDays: 40,
    ageBasis: "systemData.lastModifiedAt",
    lastModifiedAt: "2026-09-01T00:00:00.0000000Z",
  };
}

interface Traffic {
  listings: number;
  /** Blob names the listings answered. */
  names: number;
  /** Bytes asked for per blob name, in the order asked. */
  ranges: Map<string, { offset: number; count: number }[]>;
}

/** A PlanStorage over its own table and container, with the container's listing and reads counted. */
function plans(): { store: PlanStorage; traffic: Traffic; planId: string; real: ContainerClient } {
  const conn = parseStorageSettings({ JANITOR_STORAGE: azurite.connectionString });
  const n = count++;
  const table = createTableClient(conn, `PlanStore${process.pid}x${n}`);
  const real = createContainerClient(conn, `plan-store-${process.pid}-${n}`);
  const traffic: Traffic = { listings: 0, names: 0, ranges: new Map() };
  const container = new Proxy(real, {
    get(target, property) {
      if (property === "listBlobsFlat")
        return (...args: Parameters<ContainerClient["listBlobsFlat"]>) => {
          const listing = target.listBlobsFlat(...args);
          return {
            byPage: (settings: Parameters<typeof listing.byPage>[0]) => {
              const pages = listing.byPage(settings);
              return {
                next: async () => {
                  traffic.listings++;
                  const page = await pages.next();
                  traffic.names += page.done ? 0 : page.value.segment.blobItems.length;
                  return page;
                },
              };
            },
          };
        };
      if (property === "getBlockBlobClient")
        return (name: string) => {
          const blob = target.getBlockBlobClient(name);
          return new Proxy(blob, {
            get(b, p) {
              if (p === "downloadToBuffer")
                return (offset: number, length: number) => {
                  traffic.ranges.set(name, [...(traffic.ranges.get(name) ?? []), { offset, count: length }]);
                  return b.downloadToBuffer(offset, length);
                };
              const value = (b as unknown as Record<string | symbol, unknown>)[p];
              return typeof value === "function" ? value.bind(b) : value;
            },
          });
        };
      const value = (target as unknown as Record<string | symbol, unknown>)[property];
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  const store = new PlanStorage(table, container, {
    retry: { attempts: 2, baseDelayMs: 10, maxDelayMs: 20 },
  });
  return { store, traffic, real, planId: `20261201T100000Z-${(0x10000000 + n).toString(16)}` };
}

async function readAll(store: PlanStorage, planId: string, limit: number, subscriptionId?: string) {
  const out: ProposedAction[] = [];
  const pageSizes: number[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.readActions(planId, { limit, cursor, subscriptionId });
    out.push(...page.items);
    pageSizes.push(page.items.length);
    cursor = page.nextCursor;
  } while (cursor);
  return { out, pageSizes };
}

describe("plan actions on Azurite, page by page", () => {
  it("every action once, in subscription then sweep order, for any page size; the last page has no cursor", async () => {
    // Prepare: blobs of 1, 3, 7, 250 and 2 actions (one-action blobs cross listing pages of their own).
    const { store, planId } = plans();
    const sizes = [1, 3, 7, 250, 2];
    const written: ProposedAction[] = [];
    for (const [i, size] of sizes.entries()) {
      const actions = Array.from({ length: size }, (_, j) => action(sub(i), i * 1000 + j));
      await store.writeActions(planId, sub(i), actions);
      written.push(...actions);
    }
    for (const limit of [1, 3, 4, 10, 263, 1000]) {
      // Act
      const { out, pageSizes } = await readAll(store, planId, limit);
      // Assess: nothing lost, nothing twice, full pages but the last, no empty page at the end.
      expect(out).toEqual(written);
      expect(pageSizes.slice(0, -1).every((n) => n === limit)).toBe(true);
      expect(pageSizes.at(-1)).toBeGreaterThan(0);
    }
    // One subscription only, and one with nothing proposed.
    expect((await readAll(store, planId, 100, sub(3))).out).toEqual(written.slice(11, 261));
    expect(await store.readActions(planId, { subscriptionId: sub(9) })).toEqual({ items: [] });
    expect(await store.subscriptionsOf(planId)).toEqual(sizes.map((_, i) => sub(i)));
  });

  it("a page ending exactly at the plan's last action has no cursor; one ending at a blob's end points at the next", async () => {
    const { store, planId } = plans();
    await store.writeActions(planId, sub(1), [action(sub(1), 1), action(sub(1), 2)]);
    await store.writeActions(planId, sub(2), [action(sub(2), 3), action(sub(2), 4)]);
    const first = await store.readActions(planId, { limit: 2 });
    expect(first.items.map((a) => a.jobName)).toEqual(["job-000001", "job-000002"]);
    expect(first.nextCursor).toBeDefined();
    const second = await store.readActions(planId, { limit: 2, cursor: first.nextCursor });
    expect(second).toEqual({ items: [action(sub(2), 3), action(sub(2), 4)] });
  });

  it("reads on from where a page stopped: bounded ranged reads, listing from the cursor's listing page", async () => {
    // Prepare: 600 one-action blobs (more than two listing pages) and a blob larger than two ranged reads.
    const { store, traffic, planId, real } = plans();
    for (let i = 0; i < 600; i += 20)
      await Promise.all(
        Array.from({ length: 20 }, (_, j) =>
          store.writeActions(planId, sub(i + j), [action(sub(i + j), i + j)]),
        ),
      );
    const large = Array.from({ length: 2500 }, (_, j) => action(sub(600), j, 400));
    await store.writeActions(planId, sub(600), large);
    const stored = new Map<string, number>();
    for await (const item of real.listBlobsFlat({ prefix: `${planId}/` }))
      stored.set(item.name, item.properties.contentLength!);
    expect(stored.get(`${planId}/${sub(600)}.jsonl`)).toBeGreaterThan(2 * 2 ** 20);
    traffic.listings = 0;
    traffic.names = 0;
    traffic.ranges.clear();
    // Act: pages of 70 (the large blob is read 70 lines at a time), then of 1000 (three ranged reads in it).
    const small = await readAll(store, planId, 70);
    const smallTraffic = {
      listings: traffic.listings,
      names: traffic.names,
      ranges: new Map(traffic.ranges),
    };
    traffic.listings = 0;
    traffic.names = 0;
    traffic.ranges.clear();
    const big = await readAll(store, planId, 1000);
    // Assess
    for (const [{ out, pageSizes }, seen] of [
      [small, smallTraffic],
      [big, traffic],
    ] as const) {
      expect(out).toHaveLength(3100);
      expect(out.slice(600)).toEqual(large);
      let downloaded = 0;
      for (const [name, size] of stored) {
        const ranges = seen.ranges.get(name) ?? [];
        expect(ranges[0]?.offset).toBe(0);
        let read = { start: 0, end: ranges[0]?.count ?? 0 };
        for (const r of ranges.slice(1)) {
          // Each read goes on from a line start inside what was read before (the byte before it included).
          const start = r.offset + 1;
          expect(start).toBeGreaterThan(read.start);
          expect(start).toBeLessThanOrEqual(read.end);
          read = { start, end: r.offset + r.count };
        }
        for (const r of ranges) expect(r.count).toBeLessThanOrEqual(2 ** 20 + 1);
        expect(Math.max(...ranges.map((r) => r.offset + r.count))).toBe(size);
        downloaded += ranges.reduce((n, r) => n + r.count, 0);
      }
      // Read again after a page stopped inside a blob: about a quarter of what that page took from it, at most.
      const total = [...stored.values()].reduce((n, s) => n + s, 0);
      expect(downloaded).toBeLessThanOrEqual(total * 1.3 + pageSizes.length * 4096);
      // From the listing page the cursor names, in listings that grow from 16 names to 250 as the page needs
      // blobs: about twice the blobs read, plus per page one listing page gone over again and the first 16
      // (listing the plan from its start on every page would be 601 names a page).
      expect(seen.names).toBeLessThanOrEqual(2 * stored.size + pageSizes.length * (250 + 16));
      expect(seen.listings).toBeLessThanOrEqual(6 * pageSizes.length);
    }
    // The one-action blobs: one read each, whatever the page size.
    for (const [name] of stored)
      if (!name.endsWith(`${sub(600)}.jsonl`)) expect(traffic.ranges.get(name)).toHaveLength(1);
  });

  it("refuses a cursor of another filter, a tampered one, and one into a blob rewritten since", async () => {
    const { store, planId } = plans();
    await store.writeActions(planId, sub(1), [action(sub(1), 1), action(sub(1), 2), action(sub(1), 3)]);
    const first = await store.readActions(planId, { limit: 1 });
    const other = store.readActions(planId, { limit: 1, cursor: first.nextCursor, subscriptionId: sub(1) });
    await expect(other).rejects.toThrow(ValidationError);
    await expect(other).rejects.toThrow(/cursor.*different filters/);
    const body = JSON.parse(Buffer.from(first.nextCursor!, "base64url").toString("utf8")) as { k: string };
    const tampered = Buffer.from(JSON.stringify({ ...body, k: `${body.k}x` }), "utf8").toString("base64url");
    await expect(store.readActions(planId, { limit: 1, cursor: tampered })).rejects.toThrow(/cursor/);
    // An older, line-counting cursor of the same plan is refused, not read as a byte offset.
    const lines = Buffer.from(JSON.stringify({ ...body, t: "plan-actions" }), "utf8").toString("base64url");
    await expect(store.readActions(planId, { limit: 1, cursor: lines })).rejects.toThrow(
      /not a cursor of this listing/,
    );
    // The blob rewritten with longer lines: the offset no longer starts a line.
    await store.writeActions(planId, sub(1), [action(sub(1), 1, 7), action(sub(1), 2, 7)]);
    await expect(store.readActions(planId, { limit: 1, cursor: first.nextCursor })).rejects.toThrow(
      /changed since/,
    );
  });
});
