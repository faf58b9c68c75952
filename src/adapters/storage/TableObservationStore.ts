// The janitor's memory of jobs between runs (docs/policy.md#the-janitors-memory-of-a-job) on Azure Table Storage.
// PartitionKey `s-<subscription id>` (lower-cased), RowKey = the key-encoded, lower-cased job id, so loading a
// subscription is one partition query and saving is transactions of up to 100 rows.
// Rows written before marks carried their rule and action have `firstEligibleAt` alone: they load as they are,
// and the domain counts such a mark as none (the grace period starts again: fail safe). Rows without
// `jobCreatedAt` likewise belong to no job that has a createdAt.
import { odata, type TransactionAction } from "@azure/data-tables";
import { isPlainText } from "../../domain/auditFilter";
import type { Observation } from "../../domain/records";
import type { JobAction } from "../../domain/vocabulary";
import type { ObservationStore } from "../../engine/ports";
import { ValidationError, type FieldProblem } from "../../errors";
import {
  chunks,
  deleteIfPresent,
  forEachPage,
  MAX_BATCH,
  MAX_PAGE,
  runLimited,
  statusOf,
  withRetry,
  type Entity,
  TableStore,
} from "./tableAccess";
import { encodeKeyPart } from "./tableKeys";

const partitionOf = (subscriptionId: string) => `s-${encodeKeyPart(subscriptionId.toLowerCase())}`;
const rowOf = (jobId: string) => encodeKeyPart(jobId.toLowerCase());

export class TableObservationStore extends TableStore implements ObservationStore {
  async loadSubscription(subscriptionId: string): Promise<Map<string, Observation>> {
    checkText("subscriptionId", subscriptionId, 64);
    await this.ready();
    const found = new Map<string, Observation>();
    const filter = odata`PartitionKey eq ${partitionOf(subscriptionId)}`;
    await forEachPage(this.table, { filter }, MAX_PAGE, this.retry, (page) => {
      for (const row of page) {
        const observation: Observation = {
          jobId: String(row.jobId),
          subscriptionId: String(row.subscriptionId),
          ...(typeof row.jobCreatedAt === "string" && { jobCreatedAt: row.jobCreatedAt }),
          state: String(row.state),
          firstSeenInStateAt: String(row.firstSeenInStateAt),
          ...(typeof row.firstEligibleAt === "string" && { firstEligibleAt: row.firstEligibleAt }),
          ...(typeof row.eligibleRule === "string" && { eligibleRule: row.eligibleRule }),
          ...(isJobAction(row.eligibleAction) && { eligibleAction: row.eligibleAction }),
        };
        found.set(observation.jobId.toLowerCase(), observation);
      }
      return true;
    });
    return found;
  }

  async save(subscriptionId: string, changes: { upserts: Observation[]; removals: string[] }): Promise<void> {
    const partitionKey = partitionOf(checkText("subscriptionId", subscriptionId, 64));
    const upserts = new Map<string, Entity>();
    const problems: FieldProblem[] = [];
    changes.upserts.forEach((o, i) => {
      const at = `upserts[${i}]`;
      const bad = [
        checkField(`${at}.jobId`, o.jobId, 400),
        checkField(`${at}.state`, o.state, 64),
        checkField(`${at}.firstSeenInStateAt`, o.firstSeenInStateAt, 40),
        optionalField(`${at}.jobCreatedAt`, o.jobCreatedAt, 40),
        optionalField(`${at}.firstEligibleAt`, o.firstEligibleAt, 40),
        optionalField(`${at}.eligibleRule`, o.eligibleRule, 64),
        o.eligibleAction === undefined || isJobAction(o.eligibleAction)
          ? undefined
          : { field: `${at}.eligibleAction`, message: "must be delete or cancel" },
        typeof o.subscriptionId === "string" &&
        o.subscriptionId.toLowerCase() === subscriptionId.toLowerCase()
          ? undefined
          : { field: `${at}.subscriptionId`, message: "must be the subscription being saved" },
      ].filter((p): p is FieldProblem => p !== undefined);
      problems.push(...bad);
      if (bad.length > 0) return;
      // Replace, not merge: an observation without firstEligibleAt clears the stored mark.
      upserts.set(rowOf(o.jobId), {
        partitionKey,
        rowKey: rowOf(o.jobId),
        jobId: o.jobId.toLowerCase(),
        subscriptionId: o.subscriptionId.toLowerCase(),
        ...(o.jobCreatedAt !== undefined && { jobCreatedAt: o.jobCreatedAt }),
        state: o.state,
        firstSeenInStateAt: o.firstSeenInStateAt,
        ...(o.firstEligibleAt !== undefined && { firstEligibleAt: o.firstEligibleAt }),
        ...(o.eligibleRule !== undefined && { eligibleRule: o.eligibleRule }),
        ...(o.eligibleAction !== undefined && { eligibleAction: o.eligibleAction }),
      });
    });
    const removals = new Set<string>();
    changes.removals.forEach((jobId, i) => {
      const bad = checkField(`removals[${i}]`, jobId, 400);
      if (bad) problems.push(bad);
      else if (upserts.has(rowOf(jobId)))
        problems.push({ field: `removals[${i}]`, message: "is also in upserts" });
      else removals.add(rowOf(jobId));
    });
    if (problems.length > 0) throw new ValidationError(problems);

    await this.ready();
    const tasks = [
      ...chunks([...upserts.values()], MAX_BATCH).map(
        (chunk) => () => this.submit(chunk.map((e) => ["upsert", e, "Replace"])),
      ),
      ...chunks([...removals], MAX_BATCH).map((rows) => () => this.removeAll(partitionKey, rows)),
    ];
    await runLimited(tasks, 4);
  }

  private async submit(actions: TransactionAction[]): Promise<void> {
    await withRetry(() => this.table.submitTransaction(actions), this.retry);
  }

  private async removeAll(partitionKey: string, rowKeys: string[]): Promise<void> {
    try {
      await this.submit(rowKeys.map((rowKey) => ["delete", { partitionKey, rowKey }]));
    } catch (err) {
      // One of them was never stored (or is gone already): the batch changed nothing; go one by one.
      if (statusOf(err) !== 404) throw err;
      for (const rowKey of rowKeys) await deleteIfPresent(this.table, { partitionKey, rowKey }, this.retry);
    }
  }
}

function checkField(field: string, value: unknown, max: number): FieldProblem | undefined {
  if (typeof value === "string" && value.length > 0 && value.length <= max && isPlainText(value))
    return undefined;
  return { field, message: `must be text of 1-${max} characters without control characters` };
}

function optionalField(field: string, value: unknown, max: number): FieldProblem | undefined {
  return value === undefined ? undefined : checkField(field, value, max);
}

function isJobAction(value: unknown): value is JobAction {
  return value === "delete" || value === "cancel";
}

function checkText(field: string, value: unknown, max: number): string {
  const problem = checkField(field, value, max);
  if (problem) throw new ValidationError([problem]);
  return value as string;
}
