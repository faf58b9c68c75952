// A readable way to build one job snapshot for example-based decision tests.
import type { JobSnapshot } from "../../../src/domain/job";
import type { Observation } from "../../../src/domain/records";

export const SUB = "11111111-1111-1111-1111-111111111111";
export const NOW = new Date("2025-06-01T00:00:00Z");
const DAY = 86_400_000;

export function daysAgo(days: number, from: Date = NOW): string {
  return new Date(from.getTime() - days * DAY).toISOString();
}

export function aJob(overrides: Partial<JobSnapshot> = {}): JobSnapshot {
  const base = { subscriptionId: SUB, resourceGroup: "rg-prod", name: "draft-1", ...overrides };
  return {
    source: "importexport",
    id: `/subscriptions/${base.subscriptionId}/resourceGroups/${base.resourceGroup}/providers/Microsoft.ImportExport/jobs/${base.name}`,
    tags: {},
    jobType: "Import",
    state: "Creating",
    cancelRequested: false,
    hasDeliveryTrackingNumber: false,
    ...base,
  };
}

export function anObservation(job: JobSnapshot, overrides: Partial<Observation> = {}): Observation {
  return {
    jobId: job.id.toLowerCase(),
    subscriptionId: job.subscriptionId,
    state: job.state,
    firstSeenInStateAt: daysAgo(1),
    ...overrides,
  };
}
