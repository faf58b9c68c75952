// The contract between `@azure/functions` (pinned) and the functions-core module the local host provides.
// If the library changes what it registers or how it reads an invocation, these tests say what moved.
import fs from "node:fs";
import Module, { createRequire } from "node:module";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { RpcHttpData, RpcInvocationResponse } from "../../src/coreTypes";
import {
  createFunctionsCore,
  installFunctionsCore,
  type CoreLogEntry,
  type FunctionsCore,
} from "../../src/functionsCore";
import { fromTypedData, runInvocation } from "../../src/runInvocation";

type FunctionsLibrary = typeof import("@azure/functions");

const localRequire = createRequire(__filename);
const libraryDir = path.dirname(localRequire.resolve("@azure/functions/package.json"));

/** A fresh instance of the library: it caches whether functions-core exists at its first registration. */
function freshLibrary(): FunctionsLibrary {
  for (const key of Object.keys(localRequire.cache)) {
    if (key.startsWith(libraryDir + path.sep)) delete localRequire.cache[key];
  }
  return localRequire("@azure/functions") as FunctionsLibrary;
}

let uninstall: (() => void) | undefined;
afterEach(() => {
  uninstall?.();
  uninstall = undefined;
});

function coreWithLibrary(): { core: FunctionsCore; lib: FunctionsLibrary; logs: CoreLogEntry[] } {
  const logs: CoreLogEntry[] = [];
  const core = createFunctionsCore({ logSink: (entry) => logs.push(entry) });
  uninstall = installFunctionsCore(core);
  return { core, lib: freshLibrary(), logs };
}

function registration(core: FunctionsCore, name: string) {
  const found = core.registrations.find((r) => r.name === name);
  if (!found) throw new Error(`not registered: ${name}`);
  return found;
}

describe("@azure/functions version", () => {
  it("is pinned to 4.16.5, the version these shapes were checked against", () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(libraryDir, "package.json"), "utf8")) as {
      version: string;
    };
    expect(pkg.version).toBe("4.16.5");
    const rootPkg = JSON.parse(
      fs.readFileSync(path.resolve(__dirname, "../../../../package.json"), "utf8"),
    ) as {
      dependencies: Record<string, string>;
    };
    expect(rootPkg.dependencies["@azure/functions"]).toBe("4.16.5");
  });
});

describe("registration metadata the host reads", () => {
  it("sets a programming model with getInvocationModel and getCapabilities", async () => {
    const { core, lib } = coreWithLibrary();
    lib.app.http("ping", { handler: async () => ({ body: "pong" }) });
    const model = core.programmingModel;
    expect(model?.name).toBe("@azure/functions");
    expect(model?.version).toBe("4.16.5");
    expect(typeof model?.getInvocationModel).toBe("function");
    const capabilities = await model!.getCapabilities!({});
    expect(capabilities.HttpUri).toBeUndefined();
  });

  it("http: httpTrigger in, authLevel, methods, route, and an http $return out", () => {
    const { core, lib } = coreWithLibrary();
    lib.app.http("runsGet", {
      route: "runs/{runId}",
      methods: ["GET"],
      authLevel: "function",
      handler: async () => ({}),
    });
    lib.app.http("defaults", { handler: async () => ({}) });

    const reg = registration(core, "runsGet");
    const [triggerName, trigger] = Object.entries(reg.metadata.bindings).find(
      ([, b]) => b.direction === "in",
    )!;
    expect(trigger).toMatchObject({
      type: "httpTrigger",
      direction: "in",
      authLevel: "function",
      methods: ["GET"],
      route: "runs/{runId}",
    });
    expect(trigger.name).toBe(triggerName);
    expect(reg.metadata.bindings.$return).toMatchObject({ type: "http", direction: "out" });
    expect(reg.functionId).toBe("runsGet");
    // Library defaults when the app sets nothing: anonymous, GET and POST, no route (the host uses the name).
    const defaults = Object.values(registration(core, "defaults").metadata.bindings).find(
      (b) => b.direction === "in",
    );
    expect(defaults).toMatchObject({ authLevel: "anonymous", methods: ["GET", "POST"] });
    expect(defaults?.route).toBeUndefined();
  });

  it("timer: timerTrigger with schedule and runOnStartup", () => {
    const { core, lib } = coreWithLibrary();
    lib.app.timer("sweep", { schedule: "%JANITOR_SCHEDULE%", runOnStartup: true, handler: () => undefined });
    const trigger = Object.values(registration(core, "sweep").metadata.bindings).find(
      (b) => b.direction === "in",
    );
    expect(trigger).toMatchObject({
      type: "timerTrigger",
      schedule: "%JANITOR_SCHEDULE%",
      runOnStartup: true,
    });
  });

  it("storage queue: queueTrigger and queue outputs (return and extra) with queueName and connection", () => {
    const { core, lib } = coreWithLibrary();
    const extra = lib.output.storageQueue({ queueName: "parts", connection: "JANITOR_STORAGE" });
    lib.app.storageQueue("worker", {
      queueName: "runs",
      connection: "JANITOR_STORAGE",
      return: lib.output.storageQueue({ queueName: "done", connection: "JANITOR_STORAGE" }),
      extraOutputs: [extra],
      handler: () => undefined,
    });
    const bindings = registration(core, "worker").metadata.bindings;
    const trigger = Object.values(bindings).find((b) => b.direction === "in");
    expect(trigger).toMatchObject({ type: "queueTrigger", queueName: "runs", connection: "JANITOR_STORAGE" });
    expect(bindings.$return).toMatchObject({ type: "queue", direction: "out", queueName: "done" });
    expect(bindings[extra.name]).toMatchObject({
      type: "queue",
      direction: "out",
      queueName: "parts",
      connection: "JANITOR_STORAGE",
    });
  });

  it("registering the same name twice is refused", () => {
    const { lib } = coreWithLibrary();
    lib.app.timer("once", { schedule: "0 0 * * * *", handler: () => undefined });
    expect(() => lib.app.timer("once", { schedule: "0 0 * * * *", handler: () => undefined })).toThrow(
      /already registered/,
    );
  });
});

