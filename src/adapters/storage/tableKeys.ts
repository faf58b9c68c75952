// Building blocks of PartitionKey/RowKey values. Keys may not contain `/ \ # ?` or control characters and are
// limited to 1 KiB (docs/service.md#table-storage-and-azurite); every value from outside goes through
// `encodeKeyPart`.
import { createHash } from "node:crypto";

const KEEP = /^[A-Za-z0-9._-]$/;
const MAX_ENCODED = 400;

/**
 * A reversible, key-safe spelling of any text: letters, digits, `.`, `_` and `-` stay, every other UTF-8 byte
 * becomes `!XX` (upper-case hex). Text whose spelling would be longer than 400 characters is replaced by `!h`
 * and its SHA-256 (never produced by the escaping, since `h` is not a hex digit), so keys stay within limits.
 */
export function encodeKeyPart(value: string): string {
  let out = "";
  for (const byte of Buffer.from(value, "utf8")) {
    const ch = String.fromCharCode(byte);
    out += KEEP.test(ch) ? ch : `!${byte.toString(16).toUpperCase().padStart(2, "0")}`;
    if (out.length > MAX_ENCODED) return `!h${createHash("sha256").update(value, "utf8").digest("hex")}`;
  }
  return out;
}

/** Largest epoch millisecond the 13-digit time keys can hold (year 2286). */
export const MAX_KEY_MS = 9_999_999_999_999;
export const DAY_MS = 86_400_000;

/** Inverted epoch milliseconds, zero-padded, so that newer sorts first (log-tail pattern). */
export function invertedMs(ms: number): string {
  return String(MAX_KEY_MS - ms).padStart(13, "0");
}

export function msFromInverted(inverted: string): number {
  return MAX_KEY_MS - Number(inverted);
}

/** Inverted count, zero-padded to `width` digits, so that a larger count sorts first. */
export function invertedCount(n: number, width: number): string {
  return String(10 ** width - 1 - n).padStart(width, "0");
}

// A superset of the run id characters (src/domain/armIds.ts: letters, digits, `-`), listed in code-unit order.
// Do not change it: the RowKeys of stored runs are spelled with it.
const RUN_ID_ALPHABET = "-.0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz";

/**
 * Maps a run id to a key that sorts in the opposite order: each character is mirrored in the alphabet, and a
 * final `~` (above every mirrored character) makes a longer id sort before its own prefix.
 */
export function descendingKey(runId: string): string {
  let out = "";
  for (const ch of runId) {
    const i = RUN_ID_ALPHABET.indexOf(ch);
    if (i < 0) throw new Error("descendingKey: character outside the run id alphabet");
    out += RUN_ID_ALPHABET[RUN_ID_ALPHABET.length - 1 - i];
  }
  return `${out}~`;
}
