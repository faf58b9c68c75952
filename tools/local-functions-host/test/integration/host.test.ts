import path from "node:path";
import { QueueServiceClient } from "@azure/storage-queue";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rawRequest } from "../../../../test/support/rawHttp";
import { startAzurite, type AzuriteProcess } from "../../src/azuriteProcess";
import { startLocalHost, type HostLogEntry, type LocalHost } from "../../src/host";

const appRoot = path.resolve(__dirname, "../../../../test/fixtures/functionsApp");
const WORK_QUEUE = "fixture-work";

interface FixtureEvents {
  appStarted: boolean;
  invocations: number;
  ticks: { isPastDue: boolean; next?: string }[];
  processed: { id: string; dequeueCount: number }[];
  attempts: Record<string, number>;
  maxInFlight: number;
}

/** The first message whose base64-decoded text contains `marker`, decoded and parsed (messages are base64 JSON). */
function decodedContaining(items: { messageText: string }[], marker: string): unknown {
  const decode = (text: string) => Buffer.from(text, "base64").toString();
  const found = items.find((m) => decode(m.messageText).includes(marker));
  return found && JSON.parse(decode(found.messageText));
}

describe("local host serving the fixture app", () => {
  let azurite: AzuriteProcess;
  let host: LocalHost;
  let queues: QueueServiceClient;
  const logs: HostLogEntry[] = [];

  beforeAll(async () => {
    azurite = await startAzurite();
    queues = QueueServiceClient.fromConnectionString(azurite.connectionString);
    host = await startLocalHost({
      appRoot,
      port: 0,
      env: {
        FIXTURE_STORAGE: azurite.connectionString,
        FIXTURE_WORK_QUEUE: WORK_QUEUE,
        FIXTURE_SCHEDULE: "*/1 * * * * *",
        FUNCTIONS_REQUEST_BODY_SIZE_LIMIT: "1024",
      },
      queuePollMs: 100,
      log: (entry) => logs.push(entry),
    });
  });

  afterAll(async () => {
    await host?.close();
    await azurite?.stop();
  });

  const events = async (): Promise<FixtureEvents> =>
    (await (await fetch(`${host.url}/api/test/events`)).json()) as FixtureEvents;

  async function waitFor<T>(
    what: string,
    probe: () => Promise<T | undefined | false>,
    timeoutMs = 20_000,
  ): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (value) return value;
      if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async function enqueue(messages: unknown[]): Promise<void> {
    const res = await fetch(`${host.url}/api/enqueue`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ messages }),
    });
    expect(res.status).toBe(202);
  }

  it("reports every registration with the metadata it was registered with", () => {
    const byName = Object.fromEntries(host.registrations.map((r) => [r.name, r]));
    expect(byName.hello).toMatchObject({
      trigger: "httpTrigger",
      route: "/api/hello/{name?}",
      methods: ["GET"],
      authLevel: "function",
    });
    expect(byName.itemCreate).toMatchObject({ route: "/api/items", methods: ["POST"] });
    expect(byName.boom).toMatchObject({ route: "/api/boom", authLevel: "anonymous" });
    expect(byName.tick).toMatchObject({
      trigger: "timerTrigger",
      schedule: "*/1 * * * * *",
      runOnStartup: false,
    });
    expect(byName.work).toMatchObject({
      trigger: "queueTrigger",
      queueName: WORK_QUEUE,
      connection: "FIXTURE_STORAGE",
    });
    expect(host.registrations.every((r) => r.error === undefined)).toBe(true);
  });

  it("ran the app's appStart hook and its postInvocation hook", async () => {
    const before = await events();
    expect(before.appStarted).toBe(true);
    const after = await events();
    expect(after.invocations).toBeGreaterThan(before.invocations);
  });

  it("serves text responses with optional route parameters", async () => {
    const named = await fetch(`${host.url}/api/hello/Ada`);
    expect(named.status).toBe(200);
    expect(await named.text()).toBe("Hello, Ada");
    expect(named.headers.get("content-type")).toMatch(/^text\/plain/);
    const unnamed = await fetch(`${host.url}/API/Hello`);
    expect(await unnamed.text()).toBe("Hello, world");
  });

  it("matches constrained parameters and passes the query through, repeated keys included", async () => {
    const res = await fetch(`${host.url}/api/items/42?q=disk&tag=a&tag=b`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(await res.json()).toEqual({ id: 42, q: "disk", tags: ["a", "b"] });
    // The literal route wins over the parameter route, and a non-int id matches nothing.
    expect(await (await fetch(`${host.url}/api/items`)).json()).toEqual({ items: [1, 2] });
    expect((await fetch(`${host.url}/api/items/abc`)).status).toBe(404);
  });

  it("routes by method: POST reaches its own function with body, status, headers and cookies", async () => {
    const res = await fetch(`${host.url}/api/items`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ id: 7, name: "drive" }),
    });
    expect(res.status).toBe(201);
    expect(res.headers.get("location")).toBe("/api/items/7");
    expect(res.headers.get("set-cookie")).toBe("seen=yes; Path=/; HttpOnly");
    expect(await res.json()).toEqual({ created: { id: 7, name: "drive" }, method: "POST" });
  });

  it("answers a 404 problem for unknown routes and a 405 problem for methods a route does not take", async () => {
    for (const url of [`${host.url}/api/nothing-here`, `${host.url}/hello/Ada`]) {
      const res = await fetch(url);
      expect(res.status).toBe(404);
      expect(res.headers.get("content-type")).toBe("application/problem+json");
      expect(await res.json()).toMatchObject({ status: 404, title: "Not found" });
    }
    const wrong = await fetch(`${host.url}/api/hello/Ada`, { method: "DELETE" });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get("allow")).toBe("GET");
    expect(await wrong.json()).toMatchObject({ status: 405, title: "Method not allowed" });
  });

  it("refuses a declared content-length over FUNCTIONS_REQUEST_BODY_SIZE_LIMIT at once, without waiting for it", async () => {
    const body = '{"mode":"plan"}';
    const started = Date.now();
    const status = await rawRequest(
      host.port,
      `POST /api/items HTTP/1.1\r\nHost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: 10000000\r\n\r\n${body}`,
    );
    expect(status).toMatch(/^HTTP\/1\.1 413 /);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it("cuts off a body without a length once it passes the limit", async () => {
    const res = await fetch(`${host.url}/api/items`, {
      method: "POST",
      // A stream body goes chunked, with no content-length.
      headers: { "content-type": "application/json" },
      body: new ReadableStream({
        start(controller) {
          controller.enqueue(new TextEncoder().encode(`{"id":1,"name":"${"x".repeat(2_000)}"}`));
          controller.close();
        },
      }),
      duplex: "half",
    } as RequestInit);
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ status: 413 });
  });

  it("does not read the body of a request no function takes", async () => {
    const status = await rawRequest(
      host.port,
      `POST /api/nothing-here HTTP/1.1\r\nHost: 127.0.0.1\r\ncontent-length: 500\r\n\r\n{}`,
    );
    expect(status).toBe("HTTP/1.1 404 Not Found");
  });

  it("answers 500 with an empty body when a handler throws, and logs the error", async () => {
    const res = await fetch(`${host.url}/api/boom`);
    expect(res.status).toBe(500);
    expect(await res.text()).toBe("");
    expect(logs.some((l) => l.level === "error" && l.message.includes("internal detail"))).toBe(true);
  });

  it("fires the timer on its six-field schedule with isPastDue in the timer object", async () => {
    const ticks = await waitFor("two timer ticks", async () => {
      const e = await events();
      return e.ticks.length >= 2 && e.ticks;
    });
    expect(ticks.every((t) => t.isPastDue === false)).toBe(true);
    expect(Date.parse(ticks[0]!.next!)).toBeGreaterThan(0);
  });

  it("processes base64 queue messages, writes the return output binding, and deletes the message", async () => {
    await enqueue([{ id: "ok-1" }]);
    const processed = await waitFor("ok-1 processed", async () =>
      (await events()).processed.find((p) => p.id === "ok-1"),
    );
    expect(processed.dequeueCount).toBe(1);

    const done = queues.getQueueClient("fixture-done");
    const received = await waitFor("the output message", async () => {
      const { receivedMessageItems } = await done.receiveMessages({ numberOfMessages: 32 });
      return decodedContaining(receivedMessageItems, "ok-1");
    });
    expect(received).toEqual({ id: "ok-1", processed: true });
    await waitFor("the work queue to empty", async () => {
      const props = await queues.getQueueClient(WORK_QUEUE).getProperties();
      return props.approximateMessagesCount === 0;
    });
  });

  it("runs at least two queue invocations at once", async () => {
    await enqueue([1, 2, 3, 4].map((n) => ({ id: `slow-${n}`, sleepMs: 600 })));
    await waitFor("four slow messages", async () => {
      const e = await events();
      return ["slow-1", "slow-2", "slow-3", "slow-4"].every((id) => e.processed.some((p) => p.id === id));
    });
    expect((await events()).maxInFlight).toBeGreaterThanOrEqual(2);
  });

  it("moves a message that keeps failing to the poison queue after 5 dequeues", async () => {
    await enqueue([{ id: "bad-1", fail: true }]);
    const poison = queues.getQueueClient(`${WORK_QUEUE}-poison`);
    const message = await waitFor("the poison message", async () => {
      if (!(await poison.exists())) return undefined;
      const { peekedMessageItems } = await poison.peekMessages({ numberOfMessages: 32 });
      return decodedContaining(peekedMessageItems, "bad-1");
    });
    expect(message).toEqual({ id: "bad-1", fail: true });
    expect((await events()).attempts["bad-1"]).toBe(5);
  });

  it("moves a message that is not base64 to the poison queue without invoking", async () => {
    await queues.getQueueClient(WORK_QUEUE).sendMessage("{not base64}");
    const poison = queues.getQueueClient(`${WORK_QUEUE}-poison`);
    await waitFor("the undecodable message in poison", async () => {
      const { peekedMessageItems } = await poison.peekMessages({ numberOfMessages: 32 });
      return peekedMessageItems.some((m) => m.messageText === "{not base64}");
    });
  });

  it("answers the admin API only with the master key", async () => {
    for (const [path, method] of [
      ["/admin/host/status", "GET"],
      ["/admin/functions", "GET"],
      ["/admin/functions/work", "POST"],
    ]) {
      const res = await fetch(`${host.url}${path}`, { method, body: method === "POST" ? "{}" : undefined });
      expect(res.status, path).toBe(401);
      expect(await res.json()).toMatchObject({ status: 401, title: "Unauthorized" });
      const wrong = await fetch(`${host.url}${path}`, { method, headers: { "x-functions-key": "guess" } });
      expect(wrong.status, path).toBe(401);
    }
    expect(host.masterKey).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    const byQuery = await fetch(`${host.url}/admin/host/status?code=${encodeURIComponent(host.masterKey)}`);
    expect(byQuery.status).toBe(200);
  });

  it("invokes non-HTTP functions through POST /admin/functions/{name}", async () => {
    const admin = { "x-functions-key": host.masterKey };
    const res = await fetch(`${host.url}/admin/functions/work`, {
      method: "POST",
      headers: { "content-type": "application/json", ...admin },
      body: JSON.stringify({ input: JSON.stringify({ id: "admin-1" }) }),
    });
    expect(res.status).toBe(202);
    const processed = await waitFor("admin-1", async () =>
      (await events()).processed.find((p) => p.id === "admin-1"),
    );
    expect(processed.dequeueCount).toBe(1);

    const post = (name: string) =>
      fetch(`${host.url}/admin/functions/${name}`, { method: "POST", body: "{}", headers: admin });
    expect((await post("nope")).status).toBe(404);
    expect((await post("hello")).status).toBe(400);
    const status = await (await fetch(`${host.url}/admin/host/status`, { headers: admin })).json();
    expect(status).toMatchObject({ state: "Running" });
  });

  it("invokes a timer directly with isPastDue false", async () => {
    const before = (await events()).ticks.length;
    await host.invoke("tick");
    const ticks = (await events()).ticks;
    expect(ticks.length).toBeGreaterThan(before);
    expect(ticks.at(-1)!.isPastDue).toBe(false);
  });
});
