import type { AuditEntry, RunRecord } from "../../src/domain/records";
import { ZERO_COUNTS } from "../../src/domain/records";

export const SUB_A = "1b2c3d4e-0000-4000-8000-00000000000a";
export const SUB_B = "1b2c3d4e-0000-4000-8000-00000000000b";

export function jobIdOf(subscriptionId: string, resourceGroup: string, jobName: string): string {
  return `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.ImportExport/jobs/${jobName}`;
}

/** An audit entry with every field set; override what a test is about. */
export function fullEntry(overrides: Partial<AuditEntry> = {}): AuditEntry {
  const subscriptionId = overrides.subscriptionId ?? SUB_A;
  const resourceGroup = overrides.resourceGroup ?? "rg-imports";
  const jobName = overrides.jobName ?? "job-001";
  return {
    timestamp: "2026-11-21T10:00:00.000Z",
    runId: "20261121T100000Z-0a1b2c3d",
    seq: 1,
    trigger: "timer",
    mode: "apply",
    actor: "timer",
    subscriptionId,
    resourceGroup,
    jobName,
    jobId: jobIdOf(subscriptionId, resourceGroup, jobName),
    jobType: "Import",
    stateBefore: "Creating",
    cancelRequestedBefore: false,
    ageDays: 12.5,
    ageBasis: "systemData.createdAt",
    rule: "stale-drafts",
    action: "delete",
    phase: "outcome",
    outcome: "succeeded",
    reason: "rule-matched",
    httpStatus: 200,
    errorCode: "None",
    errorMessage: 'said "no", then yes',
    stateAfter: "Deleted",
    durationMs: 231,
    policyHash: "sha256:0f1e2d",
    ...overrides,
  };
}

/** A minimal entry (only required fields), at `ms`. */
export function minimalEntry(
  ms: number,
  runId: string,
  seq: number,
  extra: Partial<AuditEntry> = {},
): AuditEntry {
  return {
    timestamp: new Date(ms).toISOString(),
    runId,
    seq,
    trigger: "cli",
    mode: "plan",
    actor: "cli:tester",
    subscriptionId: SUB_A,
    action: "none",
    phase: "outcome",
    reason: "listing-failed",
    policyHash: "h1",
    ...extra,
  };
}

export function runRecord(runId: string, overrides: Partial<RunRecord> = {}): RunRecord {
  return {
    runId,
    trigger: "http",
    mode: "plan",
    requestedBy: "cli:ops",
    status: "queued",
    queuedAt: "2026-11-21T10:00:00.000Z",
    policyHash: "h1",
    counts: { ...ZERO_COUNTS },
    ...overrides,
  };
}
