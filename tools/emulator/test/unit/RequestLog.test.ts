import { describe, expect, it } from "vitest";
import { RequestLog } from "../../src/RequestLog";

const entry = (path: string, forbidden = false) => ({
  method: "GET",
  path,
  status: forbidden ? 409 : 200,
  at: "2030-01-01T00:00:00.000Z",
  receivedAt: "2026-01-01T00:00:00.000Z",
  ...(forbidden ? { forbidden: true as const } : {}),
});

describe("RequestLog", () => {
  it("keeps every forbidden entry and a bounded ring of the others, in arrival order", () => {
    const log = new RequestLog(3);
    log.add(entry("/f1", true));
    for (let i = 1; i <= 5; i++) log.add(entry(`/ok${i}`));
    log.add(entry("/f2", true));
    const page = log.page();
    expect(page.items.map((e) => e.path)).toEqual(["/f1", "/ok3", "/ok4", "/ok5", "/f2"]);
    expect(page).toMatchObject({ total: 7, forbiddenTotal: 2, dropped: 2 });
    expect(log.page({ forbiddenOnly: true }).items.map((e) => e.path)).toEqual(["/f1", "/f2"]);
  });

  it("returns entries after a seq, and forgets everything on clear", () => {
    const log = new RequestLog();
    log.add(entry("/a"));
    log.add(entry("/b"));
    expect(log.page({ since: 1 }).items.map((e) => [e.seq, e.path])).toEqual([[2, "/b"]]);
    log.clear();
    expect(log.page()).toEqual({ total: 0, forbiddenTotal: 0, dropped: 0, items: [] });
  });
});
