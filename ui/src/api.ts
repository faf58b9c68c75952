// The page's only way to the data: the API's own handlers, served for the page under /api/ui/data/ (same
// routes, same parameters, same JSON), with the signed-in session's cookie. Writes carry x-janitor-ui.
export const DATA = "/api/ui/data";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export type Query = Record<string, string | undefined>;

export function withQuery(path: string, query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== "") params.set(k, v);
  const s = params.toString();
  return s ? `${path}?${s}` : path;
}

async function problemText(res: Response): Promise<string> {
  try {
    const body = (await res.json()) as { title?: string; detail?: string };
    return [body.title, body.detail].filter(Boolean).join(": ") || `HTTP ${res.status}`;
  } catch {
    return `HTTP ${res.status}`;
  }
}

export async function getJson<T>(path: string, query?: Query): Promise<T> {
  const res = await fetch(`${DATA}/${withQuery(path, query)}`, {
    credentials: "same-origin",
    headers: { accept: "application/json" },
  });
  if (!res.ok) throw new ApiError(res.status, await problemText(res));
  return (await res.json()) as T;
}

export async function postJson<T>(path: string, body: unknown): Promise<T> {
  const res = await fetch(`${DATA}/${path}`, {
    method: "POST",
    credentials: "same-origin",
    headers: { "content-type": "application/json", accept: "application/json", "x-janitor-ui": "1" },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new ApiError(res.status, await problemText(res));
  return (await res.json()) as T;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface RunRecord {
  runId: string;
  trigger: string;
  mode: string;
  requestedBy: string;
  status: string;
  queuedAt: string;
  startedAt?: string;
  finishedAt?: string;
  policyHash: string;
  counts: Record<string, number>;
  error?: string;
  note?: string;
  subscriptions?: string[];
  reasons?: Record<string, number>;
  planId?: string;
}

export interface AuditEntry {
  timestamp: string;
  runId: string;
  seq: number;
  trigger: string;
  mode: string;
  actor: string;
  subscriptionId: string;
  resourceGroup: string;
  jobName: string;
  jobId: string;
  jobType?: string;
  stateBefore?: string;
  ageDays?: number;
  ageBasis?: string;
  rule?: string;
  action: string;
  phase: string;
  outcome: string;
  reason: string;
  httpStatus?: number;
  errorCode?: string;
  errorMessage?: string;
  stateAfter?: string;
  durationMs?: number;
  policyHash?: string;
  planId?: string;
  approvedBy?: string;
  [field: string]: unknown;
}

export interface Me {
  access: "easy-auth" | "local-open" | "off";
  name: string;
  roles: string[];
  canOperate: boolean;
  canApprove: boolean;
}
