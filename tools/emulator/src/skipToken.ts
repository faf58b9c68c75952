// The opaque `$skipToken` of the emulator's listings: the sequence number of the last job served, so a listing
// resumes after it (jobs removed between pages leave no gap). Each API has its own prefix, so a token of one
// listing is refused by another.

export interface SkipTokens {
  encode(afterSeq: number): string;
  /** The sequence number, or undefined for a token this listing did not make. */
  decode(token: string): number | undefined;
}

export function skipTokens(prefix: string): SkipTokens {
  return {
    encode: (afterSeq) => Buffer.from(`${prefix}${afterSeq}`).toString("base64url"),
    decode: (token) => {
      const text = Buffer.from(token, "base64url").toString("utf8");
      if (!text.startsWith(prefix)) return undefined;
      const seq = Number(text.slice(prefix.length));
      return Number.isSafeInteger(seq) && seq >= 0 ? seq : undefined;
    },
  };
}
