/**
 * The policy `npm start` and `--emulator` use with the demo seed: the built-in default rules, but no grace
 * period, so that the very first plan on a fresh store shows what would be done (with the default P1D grace
 * period, a first run can only report `grace-period`); and two rules for the demo's Data Box customer-disk jobs
 * (the default `completed-retention` covers their Completed stage too).
 */
export const DEMO_POLICY_JSON = JSON.stringify({
  version: 1,
  rules: [
    { name: "stale-drafts", states: ["Creating"], olderThan: "P7D", action: "delete" },
    { name: "completed-retention", states: ["Completed"], olderThan: "P30D", action: "delete" },
    {
      name: "box-finished",
      sources: ["databox"],
      states: ["CompletedWithErrors", "CompletedWithWarnings", "Cancelled", "Aborted"],
      olderThan: "P14D",
      action: "delete",
    },
    {
      name: "box-drafts",
      sources: ["databox"],
      states: ["DeviceOrdered", "AwaitingShipmentDetails"],
      olderThan: "P7D",
      action: "cancel",
    },
  ],
  guards: { gracePeriod: "PT0S" },
});
