import { describe, expect, it } from "vitest";
import { EmulatorClock } from "../../src/EmulatorClock";
import { JobStore } from "../../src/JobStore";
import type { SeedJob } from "../../src/seed";
import { DEFAULT_SETTINGS } from "../../src/settings";

const DAY = 86_400_000;
const job = (
  sub: string,
  rg: string,
  name: string,
  properties: SeedJob["properties"] = {},
  extra: Partial<SeedJob> = {},
): SeedJob => ({
  subscriptionId: sub,
  resourceGroup: rg,
  name,
  location: "West US",
  properties: { state: "Creating", ...properties },
  ...extra,
});

function store() {
  const clock = new EmulatorClock();
  return { clock, store: new JobStore(clock, () => DEFAULT_SETTINGS) };
}

function allPages(
  s: JobStore,
  sub: string,
  rg: string | undefined,
  top: number,
  between?: () => void,
): string[] {
  const names: string[] = [];
  let after = 0;
  for (;;) {
    const page = s.page(sub, rg, after, top);
    names.push(...page.items.map((j) => j.name));
    if (page.resumeAfter === undefined) return names;
    after = page.resumeAfter;
    between?.();
  }
}

describe("JobStore", () => {
  it("pages a subscription in insertion order; jobs removed between pages leave no gap or duplicate", () => {
    const { store: s } = store();
    s.load({ jobs: Array.from({ length: 10 }, (_, i) => job("sub", `rg${i % 2}`, `j${i}`)) });
    let removed = false;
    const names = allPages(s, "SUB", undefined, 3, () => {
      if (!removed) s.remove(s.get("sub", "rg0", "j0")!);
      removed = true;
    });
    expect(names).toEqual(["j0", "j1", "j2", "j3", "j4", "j5", "j6", "j7", "j8", "j9"]);
    expect(allPages(s, "sub", "RG1", 2)).toEqual(["j1", "j3", "j5", "j7", "j9"]);
    expect(s.page("nobody", undefined, 0, 10)).toEqual({ items: [] });
  });

  it("replaces a job in place on load (same key, any case) and keeps its place", () => {
    const { store: s } = store();
    s.load({ jobs: [job("sub", "rg", "a"), job("sub", "rg", "b")] });
    expect(s.load({ jobs: [job("SUB", "RG", "A", { state: "Shipping" })] })).toMatchObject({
      added: 0,
      replaced: 1,
    });
    expect(s.all("sub").map((j) => [j.name, j.properties.state])).toEqual([
      ["a", "Shipping"],
      ["b", "Creating"],
    ]);
    expect(s.size).toBe(2);
  });

  it("adds the subscription of a job that the seed does not list, as Enabled", () => {
    const { store: s } = store();
    s.load({ jobs: [job("new-sub", "rg", "a")] });
    expect(s.subscription("NEW-SUB")).toMatchObject({ subscriptionId: "new-sub", state: "Enabled" });
  });

  it("derives internal timestamps from the seed, systemData and returnPackage.shipDate", () => {
    const { clock, store: s } = store();
    const now = clock.now();
    const iso = (days: number) => new Date(now - days * DAY).toISOString();
    s.load({
      jobs: [
        job("s", "r", "explicit", { state: "Completed" }, { createdAt: iso(50), stateEnteredAt: iso(40) }),
        job(
          "s",
          "r",
          "system",
          { state: "Completed" },
          { systemData: { createdAt: iso(30), lastModifiedAt: iso(20) } },
        ),
        job("s", "r", "ship", {
          state: "Completed",
          returnPackage: { carrierName: "c", trackingNumber: "t", driveCount: 1, shipDate: iso(10) },
        }),
        job("s", "r", "draft", {}, { systemData: { createdAt: iso(5), lastModifiedAt: iso(1) } }),
      ],
    });
    const days = (name: string) => Math.round((now - s.get("s", "r", name)!.stateEnteredAtMs) / DAY);
    expect([days("explicit"), days("system"), days("ship"), days("draft")]).toEqual([40, 20, 10, 5]);
  });

  it("applies the service's expiries lazily on the clock, and removes expired jobs from both indexes", () => {
    const { clock, store: s } = store();
    s.load({
      jobs: [
        job("s", "r", "draft"),
        job("s", "r", "tracked", { deliveryPackage: { carrierName: "c", trackingNumber: "t" } }),
        job("s", "r", "done", { state: "Completed" }),
        job("s", "r", "closed", { state: "Closed" }),
        job("s", "r", "packaging", { state: "Packaging" }),
      ],
    });
    clock.advance(14 * DAY);
    expect(s.all().map((j) => j.name)).toEqual(["tracked", "done", "closed", "packaging"]);
    clock.advance(76 * DAY);
    expect(s.page("s", "r", 0, 10).items.map((j) => j.name)).toEqual(["tracked", "packaging"]);
    expect(s.page("s", undefined, 0, 10).items.map((j) => j.name)).toEqual(["tracked", "packaging"]);
    expect(s.size).toBe(2);
  });

  it("completes an accepted cancel after the delay, counting the 90 days from then", () => {
    const { clock, store: s } = store();
    s.load({ jobs: [job("s", "r", "ship", { state: "Shipping" })] });
    s.requestCancel(s.get("s", "r", "ship")!);
    clock.advance(DAY);
    const done = s.get("s", "r", "ship")!;
    expect(done.properties.state).toBe("Completed");
    expect(done.cancelCompletesAtMs).toBeUndefined();
    clock.advance(89 * DAY + 3_600_000 - 60_000);
    expect(s.get("s", "r", "ship")).toBeDefined();
    clock.advance(120_000);
    expect(s.get("s", "r", "ship")).toBeUndefined();
  });

  it("updates systemData.lastModifiedAt on change only when the job shows systemData", () => {
    const { store: s } = store();
    s.load({
      jobs: [
        job("s", "r", "with", {}, { systemData: { createdAt: new Date().toISOString() } }),
        job("s", "r", "without"),
      ],
    });
    s.setState(s.get("s", "r", "with")!, "Shipping");
    s.setState(s.get("s", "r", "without")!, "Shipping");
    expect(s.get("s", "r", "with")!.systemData?.lastModifiedAt).toBeDefined();
    expect(s.get("s", "r", "without")!.systemData).toBeUndefined();
  });
});