describe("invocation shapes the host sends", () => {
  it("http: params, query, headers, body reach the HttpRequest; the response comes back as RpcHttpData", async () => {
    const { core, lib } = coreWithLibrary();
    const seen: Record<string, unknown> = {};
    lib.app.http("echo", {
      route: "things/{id}",
      methods: ["POST"],
      handler: async (request, context) => {
        seen.id = request.params.id;
        seen.q = request.query.getAll("q");
        seen.header = request.headers.get("x-test");
        seen.body = await request.json();
        seen.method = request.method;
        seen.invocationId = context.invocationId;
        seen.functionName = context.functionName;
        return { status: 201, jsonBody: { ok: true }, headers: { "x-out": "1" } };
      },
    });
    const reg = registration(core, "echo");
    const triggerName = Object.entries(reg.metadata.bindings).find(([, b]) => b.direction === "in")![0];
    const request: RpcHttpData = {
      method: "POST",
      url: "http://localhost:7071/api/things/7?q=a&q=b",
      headers: { "x-test": "yes", "content-type": "application/json" },
      params: { id: "7" },
      body: { bytes: Buffer.from(JSON.stringify({ n: 1 })) },
    };
    const response = await runInvocation(core, reg, {
      inputData: [{ name: triggerName, data: { http: request } }],
    });

    expect(seen).toMatchObject({
      id: "7",
      q: ["a", "b"],
      header: "yes",
      body: { n: 1 },
      method: "POST",
      functionName: "echo",
    });
    expect(typeof seen.invocationId).toBe("string");
    const http = response.returnValue?.http;
    expect(http?.statusCode).toBe("201");
    expect(http?.headers).toMatchObject({ "x-out": "1", "content-type": "application/json" });
    expect(JSON.parse(Buffer.from(http!.body!.bytes!).toString())).toEqual({ ok: true });
  });

  it("timer: the PascalCase input becomes a Timer with isPastDue and scheduleStatus", async () => {
    const { core, lib } = coreWithLibrary();
    let timer: unknown;
    lib.app.timer("t", { schedule: "*/1 * * * * *", handler: (t) => void (timer = t) });
    const reg = registration(core, "t");
    const triggerName = Object.keys(reg.metadata.bindings)[0]!;
    const input = {
      Schedule: { AdjustForDST: true },
      ScheduleStatus: {
        Last: "2024-01-01T00:00:00.000Z",
        Next: "2024-01-01T00:00:01.000Z",
        LastUpdated: "2024-01-01T00:00:00.000Z",
      },
      IsPastDue: true,
    };
    await runInvocation(core, reg, {
      inputData: [{ name: triggerName, data: { json: JSON.stringify(input) } }],
    });
    expect(timer).toEqual({
      schedule: { adjustForDST: true },
      scheduleStatus: {
        last: input.ScheduleStatus.Last,
        next: input.ScheduleStatus.Next,
        lastUpdated: input.ScheduleStatus.LastUpdated,
      },
      isPastDue: true,
    });
  });

  it("queue: a JSON message arrives parsed, triggerMetadata camel-cased, outputs come back by binding name", async () => {
    const { core, lib } = coreWithLibrary();
    const parts = lib.output.storageQueue({ queueName: "parts", connection: "S" });
    let seen: { message?: unknown; dequeueCount?: unknown; id?: unknown } = {};
    lib.app.storageQueue("w", {
      queueName: "runs",
      connection: "S",
      return: lib.output.storageQueue({ queueName: "done", connection: "S" }),
      extraOutputs: [parts],
      handler: (message, context) => {
        seen = {
          message,
          dequeueCount: context.triggerMetadata?.dequeueCount,
          id: context.triggerMetadata?.id,
        };
        context.extraOutputs.set(parts, [{ p: 1 }, { p: 2 }]);
        return "finished";
      },
    });
    const reg = registration(core, "w");
    const triggerName = Object.entries(reg.metadata.bindings).find(([, b]) => b.direction === "in")![0];
    const response: RpcInvocationResponse = await runInvocation(core, reg, {
      inputData: [{ name: triggerName, data: { string: JSON.stringify({ runId: "r1" }) } }],
      triggerMetadata: { DequeueCount: { int: 3 }, Id: { string: "msg-1" } },
    });
    expect(seen).toEqual({ message: { runId: "r1" }, dequeueCount: 3, id: "msg-1" });
    expect(fromTypedData(response.returnValue)).toBe("finished");
    const extra = response.outputData?.find((o) => o.name === parts.name);
    expect(fromTypedData(extra?.data)).toEqual([{ p: 1 }, { p: 2 }]);
  });

  it("a handler's error rejects the invocation; pre/post invocation hooks run around it", async () => {
    const { core, lib } = coreWithLibrary();
    const order: string[] = [];
    lib.app.hook.preInvocation(() => void order.push("pre"));
    lib.app.hook.postInvocation(
      (ctx) => void order.push(`post:${ctx.error instanceof Error ? ctx.error.message : "none"}`),
    );
    lib.app.storageQueue("fails", {
      queueName: "q",
      connection: "S",
      handler: () => {
        order.push("handler");
        throw new Error("nope");
      },
    });
    const reg = registration(core, "fails");
    const triggerName = Object.keys(reg.metadata.bindings)[0]!;
    await expect(
      runInvocation(core, reg, { inputData: [{ name: triggerName, data: { string: "x" } }] }),
    ).rejects.toThrow("nope");
    expect(order).toEqual(["pre", "handler", "post:nope"]);
  });

  it("context.log goes through core log with the function name", async () => {
    const { core, lib, logs } = coreWithLibrary();
    lib.app.storageQueue("talks", {
      queueName: "q",
      connection: "S",
      handler: (_m, context) => context.warn("careful"),
    });
    const reg = registration(core, "talks");
    await runInvocation(core, reg, {
      inputData: [{ name: Object.keys(reg.metadata.bindings)[0]!, data: { string: "x" } }],
    });
    expect(logs).toContainEqual(
      expect.objectContaining({
        level: "warning",
        category: "user",
        message: "careful",
        functionName: "talks",
      }),
    );
  });
});

