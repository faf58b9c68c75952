// `upcoming` notices wait here until their run ends, so each owner gets one message per run however many
// parts (and workers) the run had. Rows are keyed by run, then job, rule and action: a part swept twice
// writes the same rows again.
import type { TableClient } from "@azure/data-tables";
import type { UpcomingJob } from "../../domain/notifications/events";
import { deliveryId } from "./notifyMessages";

export class TableUpcomingStore {
  private creating: Promise<unknown> | undefined;

  constructor(private readonly table: TableClient) {}

  async add(runId: string, jobs: UpcomingJob[]): Promise<void> {
    await this.ready();
    // Upserts one by one in small groups: a few rows per subscription, seldom more.
    for (let i = 0; i < jobs.length; i += 20) {
      await Promise.all(
        jobs.slice(i, i + 20).map((job) =>
          this.table.upsertEntity(
            {
              partitionKey: runId,
              rowKey: deliveryId(job.jobId.toLowerCase(), job.rule, job.action),
              job: JSON.stringify(job),
            },
            "Replace",
          ),
        ),
      );
    }
  }

  async load(runId: string): Promise<UpcomingJob[]> {
    await this.ready();
    const jobs: UpcomingJob[] = [];
    const rows = this.table.listEntities<{ job: string }>({
      queryOptions: { filter: `PartitionKey eq '${runId.replace(/'/g, "''")}'` },
    });
    for await (const row of rows) jobs.push(JSON.parse(row.job) as UpcomingJob);
    return jobs.sort((a, b) => a.jobId.localeCompare(b.jobId));
  }

  async remove(runId: string): Promise<void> {
    const rows = this.table.listEntities({
      queryOptions: { filter: `PartitionKey eq '${runId.replace(/'/g, "''")}'`, select: ["RowKey"] },
    });
    for await (const row of rows) await this.table.deleteEntity(runId, row.rowKey!).catch(() => undefined);
  }

  private ready(): Promise<unknown> {
    this.creating ??= this.table.createTable().catch((err: unknown) => {
      this.creating = undefined;
      if ((err as { statusCode?: number }).statusCode !== 409) throw err;
    });
    return this.creating;
  }
}
