// What the campaign puts between the real engine and its real services: a worker that can be killed at a chosen
// call (everything it calls afterwards hangs for ever: a dead process sends nothing more), storage failures on a
// seeded schedule (nothing Azurite produces on demand), and a record of every audit entry the store reported
// written, with when. Every other call goes to the real adapters unchanged (proxies forward any method).
import type { AuditEntry } from "../../src/domain/records";
import type { EngineServices } from "../../src/engine/janitorEngine";
import type { KillPlan, StorageFault } from "./generate";

const never = <T>(): Promise<T> => new Promise<T>(() => undefined);

/** One delivery of a work item, as one worker process: it may die at a planned point. */
export class Worker {
  private calls = 0;
  dead = false;
  private onDeath!: () => void;
  readonly died = new Promise<void>((resolve) => (this.onDeath = resolve));

  constructor(private readonly kill?: KillPlan) {}

  /** Runs `invoke` unless the worker is dead or dies at this call. */
  call<T>(kind: "arm-action" | "other", invoke: () => Promise<T>): Promise<T> {
    if (this.dead) return never();
    this.calls++;
    const k = this.kill;
    const dies = k !== undefined && (k.at === "action" ? kind === "arm-action" : this.calls === k.at);
    if (!dies) return invoke();
    this.dead = true;
    if (k.inFlight) invoke().catch(() => undefined); // the request is on its way; its answer is never read
    this.onDeath();
    return never();
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (this.dead) return never();
    return new Promise<void>((resolve, reject) => {
      const t = setTimeout(resolve, ms);
      signal?.addEventListener("abort", () => {
        clearTimeout(t);
        reject(signal.reason);
      });
    }).then(() => (this.dead ? never<void>() : undefined));
  }
}

type Wrap = (method: string, invoke: () => Promise<unknown>, args: unknown[]) => Promise<unknown>;

function proxy<T extends object>(target: T, wrap: Wrap): T {
  return new Proxy(target, {
    get(t, prop, receiver) {
      const value = Reflect.get(t, prop, receiver) as unknown;
      if (typeof value !== "function" || typeof prop !== "string") return value;
      return (...args: unknown[]) =>
        wrap(prop, () => Promise.resolve((value as (...a: unknown[]) => unknown).apply(t, args)), args);
    },
  });
}

/** The services of one delivery: the worker's life wrapped around every call. */
export function workerServices(shared: EngineServices, worker: Worker): EngineServices {
  const wrap =
    (name: string): Wrap =>
    (method, invoke) =>
      worker.call(
        name === "jobs" && (method === "deleteJob" || method === "cancelJob") ? "arm-action" : "other",
        invoke,
      );
  return {
    jobs: proxy(shared.jobs, wrap("jobs")),
    subscriptions: proxy(shared.subscriptions, wrap("subscriptions")),
    audit: proxy(shared.audit, wrap("audit")),
    runs: proxy(shared.runs, wrap("runs")),
    observations: proxy(shared.observations, wrap("observations")),
    leases: proxy(shared.leases, wrap("leases")),
    ...(shared.plans && { plans: proxy(shared.plans, wrap("plans")) }),
  };
}

export class InjectedStorageFailure extends Error {
  constructor(what: string) {
    super(`injected storage failure: ${what}`);
    this.name = "RestError";
  }
}

export interface WrittenRecord {
  entry: AuditEntry;
  /** Host time the store reported it written (append resolved). */
  resolvedAt: number;
}

/** Storage shared by all deliveries of a case, failing per the schedule, recording what it reported written. */
export function faultyStorage(
  real: EngineServices,
  faults: StorageFault[],
  figures: { storageFailures: number },
) {
  const written = new Map<string, WrittenRecord>();
  let armed = true;
  const counters = new Map<string, number>();
  const wrap =
    (store: StorageFault["store"]): Wrap =>
    (method, invoke, args) => {
      if (store === "audit" && method === "append")
        return failing(store, method, invoke).then((value) => {
          const at = Date.now();
          for (const entry of args[0] as AuditEntry[])
            written.set(`${entry.runId}#${entry.seq}`, { entry, resolvedAt: at });
          return value;
        });
      return failing(store, method, invoke);
    };
  const failing = (store: StorageFault["store"], method: string, invoke: () => Promise<unknown>) => {
    const key = `${store}.${method}`;
    const n = (counters.get(key) ?? 0) + 1;
    counters.set(key, n);
    const fault = armed
      ? faults.find((f) => f.store === store && f.method === method && f.calls.includes(n))
      : undefined;
    if (!fault) return invoke();
    figures.storageFailures++;
    if (fault.when === "before") return Promise.reject(new InjectedStorageFailure(`${key} #${n}`));
    return invoke().then(() => Promise.reject(new InjectedStorageFailure(`${key} #${n} (after the write)`)));
  };
  const services: EngineServices = {
    ...real,
    audit: proxy(real.audit, wrap("audit")),
    runs: proxy(real.runs, wrap("runs")),
    leases: proxy(real.leases, wrap("leases")),
    observations: proxy(real.observations, wrap("observations")),
  };
  return {
    services,
    written,
    /** Recovery runs on healthy storage. */
    disarm: () => (armed = false),
  };
}
