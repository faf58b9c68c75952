import type { JobSnapshot } from "../domain/job";
import { auditSafe } from "../domain/auditText";
import type { AuditEntry } from "../domain/records";
import type { Mode, Trigger } from "../domain/vocabulary";
import { AuditWriteError } from "../errors";
import type { AuditStore } from "./ports";

/** Who is running and under which policy: stamped on every audit entry of a run. */
export interface RunIdentity {
  runId: string;
  trigger: Trigger;
  mode: Mode;
  actor: string;
  policyHash: string;
  /** A run applying a saved plan: stamped on each of its entries. */
  planId?: string;
  approvedBy?: string;
}

type EntryFields = Omit<
  AuditEntry,
  "timestamp" | "runId" | "seq" | "trigger" | "mode" | "actor" | "policyHash" | "planId" | "approvedBy"
>;

/**
 * Numbers seq within a run. Parts of a run may be swept by different workers at once, so each part owns its
 * own block of a million numbers (`seqBase`); the run itself uses block 0.
 */
export const SEQ_BLOCK = 1_000_000;
/** Each subscription's block is split between delivery attempts of its work item (at most 10). */
export const SEQ_ATTEMPT = SEQ_BLOCK / 10;

export class AuditTrail {
  private seq = 0;

  constructor(
    private readonly store: AuditStore,
    readonly run: RunIdentity,
    private readonly seqBase: number,
    private readonly now: () => Date,
  ) {}

  entry(fields: EntryFields): AuditEntry {
    this.seq++;
    if (this.seq >= SEQ_ATTEMPT)
      throw new AuditWriteError(
        `more than ${SEQ_ATTEMPT - 1} audit entries for one subscription in one attempt`,
      );
    // Cleaned here already, so the entry the engine keeps (and compares on a retried write) is the one stored.
    return auditSafe({
      timestamp: this.now().toISOString(),
      runId: this.run.runId,
      seq: this.seqBase + this.seq,
      trigger: this.run.trigger,
      mode: this.run.mode,
      actor: this.run.actor,
      policyHash: this.run.policyHash,
      ...(this.run.planId !== undefined && { planId: this.run.planId }),
      ...(this.run.approvedBy !== undefined && { approvedBy: this.run.approvedBy }),
      ...fields,
    });
  }

  /** Resolves only once every entry is stored; any failure is an AuditWriteError and the caller must stop acting. */
  async write(entries: AuditEntry[]): Promise<void> {
    if (entries.length === 0) return;
    try {
      await this.store.append(entries);
    } catch (err) {
      if (err instanceof AuditWriteError) throw err;
      throw new AuditWriteError(`audit write failed: ${(err as Error)?.message ?? String(err)}`, {
        cause: err,
      });
    }
  }
}

/** The job's identifying fields for an audit entry; nothing personal is in a JobSnapshot to begin with. */
export function jobAuditFields(job: JobSnapshot) {
  return {
    subscriptionId: job.subscriptionId,
    resourceGroup: job.resourceGroup,
    jobName: job.name,
    jobId: job.id,
    source: job.source,
    jobType: job.jobType,
    stateBefore: job.state,
    cancelRequestedBefore: job.cancelRequested,
  };
}

/** A short error text for the audit log: single line, bounded, never a response body. */
export function shortMessage(message: string | undefined): string | undefined {
  if (!message) return undefined;
  const line = message.replace(/\s+/g, " ").trim();
  return line.length > 200 ? `${line.slice(0, 197)}...` : line;
}
