import { describe, expect, it } from "vitest";
import { matchRoute, parseRouteTemplate, unsupportedConstraints } from "../../src/routeTemplate";

const match = (template: string, path: string) => matchRoute(parseRouteTemplate(template), path);

describe("routeTemplate", () => {
  it("matches literals without regard to case and decodes parameters", () => {
    expect(match("runs/{runId}", "RUNS/r%201")).toEqual({ runId: "r 1" });
    expect(match("runs/{runId}", "runs")).toBeUndefined();
    expect(match("runs/{runId}", "runs/a/b")).toBeUndefined();
  });

  it("lets optional and defaulted parameters be absent", () => {
    expect(match("hello/{name?}", "hello")).toEqual({});
    expect(match("hello/{name?}", "hello/x")).toEqual({ name: "x" });
    expect(match("page/{n=1}", "page")).toEqual({ n: "1" });
  });

  it("checks int, guid, bool and alpha constraints", () => {
    expect(match("items/{id:int}", "items/12")).toEqual({ id: "12" });
    expect(match("items/{id:int}", "items/x")).toBeUndefined();
    expect(match("j/{g:guid}", "j/0f8fad5b-d9cb-469f-a165-70867728950e")).toBeDefined();
    expect(match("j/{g:guid}", "j/nope")).toBeUndefined();
    expect(match("f/{b:bool}", "f/TRUE")).toEqual({ b: "TRUE" });
    expect(match("a/{s:alpha}", "a/abc1")).toBeUndefined();
  });

  it("collects the rest of the path in a catch-all", () => {
    expect(match("files/{*path}", "files/a/b%2Fc")).toEqual({ path: "a/b/c" });
    expect(match("files/{*path}", "files")).toEqual({});
  });

  it("ranks literal segments above parameters", () => {
    expect(parseRouteTemplate("runs/latest").specificity).toBeGreaterThan(
      parseRouteTemplate("runs/{id}").specificity,
    );
    expect(parseRouteTemplate("runs/{id:int}").specificity).toBeGreaterThan(
      parseRouteTemplate("runs/{id}").specificity,
    );
  });

  it("reports constraints it does not check, and rejects malformed templates", () => {
    expect(unsupportedConstraints(parseRouteTemplate("a/{x:regex(^a$)}/{y:int}"))).toEqual(["regex"]);
    expect(() => parseRouteTemplate("a/{x")).toThrow(/not supported/);
    expect(() => parseRouteTemplate("{*rest}/a")).toThrow(/last segment/);
  });
});
