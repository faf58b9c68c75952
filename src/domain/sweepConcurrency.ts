/**
 * How many subscriptions one worker sweeps at once by default (`JANITOR_CONCURRENCY`, 1-64, overrides it).
 *
 * ARM throttles per subscription and per principal (docs/service.md#arm-throttling): a sweep sends one request at
 * a time within its subscription, paced by that subscription's own buckets, so sweeping more subscriptions at
 * once draws on no shared bucket. The principal's tenant-level buckets (250 reads, 25 per second) are spent only by
 * discovery, once per run. What concurrency does cost is the worker's own: a page of at most 100 jobs and the
 * subscription's candidates held per sweep, one connection each to ARM and to Storage, and requests to the
 * provider itself, whose own limits are not documented. 32 keeps those small (a few MB, 64 sockets) while a tenant
 * of N subscriptions at ARM latency L takes about N x L / 32 to list; the old fixed 8 made a 1,000-subscription
 * tenant wait four times as long for ARM with nothing gained.
 */
export const DEFAULT_SWEEP_CONCURRENCY = 32;
