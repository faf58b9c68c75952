import { z } from "zod";
import { ValidationError } from "../../../src/errors";
import { zodProblems } from "../../../src/validation/zodProblems";

/**
 * A change to the job named by the request path, made as if by someone else at the moment the fault applies
 * (after its `latencyMs`, before the request is served): so a `GET` sees it, and a `DELETE` or `PATCH` with
 * `latencyMs` meets it while in flight.
 */
export interface JobMutation {
  /** Moves the job to this state (any text, as the service's free-form state). */
  state?: string;
  /** Removes the job. */
  remove?: boolean;
  cancelRequested?: boolean;
  /** Replaces the job's tags. */
  tags?: Record<string, string>;
  /** Data Box jobs: sets the flag as the service would serve it (until the job's stage changes). */
  isCancellable?: boolean;
  isDeletable?: boolean;
}

/**
 * One injected fault (`POST /_emulator/faults`). A fault matches ARM requests by method and a regular expression
 * on the path; it answers `status` (with an ErrorResponse), drops the connection (`reset`), or with only
 * `latencyMs` delays the request and then serves it normally. `mutate` changes the request's job first;
 * `dropResponse` serves the request (its change happens) and then drops the connection instead of answering.
 * Without `count` it applies to every match.
 */
export interface EmulatorFault {
  method?: string;
  path?: string;
  /** Regex on the query string (without `?`), e.g. `skiptoken` to hit only the later pages of a listing. */
  query?: string;
  status?: number;
  retryAfter?: number;
  count?: number;
  latencyMs?: number;
  reset?: boolean;
  mutate?: JobMutation;
  dropResponse?: boolean;
  /**
   * On a Data Box DELETE: the request is served, and the long-running operation it starts ends `fail`ed (the job
   * stays) or `never` ends (InProgress, the Location URL answers 202, forever).
   */
  deleteOutcome?: "fail" | "never";
  error?: { code: string; message?: string } | string;
  /** With `status`: this JSON body instead of an ErrorResponse (e.g. a 200 whose rows cannot be trusted). */
  body?: unknown;
}

export interface ActiveFault extends EmulatorFault {
  /** How many more requests it applies to; undefined = unlimited. */
  remaining?: number;
  /** How many requests it has applied to. */
  applied: number;
}

const faultSchema = z
  .strictObject({
    method: z
      .string()
      .regex(/^[A-Za-z]+$/, "expected an HTTP method such as GET or DELETE")
      .optional(),
    path: z
      .string()
      .refine(
        (p) => {
          try {
            new RegExp(p);
            return true;
          } catch {
            return false;
          }
        },
        { message: "expected a valid regular expression (matched against the request path)" },
      )
      .optional(),
    query: z
      .string()
      .refine(
        (q) => {
          try {
            new RegExp(q);
            return true;
          } catch {
            return false;
          }
        },
        { message: "expected a valid regular expression (matched against the query string)" },
      )
      .optional(),
    status: z
      .number()
      .int("expected a whole number")
      .min(100)
      .max(599, "expected an HTTP status 100-599")
      .optional(),
    retryAfter: z.number().int("expected whole seconds").min(0, "expected 0 or more seconds").optional(),
    count: z
      .number()
      .int("expected a whole number")
      .min(1, "expected at least 1 (omit for every request)")
      .optional(),
    latencyMs: z
      .number()
      .int("expected whole milliseconds")
      .min(0)
      .max(600_000, "expected at most 600000")
      .optional(),
    reset: z.boolean().optional(),
    mutate: z
      .strictObject({
        state: z.string().min(1, "expected a non-empty state").optional(),
        remove: z.boolean().optional(),
        cancelRequested: z.boolean().optional(),
        tags: z.record(z.string(), z.string()).optional(),
        isCancellable: z.boolean().optional(),
        isDeletable: z.boolean().optional(),
      })
      .optional(),
    dropResponse: z.boolean().optional(),
    body: z.unknown().optional(),
    deleteOutcome: z.enum(["fail", "never"]).optional(),
    error: z
      .union(
        [z.string().min(1), z.strictObject({ code: z.string().min(1), message: z.string().optional() })],
        {
          message: 'expected an error code string or {"code": "...", "message": "..."}',
        },
      )
      .optional(),
  })
  .refine(
    (f) =>
      f.status !== undefined ||
      f.reset === true ||
      f.latencyMs !== undefined ||
      f.mutate !== undefined ||
      f.dropResponse === true ||
      f.deleteOutcome !== undefined,
    { message: "a fault needs status, reset: true, latencyMs, mutate, dropResponse: true, or deleteOutcome" },
  );

const faultsSchema = z.array(faultSchema, { message: "expected an array of faults" });

/** Validates a `POST /faults` body (an array, or one fault); throws ValidationError naming each bad field. */
export function parseFaults(input: unknown): EmulatorFault[] {
  if (Array.isArray(input)) {
    const parsed = faultsSchema.safeParse(input);
    if (!parsed.success) throw new ValidationError(zodProblems(parsed.error, "faults", "faults"));
    return parsed.data;
  }
  if (input !== null && typeof input === "object") {
    const parsed = faultSchema.safeParse(input);
    if (!parsed.success) throw new ValidationError(zodProblems(parsed.error, "fault", "fault"));
    return [parsed.data];
  }
  throw new ValidationError([{ field: "body", message: "expected an array of faults, or one fault object" }]);
}

export class FaultInjector {
  private faults: Array<ActiveFault & { pattern?: RegExp; queryPattern?: RegExp }> = [];

  add(faults: EmulatorFault[]): void {
    for (const f of faults) {
      this.faults.push({
        ...f,
        remaining: f.count,
        applied: 0,
        pattern: f.path === undefined ? undefined : new RegExp(f.path),
        queryPattern: f.query === undefined ? undefined : new RegExp(f.query),
      });
    }
  }

  clear(): void {
    this.faults = [];
  }

  list(): ActiveFault[] {
    return this.faults.map(({ pattern: _pattern, queryPattern: _query, ...f }) => f);
  }

  /** The first fault that matches and still has uses left (one use is taken), if any. */
  take(method: string, path: string, query = ""): EmulatorFault | undefined {
    for (const fault of this.faults) {
      if (fault.remaining === 0) continue;
      if (fault.method !== undefined && fault.method.toUpperCase() !== method) continue;
      if (fault.pattern !== undefined && !fault.pattern.test(path)) continue;
      if (fault.queryPattern !== undefined && !fault.queryPattern.test(query)) continue;
      if (fault.remaining !== undefined) fault.remaining--;
      fault.applied++;
      return fault;
    }
    return undefined;
  }
}
