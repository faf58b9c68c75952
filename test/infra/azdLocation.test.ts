// azd asks for the region from a list: `location` carries `@metadata({azd: {type: 'location'}})` and the Flex
// Consumption regions as `@allowed`, so `azd up` offers only regions where the app can run.
import { readFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { Node } from "web-tree-sitter";
import { parseBicepSources, type BicepFile } from "./bicepParser";

const INFRA = path.resolve(__dirname, "../../infra");
const DEPLOY_DOC = path.resolve(__dirname, "../../docs/deploy.md");

type Literal = string | number | boolean | null | Literal[] | { [key: string]: Literal };

function children(node: Node): Node[] {
  return node.namedChildren.filter((child): child is Node => child !== null && child.type !== "comment");
}

/** A literal Bicep value (string without interpolation, number, bool, null, array, object) as JSON. */
function literal(node: Node): Literal {
  switch (node.type) {
    case "string": {
      const parts = children(node);
      if (parts.some((part) => part.type !== "string_content" && part.type !== "escape_sequence"))
        throw new Error(`not a literal string: ${node.text}`);
      return parts.map((part) => part.text).join("");
    }
    case "number":
      return Number(node.text);
    case "boolean":
      return node.text === "true";
    case "null":
      return null;
    case "array":
      return children(node).map(literal);
    case "object": {
      const out: { [key: string]: Literal } = {};
      for (const property of children(node)) {
        const [key, value] = children(property);
        if (!key || !value) throw new Error(`odd object property: ${property.text}`);
        out[key.type === "string" ? String(literal(key)) : key.text] = literal(value);
      }
      return out;
    }
    default:
      throw new Error(`not a literal: ${node.type} ${node.text}`);
  }
}

/** The decorators of `param <name>` as name -> first argument. */
function parameterDecorators(file: BicepFile, name: string): Map<string, Literal> {
  const declarations = children(file.root);
  const index = declarations.findIndex(
    (node) => node.type === "parameter_declaration" && children(node)[0]?.text === name,
  );
  if (index < 0) throw new Error(`no param ${name} in ${file.path}`);
  const decorators = new Map<string, Literal>();
  const previous = declarations[index - 1];
  if (previous?.type !== "decorators") return decorators;
  for (const decorator of children(previous)) {
    const call = children(decorator)[0];
    const callee = call?.childForFieldName("function")?.text.replace(/^sys\./, "");
    const args = call?.childForFieldName("arguments");
    const first = args ? children(args)[0] : undefined;
    if (callee) decorators.set(callee, first ? literal(first) : null);
  }
  return decorators;
}

describe("azd location parameter", () => {
  let main: BicepFile;

  beforeAll(async () => {
    const [file] = await parseBicepSources({
      "main.bicep": readFileSync(path.join(INFRA, "main.bicep"), "utf8"),
    });
    main = file!;
  });

  it("is marked as an azd location", () => {
    expect(parameterDecorators(main, "location").get("metadata")).toEqual({ azd: { type: "location" } });
  });

  it("allows only Flex Consumption regions: lower-case ARM names, sorted, no duplicates, no canary", () => {
    const allowed = parameterDecorators(main, "location").get("allowed");
    expect(Array.isArray(allowed)).toBe(true);
    const regions = allowed as string[];
    expect(regions.length).toBeGreaterThan(10);
    for (const region of regions) expect(region).toMatch(/^[a-z]+[0-9]?$/);
    expect(regions).toEqual([...new Set(regions)].sort());
    expect(regions.filter((region) => region.endsWith("euap"))).toEqual([]);
    // Regions the Flex Consumption plan launched in; a list without them is not the Flex list.
    for (const region of ["eastus", "northeurope", "westeurope", "southeastasia", "australiaeast"])
      expect(regions).toContain(region);
  });

  it("cites the Microsoft page its list comes from", () => {
    expect(main.text).toContain(
      "https://learn.microsoft.com/azure/azure-functions/flex-consumption-how-to#view-currently-supported-regions",
    );
  });

  it("accepts every region docs/deploy.md uses in its examples", () => {
    const allowed = parameterDecorators(main, "location").get("allowed") as string[];
    const doc = readFileSync(DEPLOY_DOC, "utf8");
    const used = [
      ...doc.matchAll(/AZURE_LOCATION\s+([a-z0-9]+)/g),
      ...doc.matchAll(/(?:--location|location=)\s*([a-z0-9]+)/g),
    ].map((match) => match[1]!);
    expect(used.length).toBeGreaterThan(0);
    for (const region of used) expect(allowed).toContain(region);
  });
});
