// One JobsGateway over the enabled job sources (JANITOR_SOURCES): the classic Import/Export API and the Data Box
// jobs of Import/Export's newer experience (docs/service.md#data-box-jobs). A subscription's listing walks the
// sources in a fixed order (importexport, then databox) under one opaque cursor; every other call goes to the
// gateway of the job's own source (`ref.source`).
import { JOB_SOURCES, type JobRef, type JobSnapshot, type JobSource } from "../../domain/job";
import type { ArmResult, DeleteProgress, DeleteStarted, JobPage, JobsGateway } from "../../engine/ports";
import { ValidationError } from "../../errors";

/**
 * The listing cursor: `<source>:<link>` (that source's next link) or `<source>:` (that source's first page).
 * The engine passes it back as it got it; it is never stored.
 */
const CURSOR = /^(importexport|databox):(.*)$/s;

export class JobSourcesGateway implements JobsGateway {
  /** The enabled sources, in listing order. */
  readonly sources: readonly JobSource[];

  constructor(
    sources: readonly JobSource[],
    private readonly gateways: Readonly<Record<JobSource, JobsGateway>>,
  ) {
    const unknown = sources.filter((source) => !JOB_SOURCES.includes(source));
    if (sources.length === 0 || unknown.length > 0 || new Set(sources).size !== sources.length) {
      throw new ValidationError([
        {
          field: "sources",
          message: `must name each of ${JOB_SOURCES.join(", ")} at most once, and at least one`,
        },
      ]);
    }
    this.sources = JOB_SOURCES.filter((source) => sources.includes(source));
  }

  async listJobsPage(
    subscriptionId: string,
    nextLink: string | undefined,
    options: { pageSize?: number; signal?: AbortSignal } = {},
  ): Promise<ArmResult<JobPage>> {
    const { source, link } = this.readCursor(nextLink);
    const page = await this.gateways[source].listJobsPage(subscriptionId, link, options);
    if (!page.ok) return page;
    const after = this.sources[this.sources.indexOf(source) + 1];
    const cursor =
      page.value.nextLink !== undefined
        ? `${source}:${page.value.nextLink}`
        : after !== undefined
          ? `${after}:`
          : undefined;
    const { nextLink: _sourceLink, ...rest } = page.value;
    return { ...page, value: { ...rest, ...(cursor !== undefined && { nextLink: cursor }) } };
  }

  async getJob(ref: JobRef, signal?: AbortSignal): Promise<ArmResult<JobSnapshot>> {
    return this.gatewayOf(ref).getJob(ref, signal);
  }

  async cancelJob(
    ref: JobRef,
    reason: string,
    signal?: AbortSignal,
  ): Promise<ArmResult<JobSnapshot | undefined>> {
    return this.gatewayOf(ref).cancelJob(ref, reason, signal);
  }

  async deleteJob(ref: JobRef, signal?: AbortSignal): Promise<ArmResult<DeleteStarted | undefined>> {
    return this.gatewayOf(ref).deleteJob(ref, signal);
  }

  async pollDelete(
    ref: JobRef,
    operationUrl: string,
    signal?: AbortSignal,
  ): Promise<ArmResult<DeleteProgress>> {
    return this.gatewayOf(ref).pollDelete(ref, operationUrl, signal);
  }

  private readCursor(cursor: string | undefined): { source: JobSource; link?: string } {
    if (cursor === undefined) return { source: this.sources[0]! };
    const match = CURSOR.exec(cursor);
    const source = match?.[1] as JobSource | undefined;
    if (match === null || source === undefined || !this.sources.includes(source)) {
      throw new ValidationError([
        {
          field: "nextLink",
          message:
            `must be a cursor this gateway returned (<source>:<link>, source one of ${this.sources.join(", ")})` +
            `, not ${JSON.stringify(cursor.slice(0, 40))}`,
        },
      ]);
    }
    const link = match[2]!;
    return { source, ...(link !== "" && { link }) };
  }

  /** Throws inside the async methods above, so a refusal is a rejected promise like any other. */
  private gatewayOf(ref: JobRef): JobsGateway {
    if (!this.sources.includes(ref.source)) {
      throw new ValidationError([
        {
          field: "source",
          message: `must be an enabled job source (${this.sources.join(", ")}; JANITOR_SOURCES), not ${JSON.stringify(ref.source)}`,
        },
      ]);
    }
    return this.gateways[ref.source];
  }
}
