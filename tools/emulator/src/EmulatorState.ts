import { ValidationError, type FieldProblem } from "../../../src/errors";
import { DataBoxJobStore } from "./DataBoxJobStore";
import { buildDemoSeed, dataBoxJobsOf } from "./demoSeed";
import { EmulatorClock } from "./EmulatorClock";
import { FaultInjector } from "./FaultInjector";
import { JobStore } from "./JobStore";
import { RequestLog } from "./RequestLog";
import type { ResourceIndexSource } from "./ResourceGraphIndex";
import { ResourceGraphQuota } from "./ResourceGraphQuota";
import { isDataBoxSeedJob, parseSeed, type EmulatorSeed } from "./seed";
import { applySettings, DEFAULT_SETTINGS, type EmulatorSettings } from "./settings";
import { ThrottleBuckets } from "./ThrottleBuckets";

/** A seed as given to the emulator: the built-in demo, or seed JSON. */
export type SeedInput = EmulatorSeed | "demo";

/** Everything the emulator holds; a reset swaps it all at once. */
export class EmulatorState {
  readonly clock = new EmulatorClock();
  readonly faults = new FaultInjector();
  readonly requests = new RequestLog();
  readonly store: JobStore;
  /** The Data Box jobs (`Microsoft.DataBox/jobs`); subscriptions stay in `store`. */
  readonly dataBox: DataBoxJobStore;
  readonly throttle: ThrottleBuckets;
  /** Resource Graph's per-caller query quota. */
  readonly graphQuota: ResourceGraphQuota;
  private current: EmulatorSettings;

  /** `baseSettings` are the start-up settings (defaults plus EmulatorOptions.settings); resets start from them. */
  constructor(private readonly baseSettings: EmulatorSettings = DEFAULT_SETTINGS) {
    this.current = baseSettings;
    this.store = new JobStore(this.clock, () => this.current);
    this.dataBox = new DataBoxJobStore(this.clock, () => this.current);
    this.throttle = new ThrottleBuckets(baseSettings.throttling);
    this.graphQuota = new ResourceGraphQuota(baseSettings.resourceGraphQuota);
  }

  /** The job stores Resource Graph indexes: each one's jobs count in the job-count query. */
  get indexSources(): readonly ResourceIndexSource[] {
    return [this.store, this.dataBox];
  }

  /**
   * Applies a settings patch on top of the settings in force (`POST /_emulator/settings`), validated first;
   * keeps jobs, faults and the log. Buckets and quota windows start afresh only when their own setting changes.
   */
  updateSettings(patch: unknown, prefix = ""): EmulatorSettings {
    const next = applySettings(this.current, patch, prefix === "" ? "settings" : `${prefix}.settings`);
    const given = (patch ?? {}) as Record<string, unknown>;
    this.current = next;
    if ("throttling" in given) this.throttle.configure(next.throttling);
    if ("resourceGraphQuota" in given) this.graphQuota.configure(next.resourceGraphQuota);
    return next;
  }

  get settings(): EmulatorSettings {
    return this.current;
  }

  /**
   * Validates first (throwing ValidationError naming the field) and only then forgets every job, fault, logged
   * request and throttle bucket, puts the clock back to real time, and loads `seed` under `settingsPatch`.
   */
  reset(seed: SeedInput | undefined, settingsPatch?: unknown, prefix = ""): void {
    const at = (field: string) => (prefix === "" ? field : `${prefix}.${field}`);
    const settings = applySettings(this.baseSettings, settingsPatch, at("settings"));
    const parsed = seed === undefined || seed === "demo" ? undefined : parseSeed(seed, at("seed"));
    this.clock.reset();
    this.current = settings;
    this.store.clear();
    this.dataBox.clear();
    this.faults.clear();
    this.requests.clear();
    this.throttle.configure(settings.throttling);
    this.graphQuota.configure(settings.resourceGraphQuota);
    if (seed === "demo") this.load(buildDemoSeed(this.clock.now()));
    else if (parsed !== undefined) this.load(parsed);
  }

  /** Adds a (validated) seed's subscriptions and jobs of both sources; counts are of both together. */
  load(seed: EmulatorSeed): { subscriptions: number; added: number; replaced: number; dataBox: number } {
    const dataBoxJobs = dataBoxJobsOf(seed);
    // Checked before anything changes: a subscription without the Data Box provider holds no Data Box job.
    const seeded = new Map((seed.subscriptions ?? []).map((s) => [s.subscriptionId.toLowerCase(), s]));
    const problems: FieldProblem[] = [];
    (seed.jobs ?? []).forEach((j, i) => {
      if (!isDataBoxSeedJob(j)) return;
      const registered =
        seeded.get(j.subscriptionId.toLowerCase())?.dataBoxRegistered ??
        this.store.subscription(j.subscriptionId)?.dataBoxRegistered ??
        true;
      if (!registered)
        problems.push({
          field: `jobs[${i}].subscriptionId`,
          message: "the subscription has dataBoxRegistered: false, so it cannot hold a Data Box job",
        });
    });
    if (problems.length > 0) throw new ValidationError(problems);
    const classic = this.store.load(seed);
    for (const j of dataBoxJobs) {
      if (this.store.subscription(j.subscriptionId) === undefined)
        this.store.putSubscription({ subscriptionId: j.subscriptionId });
    }
    const dataBox = this.dataBox.load(dataBoxJobs);
    return {
      subscriptions: classic.subscriptions,
      added: classic.added + dataBox.added,
      replaced: classic.replaced + dataBox.replaced,
      dataBox: dataBox.added + dataBox.replaced,
    };
  }
}
