// Leases on Azure Table Storage: one row per lease key (partition `lease`), holding the holder and an expiry.
// Taking or extending a lease is a create (for a new key) or an ETag-conditional replace, so of several
// contenders exactly one wins; an expired lease can be taken by anyone, so a crashed holder blocks others only
// until its lease runs out. Expiry uses the writer's clock: keep TTLs far above plausible clock skew.
// Leases are not re-entrant: a holder name must be unique per acquirer (e.g. run id plus work item).
import type { Lease, LeaseStore } from "../../engine/ports";
import { ValidationError, type FieldProblem } from "../../errors";
import { isPlainText } from "../../domain/auditFilter";
import { statusOf, withRetry, type Entity, type StoredEntity, TableStore } from "./tableAccess";
import { encodeKeyPart } from "./tableKeys";

const PARTITION = "lease";
const MAX_TTL_MS = 24 * 60 * 60 * 1000;

export class TableLeaseStore extends TableStore implements LeaseStore {
  /** The ETag of each lease row this store last wrote, by key: a release then needs no read first. */
  private readonly written = new Map<string, { lease: Lease; etag: string }>();

  async acquire(key: string, holder: string, ttlMs: number): Promise<Lease | undefined> {
    check({ key, holder, ttlMs });
    await this.ready();
    // Most leases are free: try to create first (one round trip), and read only when someone has the row. A
    // row released between the two is tried once more.
    for (let attempt = 0; attempt < 2; attempt++) {
      const lease = this.leaseFor(key, holder, ttlMs);
      try {
        const created = await withRetry(() => this.table.createEntity(toEntity(lease)), this.retry);
        this.remember(lease, (created as { etag?: unknown } | undefined)?.etag);
        return lease;
      } catch (err) {
        if (statusOf(err) !== 409) throw err;
      }
      const current = await this.read(key);
      if (!current) continue;
      // Our own create landed but its answer was lost (and the retry met our row).
      if (current.holder === lease.holder && current.expiresAt === lease.expiresAt) return lease;
      if (Date.parse(String(current.expiresAt)) > this.clock().getTime()) return undefined;
      return this.replace(current, lease);
    }
    return undefined;
  }

  async renew(lease: Lease, ttlMs: number): Promise<boolean> {
    check({ key: lease.key, holder: lease.holder, ttlMs });
    await this.ready();
    const current = await this.read(lease.key);
    if (!current || current.holder !== lease.holder) return false;
    // Still ours even if it ran out, as long as nobody else took it.
    return (await this.replace(current, this.leaseFor(lease.key, lease.holder, ttlMs))) !== undefined;
  }

  async release(lease: Lease): Promise<void> {
    check({ key: lease.key, holder: lease.holder, ttlMs: 1 });
    await this.ready();
    const known = this.written.get(lease.key);
    this.written.delete(lease.key);
    if (known && sameLease(known.lease, lease)) {
      // The row as this store last wrote it: deleted only if nobody changed it since (one round trip).
      try {
        await withRetry(
          () => this.table.deleteEntity(PARTITION, encodeKeyPart(lease.key), { etag: known.etag }),
          this.retry,
        );
        return;
      } catch (err) {
        // 404: gone already. 412: changed since (taken over, or a renewal whose answer was lost): look first.
        if (statusOf(err) === 404) return;
        if (statusOf(err) !== 412) throw err;
      }
    }
    const current = await this.read(lease.key);
    if (!current || current.holder !== lease.holder) return;
    try {
      await withRetry(
        () => this.table.deleteEntity(PARTITION, current.rowKey!, { etag: current.etag }),
        this.retry,
      );
    } catch (err) {
      // 412: renewed or taken in between (then it is not ours to delete); 404: gone already.
      if (statusOf(err) !== 412 && statusOf(err) !== 404) throw err;
    }
  }

  private leaseFor(key: string, holder: string, ttlMs: number): Lease {
    return { key, holder, expiresAt: new Date(this.clock().getTime() + ttlMs).toISOString() };
  }

  private async replace(current: StoredEntity, lease: Lease): Promise<Lease | undefined> {
    try {
      const replaced = await withRetry(
        () => this.table.updateEntity(toEntity(lease), "Replace", { etag: current.etag }),
        this.retry,
      );
      this.remember(lease, replaced?.etag);
      return lease;
    } catch (err) {
      if (statusOf(err) === 412) return this.confirm(lease); // lost the race (or our write landed, answer lost)
      throw err;
    }
  }

  private remember(lease: Lease, etag: unknown): void {
    if (typeof etag === "string" && etag !== "") this.written.set(lease.key, { lease, etag });
    else this.written.delete(lease.key);
  }

  /** After a conflict: the lease is ours only if the stored row is exactly what we wrote. */
  private async confirm(lease: Lease): Promise<Lease | undefined> {
    const stored = await this.read(lease.key);
    return stored?.holder === lease.holder && stored.expiresAt === lease.expiresAt ? lease : undefined;
  }

  async holderOf(key: string): Promise<string | undefined> {
    check({ key, holder: "-", ttlMs: 1 });
    await this.ready();
    const current = await this.read(key);
    if (!current || Date.parse(String(current.expiresAt)) <= this.clock().getTime()) return undefined;
    return String(current.holder);
  }

  private async read(key: string): Promise<StoredEntity | undefined> {
    try {
      return await withRetry(() => this.table.getEntity(PARTITION, encodeKeyPart(key)), this.retry);
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw err;
    }
  }
}

const sameLease = (a: Lease, b: Lease) => a.holder === b.holder && a.key === b.key;

function toEntity(lease: Lease): Entity {
  return {
    partitionKey: PARTITION,
    rowKey: encodeKeyPart(lease.key),
    key: lease.key,
    holder: lease.holder,
    expiresAt: lease.expiresAt,
  };
}

function check(input: { key: unknown; holder: unknown; ttlMs: unknown }): void {
  const problems: FieldProblem[] = [];
  for (const field of ["key", "holder"] as const) {
    const value = input[field];
    if (!(typeof value === "string" && value.length > 0 && value.length <= 256 && isPlainText(value))) {
      problems.push({ field, message: "must be text of 1-256 characters without control characters" });
    }
  }
  const ttl = input.ttlMs;
  if (!(typeof ttl === "number" && Number.isInteger(ttl) && ttl >= 1 && ttl <= MAX_TTL_MS)) {
    problems.push({
      field: "ttlMs",
      message: `must be a whole number of milliseconds from 1 to ${MAX_TTL_MS}`,
    });
  }
  if (problems.length > 0) throw new ValidationError(problems);
}
