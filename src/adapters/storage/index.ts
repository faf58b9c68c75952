// The storage layer: the engine's stores (src/engine/ports.ts) over Azure Table Storage.
import { randomBytes } from "node:crypto";
import type { ContainerClient } from "@azure/storage-blob";
import type { AuditStore, LeaseStore, ObservationStore, PlanStore, RunStore } from "../../engine/ports";
import { DEFAULT_PLAN_CONTAINER, PlanStorage } from "./PlanStorage";
import { createContainerClient, createTableClient, type StorageConnection } from "./storageConnection";
import { TableAuditStore } from "./TableAuditStore";
import { DEFAULT_RETRY, statusOf, withRetry, type RetryOptions, type TableLike } from "./tableAccess";
import { TableLeaseStore } from "./TableLeaseStore";
import { TableObservationStore } from "./TableObservationStore";
import { TableRunStore } from "./TableRunStore";

export { createQueueClient, createTableClient, parseStorageSettings } from "./storageConnection";
export type { StorageConnection } from "./storageConnection";

export interface Storage {
  audit: AuditStore;
  runs: RunStore;
  observations: ObservationStore;
  leases: LeaseStore;
  /** Saved plans: records in a table, proposed actions in the `janitor-plans` blob container. */
  plans: PlanStore;
  /** Creates the tables (once per process; every store operation also waits for it). */
  ensureReady(): Promise<void>;
  retention: { purgeOlderThan(cutoff: Date): Promise<{ removed: number }> };
}

export interface StorageOptions {
  /** Table name prefix (letters and digits, starting with a letter); tests use their own to stay apart. */
  tablePrefix?: string;
  retry?: RetryOptions;
  /** For leases (expiry) and audit queries (`to` defaults to now). */
  clock?: () => Date;
}

export const DEFAULT_TABLE_PREFIX = "Janitor";

export function tableNames(prefix = DEFAULT_TABLE_PREFIX) {
  if (!/^[A-Za-z][A-Za-z0-9]{0,40}$/.test(prefix)) {
    throw new RangeError("tablePrefix must be 1-41 letters and digits, starting with a letter");
  }
  return {
    audit: `${prefix}Audit`,
    runs: `${prefix}Runs`,
    observations: `${prefix}Observations`,
    leases: `${prefix}Leases`,
    plans: `${prefix}Plans`,
    // Tests (their own table prefix) get their own container too.
    planContainer:
      prefix === DEFAULT_TABLE_PREFIX
        ? DEFAULT_PLAN_CONTAINER
        : `${DEFAULT_PLAN_CONTAINER}-${prefix.toLowerCase()}`,
  };
}

export function createStorage(conn: StorageConnection, options: StorageOptions = {}): Storage {
  const names = tableNames(options.tablePrefix);
  // The stores retry on their own (the same rule for every call, and testable with a fake); SDK retries on
  // top would multiply the attempts.
  const client = (name: string) => createTableClient(conn, name, { retryOptions: { maxRetries: 0 } });
  const tables = {
    audit: client(names.audit),
    runs: client(names.runs),
    observations: client(names.observations),
    leases: client(names.leases),
    plans: client(names.plans),
  };
  // The blob endpoint is needed only once plans are written or read: a missing one fails there, naming the setting.
  let container: ContainerClient | undefined;
  const planContainer = new Proxy({} as ContainerClient, {
    get: (_target, property) => {
      container ??= createContainerClient(conn, names.planContainer, { retryOptions: { maxTries: 1 } });
      const value = (container as unknown as Record<string | symbol, unknown>)[property];
      return typeof value === "function" ? value.bind(container) : value;
    },
  });
  return createStorageOnTables(tables, { ...options, planContainer });
}

/** The same over any table clients (tests hand in fakes). */
export function createStorageOnTables(
  tables: {
    audit: TableLike;
    runs: TableLike;
    observations: TableLike;
    leases: TableLike;
    plans?: TableLike;
  },
  options: Omit<StorageOptions, "tablePrefix"> & { planContainer?: ContainerClient } = {},
): Storage {
  const retry = options.retry ?? DEFAULT_RETRY;
  let creating: Promise<void> | undefined;
  const ensureReady = () => {
    creating ??= Promise.all(
      Object.values(tables).map((table) =>
        withRetry(() => table.createTable(), retry).catch((err: unknown) => {
          // A reader (Storage Table Data Reader) may not create tables: the tables are there already, or the
          // first read says so plainly.
          if (statusOf(err) !== 403) throw err;
        }),
      ),
    ).then(
      () => undefined,
      (err: unknown) => {
        creating = undefined; // try again on the next call
        throw err;
      },
    );
    return creating;
  };
  const storeOptions = { ready: ensureReady, retry, clock: options.clock };
  const audit = new TableAuditStore(tables.audit, storeOptions);
  return {
    audit,
    runs: new TableRunStore(tables.runs, storeOptions),
    observations: new TableObservationStore(tables.observations, storeOptions),
    leases: new TableLeaseStore(tables.leases, storeOptions),
    plans: new PlanStorage(
      tables.plans ?? unavailableTable,
      options.planContainer ?? unavailableContainer,
      storeOptions,
    ),
    ensureReady,
    retention: { purgeOlderThan: (cutoff) => audit.purgeOlderThan(cutoff) },
  };
}

/** Stands in where a caller (a unit test's fakes) gave no plan storage: any use says so. */
const unavailable = (): never => {
  throw new Error("plan storage was not configured");
};
const unavailableTable = new Proxy({} as TableLike, { get: () => unavailable });
const unavailableContainer = new Proxy({} as ContainerClient, { get: () => unavailable });

/**
 * A new run id: UTC time to the second and 8 random hex digits, e.g. `20261121T232400Z-3f9a1c2b`. Sorts by
 * time, is unique in practice, and is safe in URLs and table keys.
 */
export function newRunId(now: Date): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d{3}Z$/, "Z");
  return `${stamp}-${randomBytes(4).toString("hex")}`;
}
