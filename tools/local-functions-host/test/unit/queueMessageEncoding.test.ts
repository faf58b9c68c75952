import { describe, expect, it } from "vitest";
import { decodeQueueMessage, encodeQueueMessage } from "../../src/queueMessageEncoding";

describe("queueMessageEncoding", () => {
  it("round-trips base64 text, unicode included", () => {
    const text = JSON.stringify({ runId: "r-1", note: "Größe ✓" });
    const encoded = encodeQueueMessage(text, "base64");
    expect(encoded).toBe(Buffer.from(text).toString("base64"));
    expect(decodeQueueMessage(encoded, "base64")).toBe(text);
  });

  it("refuses text that is not base64 instead of decoding garbage", () => {
    expect(decodeQueueMessage('{"runId":"r-1"}', "base64")).toBeUndefined();
    expect(decodeQueueMessage("abc", "base64")).toBeUndefined();
  });

  it("passes text through with encoding none", () => {
    expect(encodeQueueMessage("plain", "none")).toBe("plain");
    expect(decodeQueueMessage("{x}", "none")).toBe("{x}");
  });
});
