import type { Policy } from "./policy";

/** Whether the policy's scope includes a subscription (ids are lower-cased by the policy schema). */
export function matchesSubscriptionScope(policy: Policy, subscriptionId: string): boolean {
  const id = subscriptionId.toLowerCase();
  const { subscriptions, excludeSubscriptions } = policy.scope;
  if (excludeSubscriptions.includes(id)) return false;
  return subscriptions.includes("*") || subscriptions.includes(id);
}
