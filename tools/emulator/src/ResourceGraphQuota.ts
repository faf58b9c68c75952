import type { ResourceGraphQuotaSettings } from "./settings";

export type QuotaResult =
  | { allowed: true; remaining: number; resetsAfterMs: number }
  | { allowed: false; remaining: 0; resetsAfterMs: number; retryAfterSeconds: number };

/**
 * Resource Graph's own throttling (docs/service.md#azure-resource-graph): a number of queries per caller in a
 * window that starts with the caller's first query, on real time. Every answer says what is left and when the
 * window resets (`x-ms-user-quota-remaining`, `x-ms-user-quota-resets-after`); past it, 429 until the reset.
 */
export class ResourceGraphQuota {
  private readonly windows = new Map<string, { startMs: number; used: number }>();

  constructor(
    private settings: false | ResourceGraphQuotaSettings,
    private readonly realNow: () => number = Date.now,
  ) {}

  configure(settings: false | ResourceGraphQuotaSettings): void {
    this.settings = settings;
    this.windows.clear();
  }

  take(caller: string): QuotaResult {
    const settings = this.settings;
    if (settings === false) return { allowed: true, remaining: 15, resetsAfterMs: 5_000 };
    const now = this.realNow();
    let window = this.windows.get(caller);
    if (window === undefined || now >= window.startMs + settings.windowMs) {
      window = { startMs: now, used: 0 };
      this.windows.set(caller, window);
    }
    const resetsAfterMs = window.startMs + settings.windowMs - now;
    if (window.used < settings.queries) {
      window.used++;
      return { allowed: true, remaining: settings.queries - window.used, resetsAfterMs };
    }
    return {
      allowed: false,
      remaining: 0,
      resetsAfterMs,
      retryAfterSeconds: Math.max(1, Math.ceil(resetsAfterMs / 1000)),
    };
  }
}

/** `hh:mm:ss`, rounded up to the second (waiting that long is always enough). */
export function formatResetsAfter(ms: number): string {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${pad(Math.floor(total / 3600))}:${pad(Math.floor((total % 3600) / 60))}:${pad(total % 60)}`;
}
