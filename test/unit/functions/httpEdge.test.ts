import { HttpRequest, InvocationContext } from "@azure/functions";
import { describe, expect, it } from "vitest";
import { ValidationError } from "../../../src/errors";
import { checkQueryNames, guarded, readJsonBody } from "../../../src/functions/http/handle";
import { HttpProblem } from "../../../src/functions/http/problem";

function post(body: string | Uint8Array, headers: Record<string, string>) {
  return new HttpRequest({
    method: "POST",
    url: "http://localhost/api/runs",
    headers,
    body: typeof body === "string" ? { string: body } : { bytes: body },
  });
}

async function statusOf(promise: Promise<unknown>): Promise<number | string> {
  try {
    await promise;
    return "accepted";
  } catch (err) {
    if (err instanceof HttpProblem) return err.status;
    if (err instanceof ValidationError) return 400;
    throw err;
  }
}

const json = { "content-type": "application/json" };

describe("readJsonBody", () => {
  it("refuses a declared content-length over the limit with 413, without reading the body", async () => {
    // Prepare: a 15-byte body that claims 10 MB, and a request that fails the test if its body is read.
    const request = post('{"mode":"plan"}', { ...json, "content-length": "10000000" });
    let read = false;
    for (const reader of ["arrayBuffer", "text", "json", "blob", "formData"])
      Object.defineProperty(request, reader, {
        value: () => ((read = true), Promise.reject(new Error("read"))),
      });
    // Act + Assess
    expect(await statusOf(readJsonBody(request))).toBe(413);
    expect(read).toBe(false);
  });

  it("refuses a body over the limit with 413 even without a content-length", async () => {
    const big = JSON.stringify({ mode: "plan", reason: "x".repeat(70_000) });
    expect(await statusOf(readJsonBody(post(big, json)))).toBe(413);
  });

  it.each([
    ["text/plain", 415],
    ["application/x-www-form-urlencoded", 415],
    ["application/json; charset=iso-8859-1", 415],
    ["application/json; charset=utf-16", 415],
    ["application/jsonp", 415],
    ["application/json", "accepted"],
    ["Application/JSON; Charset=UTF-8", "accepted"],
    ['application/json; charset="utf-8"', "accepted"],
  ])("content-type %j -> %s", async (type, expected) => {
    expect(await statusOf(readJsonBody(post('{"mode":"plan"}', { "content-type": type })))).toBe(expected);
  });

  it("refuses a body without a content-type with 415", async () => {
    expect(await statusOf(readJsonBody(post('{"mode":"plan"}', {})))).toBe(415);
  });

  it("keeps UTF-8 text intact", async () => {
    expect(await readJsonBody(post('{"reason":"café"}', json))).toEqual({ reason: "café" });
  });

  it.each([
    ["duplicate keys", '{"mode":"apply","mode":"plan"}', "mode"],
    ["a lone surrogate", '{"mode":"plan","reason":"\\ud800"}', "reason"],
  ])("refuses %s with a 400 naming %s", async (_what, body, field) => {
    const err = await readJsonBody(post(body, json)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).problems.map((p) => p.field)).toEqual([field]);
  });

  it("refuses invalid UTF-8 bytes with a 400", async () => {
    const bytes = Uint8Array.from([...Buffer.from('{"reason":"caf'), 0xe9, ...Buffer.from('"}')]);
    const err = await readJsonBody(post(bytes, json)).catch((e: unknown) => e);
    expect((err as ValidationError).problems).toEqual([{ field: "body", message: "is not valid UTF-8" }]);
  });
});

describe("checkQueryNames", () => {
  const get = (query: string) => new HttpRequest({ method: "GET", url: `http://localhost/api/x?${query}` });

  it("refuses parameters the route does not take and allows the function key", () => {
    expect(() => checkQueryNames(get("code=k&limit=5"), ["limit"])).not.toThrow();
    const err = (() => {
      try {
        checkQueryNames(get("x=1"), []);
      } catch (e) {
        return e as ValidationError;
      }
    })();
    expect(err?.problems).toEqual([
      { field: "x", message: "is not a known parameter; this route takes none" },
    ]);
  });

  it("does not echo an invented name raw", () => {
    try {
      checkQueryNames(get(`%3Cscript%3E=1&${"a".repeat(60)}=2`), ["limit"]);
      expect.unreachable();
    } catch (e) {
      expect((e as ValidationError).problems.map((p) => p.field)).toEqual(["_script_", "a".repeat(40)]);
    }
  });
});

describe("guarded", () => {
  const context = new InvocationContext({ functionName: "t" });
  const echo = guarded({ easyAuth: false, need: "operate", query: [] }, async (_r, caller) => ({
    status: 200,
    jsonBody: caller,
  }));

  it("answers unknown query parameters with a 400 problem before the handler runs", async () => {
    const res = await echo(
      new HttpRequest({ method: "GET", url: "http://localhost/api/x?%3Cb%3E=1" }),
      context,
    );
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body as string).errors).toEqual([
      { field: "_b_", message: "is not a known parameter; this route takes none" },
    ]);
  });

  it("maps a 413 and a 415 to problem+json", async () => {
    const handler = guarded({ easyAuth: false, need: "operate", query: [] }, async (request) => {
      await readJsonBody(request);
      return { status: 202 };
    });
    const tooBig = await handler(post("{}", { ...json, "content-length": "10000000" }), context);
    expect(tooBig.status).toBe(413);
    expect((tooBig.headers as Record<string, string>)["content-type"]).toBe("application/problem+json");
    const wrongType = await handler(post("{}", { "content-type": "text/plain" }), context);
    expect(wrongType.status).toBe(415);
    expect(JSON.parse(wrongType.body as string)).toMatchObject({
      status: 415,
      title: "Unsupported media type",
    });
  });

  it("with Easy Auth off, a forged operator principal is only a function-key caller", async () => {
    const forged = Buffer.from(
      JSON.stringify({
        claims: [
          { typ: "name", val: "mallory" },
          { typ: "roles", val: "Janitor.Operator" },
        ],
      }),
    ).toString("base64");
    const res = await echo(
      new HttpRequest({
        method: "POST",
        url: "http://localhost/api/x",
        headers: { "x-ms-client-principal": forged },
      }),
      context,
    );
    expect(res.jsonBody).toEqual({ authenticated: false, name: "http:function-key", roles: [] });
  });
});