describe("where functions-core is provided", () => {
  it("without it the library runs in test mode and registers nothing with us", () => {
    const core = createFunctionsCore({ logSink: () => undefined });
    const warn = console.warn;
    const warnings: string[] = [];
    console.warn = (message: string) => void warnings.push(message);
    try {
      freshLibrary().app.timer("ignored", { schedule: "0 0 * * * *", handler: () => undefined });
    } finally {
      console.warn = warn;
    }
    expect(core.registrations).toHaveLength(0);
    expect(warnings.join("\n")).toMatch(/test mode/);
  });

  it("is refused when a real Functions worker already provides the module", () => {
    // The worker provides it by wrapping Module.prototype.require; simulate that.
    const proto = Module.prototype as unknown as { require: (id: string) => unknown };
    const original = proto.require;
    proto.require = function (this: unknown, id: string) {
      return id === "@azure/functions-core" ? {} : original.call(this, id);
    };
    try {
      expect(() => installFunctionsCore(createFunctionsCore({ logSink: () => undefined }))).toThrow(
        /already provided/,
      );
    } finally {
      proto.require = original;
    }
  });

  it("is no longer resolvable once uninstalled", () => {
    const core = createFunctionsCore({ logSink: () => undefined });
    const remove = installFunctionsCore(core);
    expect(localRequire("@azure/functions-core")).toBe(core.api);
    remove();
    expect(() => localRequire("@azure/functions-core")).toThrow(/Cannot find module/);
  });
});
