// Reading saved plans for review, the same way for the HTTP API and the CLI: the list by status, and one plan
// with its runs (the plan run, and the run that applied it).
import type { PlanRecord } from "../domain/plans";
import { planView, type PlanView } from "../domain/planView";
import type { PlanListQuery, PlanStore, RunStore } from "./ports";

/** Newest first, as shown (without the policy); `status` is the status as shown, so an expired plan reads as one. */
export async function listPlans(
  plans: Pick<PlanStore, "list">,
  query: PlanListQuery,
  now: Date,
): Promise<{ items: Omit<PlanView, "policy">[]; nextCursor?: string }> {
  const page = await plans.list(query);
  // The store filters on the stored status; one past its expiry reads as expired and is not what was asked for.
  const items = page.items
    .map((p) => planView(p, now))
    .filter((p) => query.status === undefined || p.status === query.status)
    .map(({ policy: _policy, ...p }) => p);
  return { items, ...(page.nextCursor && { nextCursor: page.nextCursor }) };
}

/** One plan as shown, with the ETag it was read with; undefined for an unknown plan. */
export async function readPlan(
  stores: { plans: Pick<PlanStore, "get">; runs: Pick<RunStore, "get"> },
  planId: string,
  now: Date,
): Promise<{ view: PlanView; plan: PlanRecord; etag: string } | undefined> {
  const stored = await stores.plans.get(planId);
  if (!stored) return undefined;
  const run = await stores.runs.get(planId);
  const applied = stored.plan.appliedRunId ? await stores.runs.get(stored.plan.appliedRunId) : undefined;
  return { view: planView(stored.plan, now, run, applied), plan: stored.plan, etag: stored.etag };
}
