import { describe, expect, it } from "vitest";
import { applyHostJsonOverrides, parseHostJson } from "../../src/hostJson";

describe("hostJson", () => {
  it("uses the host's defaults for what is not set", () => {
    expect(parseHostJson({ version: "2.0" })).toEqual({
      routePrefix: "api",
      queues: {
        batchSize: 16,
        maxDequeueCount: 5,
        visibilityTimeoutMs: 0,
        maxPollingIntervalMs: 60_000,
        messageEncoding: "base64",
      },
    });
  });

  it("reads route prefix and queue settings, TimeSpans included", () => {
    const settings = parseHostJson({
      extensions: {
        http: { routePrefix: "/v1/" },
        queues: { batchSize: 4, maxDequeueCount: 3, visibilityTimeout: "00:00:30", messageEncoding: "None" },
      },
    });
    expect(settings.routePrefix).toBe("v1");
    expect(settings.queues).toMatchObject({
      batchSize: 4,
      maxDequeueCount: 3,
      visibilityTimeoutMs: 30_000,
      messageEncoding: "none",
    });
    expect(parseHostJson({ extensions: { http: { routePrefix: "" } } }).routePrefix).toBe("");
  });

  it("names the bad field", () => {
    expect(() => parseHostJson({ extensions: { queues: { batchSize: 0 } } })).toThrow(
      /queues.batchSize: expected an integer from 1 to 32/,
    );
    expect(() => parseHostJson({ extensions: { queues: { visibilityTimeout: "30s" } } })).toThrow(
      /visibilityTimeout: expected a TimeSpan/,
    );
    expect(() => parseHostJson({ extensions: { queues: { messageEncoding: "hex" } } })).toThrow(
      /messageEncoding/,
    );
  });

  it("lets AzureFunctionsJobHost__ app settings override host.json, keys case-insensitive", () => {
    const raw = { extensions: { queues: { visibilityTimeout: "00:00:30", batchSize: 4 } } };
    const merged = applyHostJsonOverrides(raw, {
      AzureFunctionsJobHost__extensions__queues__visibilityTimeout: "00:00:01",
      AZUREFUNCTIONSJOBHOST__EXTENSIONS__QUEUES__BATCHSIZE: "8",
      AzureFunctionsJobHost__extensions__http__routePrefix: "v2",
      UNRELATED: "x",
    });
    expect(parseHostJson(merged)).toMatchObject({
      routePrefix: "v2",
      queues: { visibilityTimeoutMs: 1000, batchSize: 8 },
    });
    expect(raw.extensions.queues.visibilityTimeout).toBe("00:00:30");
  });
});
