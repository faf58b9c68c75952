/**
 * The policy `npm start` and `--emulator` use with the demo seed: the built-in default rules, but no grace
 * period, so that the very first plan on a fresh store shows what would be done (with the default P1D grace
 * period, a first run can only report `grace-period`).
 */
export const DEMO_POLICY_JSON = JSON.stringify({
  version: 1,
  rules: [
    { name: "stale-drafts", states: ["Creating"], olderThan: "P7D", action: "delete" },
    { name: "completed-retention", states: ["Completed"], olderThan: "P30D", action: "delete" },
  ],
  guards: { gracePeriod: "PT0S" },
});
