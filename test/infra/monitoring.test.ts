// The alert rules and the workbook (infra/modules/janitorMonitoring.bicep) query what the app really sends: every
// query names a record or metric of the one shared list (src/domain/telemetryNames.ts), and names nothing else
// that looks like one, so a rename on either side fails here. The rules the operations guide describes all exist.
import path from "node:path";
import type { Node } from "web-tree-sitter";
import { beforeAll, describe, expect, it } from "vitest";
import { METRICS, RECORDS, TELEMETRY_NAMES } from "../../src/domain/telemetryNames";
import { formatFindings, checkSyntax } from "./bicepChecks";
import { parseBicepSources, readBicepSources, type BicepFile } from "./bicepParser";

const sources = readBicepSources(path.resolve(__dirname, "../../infra"));
const MONITORING = "modules/janitorMonitoring.bicep";

function walk(node: Node, visit: (node: Node) => void): void {
  visit(node);
  for (const child of node.namedChildren) if (child) walk(child, visit);
}

/** Every literal `key: '...'` string in the file, with Bicep's escapes undone. */
function stringProperties(file: BicepFile, key: string): string[] {
  const found: string[] = [];
  walk(file.root, (node) => {
    if (node.type !== "object_property") return;
    const [name, value] = node.namedChildren.filter((c): c is Node => c !== null && c.type !== "comment");
    if (name?.text !== key || value?.type !== "string") return;
    found.push(value.text.slice(1, -1).replace(/\\'/g, "'").replace(/\\n/g, "\n").replace(/\\\\/g, "\\"));
  });
  return found;
}

/** The quoted names a query compares `name` with: "RunFinished", "janitor.actions". */
function namesIn(query: string): string[] {
  return [...query.matchAll(/"([^"]+)"/g)]
    .map((m) => m[1]!)
    .filter((token) => /^janitor\./.test(token) || /^[A-Z][A-Za-z]+$/.test(token));
}

describe("alerts and workbook", () => {
  let file: BicepFile;
  let queries: string[];

  beforeAll(async () => {
    const files = await parseBicepSources(sources);
    file = files.find((f) => f.path === MONITORING)!;
    queries = stringProperties(file, "query");
  });

  it("parse with no error", () => {
    expect(file).toBeDefined();
    expect(formatFindings(checkSyntax([file]))).toBe("");
  });

  it("every query names something the app emits, and nothing it does not", () => {
    expect(queries.length).toBe(10); // five alert rules, five workbook panels
    for (const query of queries) {
      const names = namesIn(query);
      expect(names.length, query).toBeGreaterThan(0);
      for (const name of names) expect(TELEMETRY_NAMES, `${name} in ${query}`).toContain(name);
    }
  });

  it("has the five alert rules the operations guide describes", () => {
    const keys = stringProperties(file, "key");
    expect(keys).toEqual([
      "run-failed-or-partial",
      "breaker-tripped",
      "poison-message",
      "no-scheduled-run",
      "notifications-failing",
    ]);
    const [failed, breaker, poison, deadMan, notify] = queries;
    expect(namesIn(failed!)).toEqual([RECORDS.runFinished]);
    expect(failed).toMatch(/"failed", "partial"/);
    expect(namesIn(breaker!)).toEqual([RECORDS.breakerTripped]);
    expect(namesIn(poison!)).toEqual([RECORDS.poisonMessage]);
    expect(namesIn(deadMan!)).toEqual([RECORDS.runFinished]);
    expect(deadMan).toMatch(/ago\(26h\)/);
    expect(deadMan).toMatch(/"timer"/);
    expect(namesIn(notify!)).toEqual([RECORDS.notificationFailed]);
  });

  it("the workbook shows runs, actions by outcome, throttling, failures and the newest failed runs", () => {
    const panels = queries.slice(5).map(namesIn);
    expect(panels).toEqual([
      [RECORDS.runFinished],
      [METRICS.actions],
      [METRICS.armThrottled],
      [
        RECORDS.actionOutcome,
        RECORDS.breakerTripped,
        RECORDS.poisonMessage,
        RECORDS.notificationFailed,
        RECORDS.actionOutcome,
      ],
      [RECORDS.runFinished],
    ]);
  });

  it("main.bicep deploys it with an optional alert e-mail", () => {
    expect(sources["main.bicep"]).toMatch(/param alertEmail string = ''/);
    expect(sources["main.bicep"]).toMatch(/module monitoring '.\/modules\/janitorMonitoring.bicep'/);
    expect(sources[MONITORING]).toMatch(/emailReceivers: empty\(alertEmail\)/);
  });
});
