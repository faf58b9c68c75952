import { HttpRequest } from "@azure/functions";
import { describe, expect, it } from "vitest";
import { isPlainText } from "../../../src/domain/auditFilter";
import {
  allowed,
  cleanPrincipalName,
  easyAuthEnabled,
  readCaller,
  type Caller,
} from "../../../src/functions/http/caller";

function principal(name: string, roles: string[]): string {
  const claims = [{ typ: "name", val: name }, ...roles.map((val) => ({ typ: "roles", val }))];
  return Buffer.from(
    JSON.stringify({ auth_typ: "aad", name_typ: "name", role_typ: "roles", claims }),
  ).toString("base64");
}

function request(headers: Record<string, string> = {}): HttpRequest {
  return new HttpRequest({ method: "GET", url: "http://localhost/api/runs", headers });
}

describe("easyAuthEnabled", () => {
  it.each([
    ["True", true],
    ["true", true],
    ["TRUE", true],
    [" True ", true],
    ["False", false],
    ["1", false],
    ["", false],
    [undefined, false],
  ])("WEBSITE_AUTH_ENABLED=%j is %s", (value, expected) => {
    expect(easyAuthEnabled({ WEBSITE_AUTH_ENABLED: value })).toBe(expected);
  });
});

describe("readCaller", () => {
  it("ignores a client-sent principal when Easy Auth is off: function-key caller, no roles", () => {
    // Prepare
    const forged = request({ "x-ms-client-principal": principal("mallory", ["Janitor.Operator"]) });
    // Act
    const caller = readCaller(forged, false) as Caller;
    // Assess
    expect(caller).toEqual({ authenticated: false, name: "http:function-key", roles: [] });
  });

  it("ignores x-ms-client-principal-name too when Easy Auth is off", () => {
    const caller = readCaller(request({ "x-ms-client-principal-name": "mallory" }), false) as Caller;
    expect(caller.name).toBe("http:function-key");
  });

  it("trusts the principal when Easy Auth is on, with its roles", () => {
    const caller = readCaller(
      request({ "x-ms-client-principal": principal("ops@contoso.example", ["Janitor.Operator"]) }),
      true,
    ) as Caller;
    expect(caller).toEqual({ authenticated: true, name: "ops@contoso.example", roles: ["Janitor.Operator"] });
  });

  it("with Easy Auth on but no principal header, the caller is a function-key caller", () => {
    expect(readCaller(request(), true)).toEqual({
      authenticated: false,
      name: "http:function-key",
      roles: [],
    });
  });

  it("cleans the principal's name before it is used", () => {
    const name = `${"a".repeat(127)}\u{1F600}`;
    const caller = readCaller(request({ "x-ms-client-principal": principal(name, []) }), true) as Caller;
    expect(caller.name).toBe("a".repeat(127));
  });
});

describe("allowed", () => {
  const as = (roles: string[]): Caller => ({ authenticated: true, name: "x", roles });
  it("needs Janitor.Operator to operate, any janitor role to read", () => {
    expect(allowed(as(["Janitor.Operator"]), "operate")).toBe(true);
    expect(allowed(as(["Janitor.Reader"]), "operate")).toBe(false);
    expect(allowed(as(["Janitor.Approver"]), "operate")).toBe(false);
    for (const role of ["Janitor.Reader", "Janitor.Operator", "Janitor.Approver"])
      expect(allowed(as([role]), "read"), role).toBe(true);
    expect(allowed(as([]), "read")).toBe(false);
  });
});

describe("cleanPrincipalName", () => {
  it("cuts a 128-unit name on a code point boundary, never between an emoji's halves", () => {
    const cut = cleanPrincipalName(`${"a".repeat(127)}\u{1F600}tail`);
    expect(cut).toBe("a".repeat(127));
    expect(isPlainText(cut)).toBe(true);
  });

  it("keeps a whole emoji that fits", () => {
    const name = `${"a".repeat(126)}\u{1F600}`;
    expect(cleanPrincipalName(name)).toBe(name);
  });

  it("removes control characters and broken surrogates", () => {
    expect(cleanPrincipalName("ops\u0000@con\ttoso\u0085.example\u2028")).toBe("ops@contoso.example");
    expect(cleanPrincipalName("a\ud800b\udc00c")).toBe("abc");
  });

  it("names a caller whose name is nothing once cleaned", () => {
    expect(cleanPrincipalName("\u0001\u0002")).toBe("unknown-principal");
    expect(cleanPrincipalName("")).toBe("unknown-principal");
  });

  it("always gives text the audit log accepts", () => {
    const samples = ["\u{1F600}".repeat(100), "x\ud83d".repeat(80), "\u007f\u009f".repeat(70) + "é"];
    for (const sample of samples) {
      const clean = cleanPrincipalName(sample);
      expect(clean.length).toBeLessThanOrEqual(128);
      expect(isPlainText(clean)).toBe(true);
    }
  });
});
