import { describe, expect, it } from "vitest";
import { AUDIT_FIELDS, auditEntriesToCsv } from "../../../src/domain/auditCsv";
import { fullEntry, minimalEntry } from "../../support/auditEntries";

/** A small RFC 4180 reader, to check the writer against the rules rather than against its own output. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") {
      row.push(cell);
      cell = "";
    } else if (ch === "\r" && text[i + 1] === "\n") {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = "";
      i++;
    } else cell += ch;
  }
  expect(cell).toBe("");
  expect(row).toEqual([]);
  return rows;
}

describe("auditEntriesToCsv", () => {
  it("writes a header in the contract's field order and one record per entry, CRLF-terminated", () => {
    const entries = [fullEntry({ seq: 1 }), minimalEntry(Date.UTC(2026, 10, 21), "run-2", 2)];
    const text = auditEntriesToCsv(entries, { header: true });
    const rows = parseCsv(text);
    expect(rows[0]).toEqual([...AUDIT_FIELDS]);
    expect(AUDIT_FIELDS.slice(0, 3)).toEqual(["timestamp", "runId", "seq"]);
    expect(AUDIT_FIELDS.slice(-2)).toEqual(["comment", "source"]);
    expect(rows).toHaveLength(3);
    expect(text.endsWith("\r\n")).toBe(true);
    const first = Object.fromEntries(AUDIT_FIELDS.map((f, i) => [f, rows[1]![i]]));
    expect(first).toMatchObject({
      seq: "1",
      cancelRequestedBefore: "false",
      ageDays: "12.5",
      httpStatus: "200",
    });
    expect(rows[2]![AUDIT_FIELDS.indexOf("resourceGroup")]).toBe("");
  });

  it("quotes commas, quotes and line breaks as RFC 4180 requires", () => {
    const message = 'said "no", then\r\nline two\nline three';
    const text = auditEntriesToCsv([fullEntry({ errorMessage: message, rule: "a,b" })], { header: false });
    expect(text).toContain('"said ""no"", then\r\nline two\nline three"');
    const [row] = parseCsv(text);
    expect(row![AUDIT_FIELDS.indexOf("errorMessage")]).toBe(message);
    expect(row![AUDIT_FIELDS.indexOf("rule")]).toBe("a,b");
    expect(row).toHaveLength(AUDIT_FIELDS.length);
  });

  it("keeps text that a spreadsheet would run as a formula inert", () => {
    const [row] = parseCsv(
      auditEntriesToCsv([fullEntry({ actor: "=HYPERLINK(1)", errorMessage: "@x" })], { header: false }),
    );
    expect(row![AUDIT_FIELDS.indexOf("actor")]).toBe("'=HYPERLINK(1)");
    expect(row![AUDIT_FIELDS.indexOf("errorMessage")]).toBe("'@x");
  });

  it("writes only the header for no entries, and nothing without one", () => {
    expect(auditEntriesToCsv([], { header: true })).toBe(`${AUDIT_FIELDS.join(",")}\r\n`);
    expect(auditEntriesToCsv([], { header: false })).toBe("");
  });
});
