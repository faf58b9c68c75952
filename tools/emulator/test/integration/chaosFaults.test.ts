import { beforeEach, describe, expect, it } from "vitest";
import { EmulatorControlError } from "../../src/controlClient";
import { makeJob, sdkRejection, withEmulator } from "../../../../test/support/emulator";

// The fault kinds the randomized fault campaign draws: a job changed by someone else (before a read, or while a
// delete is in flight), an answer lost after the change was made, odd values in served bodies, and the request
// log's view of the job each request was about.

const SUB = "eeeeeeee-0000-4000-8000-0000000000c1";
const RG = "rg-chaos";

describe("emulator: campaign fault kinds", () => {
  const fx = withEmulator({ settings: { throttling: false } });
  const jobs = () => fx.importExport(SUB).jobs;

  beforeEach(async () => {
    await fx.control.reset({
      seed: {
        jobs: [
          makeJob(SUB, RG, "a", {}, { tags: { team: "x" } }),
          makeJob(SUB, RG, "b", { state: "Completed" }),
        ],
      },
    });
  });

  it("mutate on a GET: the read already sees the other party's change", async () => {
    await fx.control.addFaults({
      method: "GET",
      path: "/jobs/a$",
      mutate: { state: "Packaging", tags: { janitor: "exempt" } },
      count: 1,
    });
    const job = await jobs().get("a", RG);
    expect(job.properties?.state).toBe("Packaging");
    expect(job.tags).toEqual({ janitor: "exempt" });
    const [logged] = (await fx.control.requests()).items;
    expect(logged).toMatchObject({
      method: "GET",
      status: 200,
      job: { state: "Packaging", tags: { janitor: "exempt" } },
    });
  });

  it("mutate remove with latency on a DELETE: the job vanishes while the delete is in flight (404)", async () => {
    await fx.control.addFaults({
      method: "DELETE",
      path: "/jobs/a$",
      latencyMs: 50,
      mutate: { remove: true },
      count: 1,
    });
    const error = await sdkRejection(jobs().delete("a", RG));
    expect(error.statusCode).toBe(404);
    const [logged] = (await fx.control.requests()).items;
    expect(logged).toMatchObject({ method: "DELETE", status: 404 });
    expect(logged?.job).toBeUndefined();
    expect(logged?.forbidden).toBeUndefined();
  });

  it("mutate cancelRequested and state on a PATCH in flight: served on the changed job", async () => {
    await fx.control.addFaults({
      method: "PATCH",
      path: "/jobs/a$",
      latencyMs: 20,
      mutate: { cancelRequested: true },
      count: 1,
    });
    const job = await jobs().update("a", RG, { cancelRequested: true });
    expect(job.properties?.cancelRequested).toBe(true);
    const [logged] = (await fx.control.requests()).items;
    expect(logged).toMatchObject({
      method: "PATCH",
      status: 200,
      job: { state: "Creating", cancelRequested: true },
    });
  });

  it("dropResponse: the delete is made, then the connection drops; logged with the real status", async () => {
    await fx.control.addFaults({ method: "DELETE", path: "/jobs/b$", dropResponse: true, count: 1 });
    const error = await jobs()
      .delete("b", RG)
      .then(
        () => undefined,
        (e: unknown) => e as Error,
      );
    expect(error).toBeInstanceOf(Error);
    expect((await fx.control.jobs(SUB)).map((j) => j.name)).toEqual(["a"]);
    const [logged] = (await fx.control.requests()).items;
    expect(logged).toMatchObject({
      method: "DELETE",
      status: 200,
      fault: true,
      job: { state: "Completed", cancelRequested: false },
    });
  });

  it("wirePatch: odd values are served in get and list, while the emulator's rules use the stored job", async () => {
    await fx.control.addJobs({
      jobs: [
        {
          ...makeJob(SUB, RG, "odd", { state: "Completed" }),
          systemData: { createdAt: "2020-01-01T00:00:00Z" },
          wirePatch: {
            systemData: { createdAt: "Jan 1", lastModifiedAt: "1" },
            properties: { state: "Completed\t" },
          },
        },
      ],
    });
    const got = await jobs().get("odd", RG);
    expect(got.properties?.state).toBe("Completed\t");
    const raw = (await fx.control.jobs(SUB)).find((j) => j.name === "odd")!;
    expect(raw.job).toMatchObject({ systemData: { createdAt: "Jan 1", lastModifiedAt: "1" } });
    const listed = [];
    for await (const j of jobs().listBySubscription()) listed.push(j);
    expect(listed.find((j) => j.name === "odd")?.properties?.state).toBe("Completed\t");
    // The emulator still decides by the stored state (Completed): the delete is allowed, not forbidden.
    await jobs().delete("odd", RG);
    const logged = (await fx.control.requests()).items.find((r) => r.method === "DELETE");
    expect(logged).toMatchObject({ status: 200, job: { state: "Completed\t" } });
    expect(logged?.forbidden).toBeUndefined();
  });

  it("refuses a fault with a bad mutate, naming the field", async () => {
    const error = await fx.control.addFaults({ method: "GET", mutate: { state: "" } }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(EmulatorControlError);
    expect((error as EmulatorControlError).message).toContain("mutate.state");
    expect(await fx.control.faults()).toEqual([]);
  });
});
