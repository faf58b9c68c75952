import { beforeEach, describe, expect, it } from "vitest";
import { makeJob, sdkRejection, withEmulator } from "../../../../test/support/emulator";

// Injected faults (POST /_emulator/faults): a status with an ErrorResponse, added latency, a dropped connection.

const SUB = "eeeeeeee-0000-4000-8000-000000000001";
const RG = "rg-faults";

describe("emulator: injected faults", () => {
  const fx = withEmulator({ settings: { throttling: false } });
  const jobs = () => fx.importExport(SUB).jobs;

  beforeEach(async () => {
    await fx.control.reset({ seed: { jobs: [makeJob(SUB, RG, "a"), makeJob(SUB, RG, "b")] } });
  });

  it("answers a status fault `count` times with an ErrorResponse and Retry-After, then serves normally", async () => {
    // Prepare
    await fx.control.addFaults([
      {
        method: "GET",
        path: "/jobs/a$",
        status: 503,
        retryAfter: 7,
        count: 2,
        error: { code: "ServerBusy" },
      },
    ]);

    // Act
    const retryAfters: Array<string | undefined> = [];
    const onResponse = (raw: { headers: { get(n: string): string | undefined } }) =>
      retryAfters.push(raw.headers.get("retry-after"));
    const first = await sdkRejection(jobs().get("a", RG, { onResponse }));
    const second = await sdkRejection(jobs().get("a", RG, { onResponse }));
    const third = await jobs().get("a", RG);
    const other = await jobs().get("b", RG);

    // Assess
    expect([first.statusCode, second.statusCode]).toEqual([503, 503]);
    expect(first.code).toBe("ServerBusy");
    expect(retryAfters).toEqual(["7", "7"]);
    expect(third.name).toBe("a");
    expect(other.name).toBe("b");
    const log = await fx.control.requests();
    expect(log.items.map((r) => [r.status, r.fault ?? false])).toEqual([
      [503, true],
      [503, true],
      [200, false],
      [200, false],
    ]);
    expect((await fx.control.faults())[0]).toMatchObject({ remaining: 0, applied: 2 });
  });

  it("applies a fault without count to every matching request until cleared", async () => {
    await fx.control.addFaults({ method: "delete", status: 500 });
    for (const name of ["a", "b"]) expect((await sdkRejection(jobs().delete(name, RG))).statusCode).toBe(500);
    await fx.control.clearFaults();
    await jobs().delete("a", RG);
    expect((await fx.control.jobs(SUB)).map((j) => j.name)).toEqual(["b"]);
  });

  it("delays a request with latencyMs and no status, then serves it normally", async () => {
    await fx.control.addFaults({ path: "/jobs/a$", latencyMs: 1_500 });

    // A caller that gives up sooner sees a timeout...
    const aborted = await jobs()
      .get("a", RG, { abortSignal: AbortSignal.timeout(200) })
      .then(
        () => "served",
        (e: Error) => e.name,
      );
    expect(aborted).toBe("AbortError");

    // ...one that waits gets the job.
    const started = Date.now();
    const job = await jobs().get("a", RG);
    expect(job.properties?.state).toBe("Creating");
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_400);
  });

  it("drops the connection with reset: true", async () => {
    await fx.control.addFaults({ path: "/jobs/a$", reset: true, count: 1 });
    const error = await sdkRejection(jobs().get("a", RG));
    expect(error.code).toMatch(/ECONNRESET|REQUEST_SEND_ERROR|ERR_SOCKET|EPIPE/);
    expect(error.statusCode).toBeUndefined();
    expect((await jobs().get("a", RG)).name).toBe("a");
    expect((await fx.control.requests()).items[0]).toMatchObject({ status: 0, fault: true });
  });
});
