import type { IncomingMessage, ServerResponse } from "node:http";

// Request bodies as the Functions host limits them: `FUNCTIONS_REQUEST_BODY_SIZE_LIMIT` bytes (default 100 MB,
// as in Azure). A declared `content-length` over it is refused before a byte is read, so a client that announces
// 10 MB and sends 15 bytes gets an answer instead of a wait; a body without a length is cut off at the limit.

export const DEFAULT_BODY_LIMIT = 104_857_600;

/** The limit from the app setting, or the default when it is unset or not a whole number. */
export function requestBodyLimit(lookup: (name: string) => string | undefined): number {
  const text = lookup("FUNCTIONS_REQUEST_BODY_SIZE_LIMIT")?.trim() ?? "";
  return /^\d{1,15}$/.test(text) ? Number(text) : DEFAULT_BODY_LIMIT;
}

export function declaresTooLarge(req: IncomingMessage, limit: number): boolean {
  const declared = req.headers["content-length"];
  return declared !== undefined && Number(declared) > limit;
}

export class BodyTooLargeError extends Error {
  override name = "BodyTooLargeError";
}

/** Reads the body, rejecting with BodyTooLargeError (and no longer buffering) once it passes `limit`. */
export function readBodyWithin(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.off("data", onData);
        reject(new BodyTooLargeError(`the body is larger than ${limit} bytes`));
        return;
      }
      chunks.push(chunk);
    };
    req.on("data", onData);
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

/** An RFC 9457 problem, as the app's own errors look; `close` drops the connection (a body left unread). */
export function sendProblem(
  res: ServerResponse,
  status: number,
  title: string,
  detail: string,
  options: { headers?: Record<string, string>; close?: boolean } = {},
): void {
  res.writeHead(status, {
    "content-type": "application/problem+json",
    ...options.headers,
    ...(options.close && { connection: "close" }),
  });
  res.end(JSON.stringify({ type: `https://httpstatuses.io/${status}`, title, status, detail }));
}
