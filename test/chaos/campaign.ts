// The campaign: seeds run a few at a time, each on its own emulator (its request log is the evidence), one
// Azurite for all (each case in its own tables). Figures and every violation with the seed that replays it.
import { EmulatorControlClient } from "../../tools/emulator/src/controlClient";
import { startEmulator, type RunningEmulator } from "../../tools/emulator/src/server";
import { startAzurite } from "../../tools/local-functions-host/src/azuriteProcess";
import { runCase, type CaseResult } from "./driver";
import { generateCase, type FaultKind } from "./generate";
import { INVARIANTS, type Invariant } from "./invariants";

export interface CampaignReport {
  seeds: number[];
  results: CaseResult[];
  faultKinds: Record<string, number>;
  totals: Record<string, number>;
  violations: Record<Invariant, number>;
  failingSeeds: number[];
  durationMs: number;
}

/** Everything written to the console or the process streams while cases run (searched for canaries). */
function captureOutput(): { lines: string[]; stop: () => void } {
  const lines: string[] = [];
  const saved = {
    log: console.log,
    info: console.info,
    warn: console.warn,
    error: console.error,
    debug: console.debug,
    out: process.stdout.write.bind(process.stdout),
    err: process.stderr.write.bind(process.stderr),
  };
  for (const m of ["log", "info", "warn", "error", "debug"] as const) {
    const original = saved[m];
    console[m] = (...args: unknown[]) => {
      lines.push(args.map((a) => (typeof a === "string" ? a : (JSON.stringify(a) ?? String(a)))).join(" "));
      original(...args);
    };
  }
  process.stdout.write = ((chunk: unknown, ...rest: never[]) => {
    lines.push(String(chunk));
    return saved.out(chunk as string, ...rest);
  }) as typeof process.stdout.write;
  process.stderr.write = ((chunk: unknown, ...rest: never[]) => {
    lines.push(String(chunk));
    return saved.err(chunk as string, ...rest);
  }) as typeof process.stderr.write;
  return {
    lines,
    stop: () => {
      Object.assign(console, {
        log: saved.log,
        info: saved.info,
        warn: saved.warn,
        error: saved.error,
        debug: saved.debug,
      });
      process.stdout.write = saved.out as typeof process.stdout.write;
      process.stderr.write = saved.err as typeof process.stderr.write;
    },
  };
}

export async function runCampaign(
  seeds: number[],
  options: {
    parallel?: number;
    onResult?: (r: CaseResult) => void;
    /** Seeds that replay the case they were found with: never turned into a plan-apply or Data Box case. */
    keepAsFound?: readonly number[];
  } = {},
): Promise<CampaignReport> {
  const started = Date.now();
  const parallel = Math.max(1, Math.min(options.parallel ?? 3, seeds.length));
  const azurite = await startAzurite();
  const emulators: RunningEmulator[] = await Promise.all(
    Array.from({ length: parallel }, () => startEmulator({ settings: { throttling: false } })),
  );
  const faultKinds: Record<string, number> = {};
  const results: CaseResult[] = [];
  const capture = captureOutput();
  try {
    const queue = [...seeds];
    await Promise.all(
      emulators.map(async (emulator) => {
        const control = new EmulatorControlClient(emulator);
        for (let seed = queue.shift(); seed !== undefined; seed = queue.shift()) {
          // A seed kept as found replays the case it was found with: no plan-apply, no Data Box draws.
          const asFound = options.keepAsFound?.includes(seed) === true;
          const c = generateCase(seed, Date.now(), {
            planApply: !asFound,
            dataBox: !asFound,
            discovery: !asFound,
          });
          for (const k of c.kinds) faultKinds[k] = (faultKinds[k] ?? 0) + 1;
          const result = await runCase(c, emulator, control, azurite.connectionString, capture.lines);
          results.push(result);
          options.onResult?.(result);
        }
      }),
    );
  } finally {
    capture.stop();
    await Promise.allSettled([...emulators.map((e) => e.close()), azurite.stop()]);
  }
  // The canary check over everything logged during the whole campaign, whichever case printed it.
  const everything = capture.lines.join("\n");
  for (const r of results) {
    const mark = `CANARY-${r.seed}-`;
    if (everything.includes(mark))
      r.violations.push({ invariant: "canary", detail: `output holds ${mark}...` });
  }
  const totals: Record<string, number> = {};
  for (const r of results) for (const [k, v] of Object.entries(r.figures)) totals[k] = (totals[k] ?? 0) + v;
  const violations = Object.fromEntries(INVARIANTS.map((i) => [i, 0])) as Record<Invariant, number>;
  for (const r of results) for (const v of r.violations) violations[v.invariant]++;
  results.sort((a, b) => a.seed - b.seed);
  return {
    seeds,
    results,
    faultKinds,
    totals,
    violations,
    failingSeeds: results.filter((r) => r.violations.length > 0).map((r) => r.seed),
    durationMs: Date.now() - started,
  };
}

export function formatReport(report: CampaignReport): string {
  const lines = [
    `chaos campaign: ${report.results.length} seeds in ${(report.durationMs / 1000).toFixed(0)} s`,
    `fault kinds drawn (seeds): ${Object.entries(report.faultKinds)
      .sort()
      .map(([k, v]) => `${k as FaultKind}=${v}`)
      .join(" ")}`,
    `runs ${report.totals.runs ?? 0}, deliveries ${report.totals.deliveries ?? 0}, recoveries ${report.totals.recoveries ?? 0}, ` +
      `workers killed ${report.totals.kills ?? 0}, parts poisoned ${report.totals.poisoned ?? 0}, ` +
      `storage failures injected ${report.totals.storageFailures ?? 0}`,
    `ARM requests ${report.totals.armRequests ?? 0}, actions carried out ${report.totals.actions ?? 0} ` +
      `(${report.totals.planActions ?? 0} by applies of a saved plan, ${report.totals.boxActions ?? 0} on Data Box jobs; ` +
      `${report.totals.boxJobs ?? 0} Data Box jobs seeded)`,
    `violations per invariant: ${Object.entries(report.violations)
      .map(([k, v]) => `${k}=${v}`)
      .join(" ")}`,
  ];
  for (const r of report.results.filter((r) => r.violations.length > 0)) {
    lines.push(`FAILED seed ${r.seed} (replay: CHAOS_SEED=${r.seed} npm run chaos):`);
    for (const v of r.violations.slice(0, 6)) lines.push(`  [${v.invariant}] ${v.detail}`);
    if (r.violations.length > 6) lines.push(`  ... ${r.violations.length - 6} more`);
  }
  return lines.join("\n");
}
