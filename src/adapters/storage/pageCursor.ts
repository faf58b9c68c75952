// Opaque paging cursors: base64url JSON holding the last RowKey returned and a hash of the filters the page was
// read with, so a cursor reused with other filters is refused instead of silently paging another result.
import { createHash } from "node:crypto";
import { ValidationError } from "../../errors";

interface CursorBody {
  v: 1;
  /** What the cursor pages: "audit" or "runs". */
  t: string;
  /** Hash of the normalized filters. */
  f: string;
  /** RowKey of the last item returned; the next page starts after it. */
  k: string;
}

export function filterHash(filters: Record<string, unknown>): string {
  const canonical = JSON.stringify(
    Object.keys(filters)
      .sort()
      .map((key) => [key, filters[key] ?? null]),
  );
  return createHash("sha256").update(canonical).digest("base64url").slice(0, 22);
}

export function encodeCursor(kind: string, filters: Record<string, unknown>, lastRowKey: string): string {
  const body: CursorBody = { v: 1, t: kind, f: filterHash(filters), k: lastRowKey };
  return Buffer.from(JSON.stringify(body), "utf8").toString("base64url");
}

/**
 * The RowKey to continue after, or a ValidationError on `cursor` when the cursor is not one of ours, was made
 * for another listing or another set of filters, or holds a key of the wrong shape.
 */
export function decodeCursor(
  cursor: string,
  kind: string,
  filters: Record<string, unknown>,
  isRowKey: (key: string) => boolean,
): string {
  let body: Partial<CursorBody> | undefined;
  try {
    body = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as Partial<CursorBody>;
  } catch {
    body = undefined;
  }
  if (
    !body ||
    typeof body !== "object" ||
    body.v !== 1 ||
    body.t !== kind ||
    typeof body.k !== "string" ||
    !isRowKey(body.k)
  ) {
    throw new ValidationError([
      {
        field: "cursor",
        message: "is not a cursor of this listing; pass the nextCursor of a previous answer",
      },
    ]);
  }
  if (body.f !== filterHash(filters)) {
    throw new ValidationError([
      {
        field: "cursor",
        message:
          "was issued for different filters; repeat the query with the same filters, or start without a cursor",
      },
    ]);
  }
  return body.k;
}
