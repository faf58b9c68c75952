// A saved plan as people and clients see it: GET /api/plans, /api/plans/{planId} and `ie-janitor plans`. Pure.
import { effectiveStatus, type PlanRecord } from "./plans";
import type { RunRecord } from "./records";

/** The plan as shown: its effective status (an expired one says so), counts from its runs. */
export function planView(plan: PlanRecord, now: Date, run?: RunRecord, applied?: RunRecord) {
  const { policy, ...rest } = plan;
  return {
    ...rest,
    status: effectiveStatus(plan, now),
    policy,
    ...(run && {
      run: { runId: run.runId, status: run.status, finishedAt: run.finishedAt },
      counts: {
        actions: run.counts.planned,
        jobsSeen: run.counts.jobsSeen,
        subscriptions: run.counts.subscriptionsScanned,
      },
    }),
    ...(applied && {
      applyRun: { runId: applied.runId, status: applied.status, counts: applied.counts },
    }),
  };
}

export type PlanView = ReturnType<typeof planView>;
