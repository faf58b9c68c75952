/** One ARM request as the emulator saw it (`GET /_emulator/requests`). */
export interface LoggedRequest {
  /** 1, 2, 3... in arrival order; `?since=N` returns entries after N. */
  seq: number;
  method: string;
  path: string;
  query?: string;
  /** The spec's operationId when the path matched one (e.g. `Jobs_Delete`). */
  operation?: string;
  /** 0 when an injected fault dropped the connection. */
  status: number;
  /** True when the request broke a documented state rule; the emulator refused it. The janitor must never. */
  forbidden?: true;
  /**
   * Which rule: `delete-not-allowed-in-state`, `cancel-not-allowed-in-state`, `subscription-read-only`; for Data
   * Box jobs `databox-delete-not-deletable`, `databox-delete-not-allowed-in-stage`, `databox-cancel-not-cancellable`,
   * `databox-cancel-not-allowed-in-stage`, `databox-expand-details`, `databox-list-credentials`.
   */
  rule?: string;
  /** Set when an injected fault answered instead of the API. */
  fault?: true;
  /**
   * For a request on one job (get, update, delete): the job as served (get) or as found before the change
   * (update, delete); absent when the job did not exist. Only state, cancel flag and tags: nothing personal.
   */
  job?: {
    state?: string;
    cancelRequested?: boolean;
    tags?: Record<string, string>;
    /** Data Box jobs: `databox`, with the stage (`status`), the flags as served and the SKU. */
    source?: "databox";
    status?: string;
    isCancellable?: boolean;
    isDeletable?: boolean;
    sku?: string;
  };
  /** Emulator-clock time of arrival (ISO 8601). */
  at: string;
  /** Wall-clock time of arrival (ISO 8601, host clock, whatever the emulator clock says). */
  receivedAt: string;
}

export interface RequestLogPage {
  /** All ARM requests since the last reset. */
  total: number;
  /** All forbidden requests since the last reset (every one is kept). */
  forbiddenTotal: number;
  /** Older non-forbidden entries dropped from the bounded log. */
  dropped: number;
  items: LoggedRequest[];
}

/**
 * The ARM request log: every forbidden request is kept for as long as the emulator runs (they are what tests
 * assert on), the others in a bounded ring so a 100,000-job benchmark does not grow memory without end.
 */
export class RequestLog {
  private readonly forbidden: LoggedRequest[] = [];
  private ring: LoggedRequest[] = [];
  private ringStart = 0;
  private total = 0;
  private dropped = 0;

  constructor(private readonly capacity = 10_000) {}

  clear(): void {
    this.forbidden.length = 0;
    this.ring = [];
    this.ringStart = 0;
    this.total = 0;
    this.dropped = 0;
  }

  add(entry: Omit<LoggedRequest, "seq">): LoggedRequest {
    const logged: LoggedRequest = { seq: ++this.total, ...entry };
    if (logged.forbidden) {
      this.forbidden.push(logged);
    } else if (this.ring.length < this.capacity) {
      this.ring.push(logged);
    } else {
      this.ring[this.ringStart] = logged;
      this.ringStart = (this.ringStart + 1) % this.capacity;
      this.dropped++;
    }
    return logged;
  }

  page(options: { forbiddenOnly?: boolean; since?: number } = {}): RequestLogPage {
    const since = options.since ?? 0;
    const kept = options.forbiddenOnly
      ? this.forbidden
      : [...this.forbidden, ...this.ring.slice(this.ringStart), ...this.ring.slice(0, this.ringStart)].sort(
          (a, b) => a.seq - b.seq,
        );
    return {
      total: this.total,
      forbiddenTotal: this.forbidden.length,
      dropped: this.dropped,
      items: kept.filter((e) => e.seq > since),
    };
  }
}
