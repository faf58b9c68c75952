import https from "node:https";
import type { DataBoxJobView, EmulatorJobView } from "./controlApi";
import type { ActiveFault, EmulatorFault } from "./FaultInjector";
import type { RequestLogPage } from "./RequestLog";
import type { EmulatorSeed } from "./seed";
import type { EmulatorSettings, EmulatorSettingsPatch } from "./settings";

export type { DataBoxJobView, EmulatorJobView } from "./controlApi";
export type { EmulatorFault } from "./FaultInjector";
export type { LoggedRequest, RequestLogPage } from "./RequestLog";

export interface EmulatorSummary {
  now: string;
  subscriptions: number;
  /** Jobs of both sources. */
  jobs: number;
  classicJobs: number;
  dataBoxJobs: number;
  settings: EmulatorSettings;
}

/** A control request the emulator refused (400 with the bad field in `message`, 404...). */
export class EmulatorControlError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "EmulatorControlError";
  }
}

export interface EmulatorControlOptions {
  /** `RunningEmulator.controlUrl`, e.g. `https://127.0.0.1:PORT/_emulator`. */
  controlUrl: string;
  /** The emulator's certificate (RunningEmulator.caCertPem). */
  caCertPem: string;
}

/**
 * A small typed client of the emulator's control API (README.md#control-api), over node:https with the emulator's
 * certificate as CA (Node 20's fetch cannot take a custom CA without undici).
 */
export class EmulatorControlClient {
  private readonly base: URL;

  constructor(private readonly options: EmulatorControlOptions) {
    this.base = new URL(options.controlUrl.replace(/\/+$/, "") + "/");
  }

  /** Forgets all jobs, faults, logged requests and throttling; clock back to real time; loads the seed. */
  reset(
    body: { seed?: EmulatorSeed | "demo"; settings?: EmulatorSettingsPatch } = {},
  ): Promise<EmulatorSummary> {
    return this.call("POST", "reset", body);
  }

  summary(): Promise<EmulatorSummary> {
    return this.call("GET", "", undefined);
  }

  /** Changes some settings in force, keeping jobs, clock, faults and the log (e.g. `resourceGraphLagMs`). */
  updateSettings(patch: EmulatorSettingsPatch): Promise<EmulatorSettings> {
    return this.call("POST", "settings", patch);
  }

  /** Adds (or replaces, by key) jobs of both sources and subscriptions; `dataBox` counts the Data Box ones. */
  addJobs(
    seed: EmulatorSeed,
  ): Promise<{ subscriptions: number; added: number; replaced: number; dataBox: number }> {
    return this.call("POST", "jobs", seed);
  }

  /** Current classic jobs (after the service's expiries), optionally of one subscription. */
  async jobs(subscriptionId?: string): Promise<EmulatorJobView[]> {
    return this.listJobs<EmulatorJobView>("importexport", subscriptionId);
  }

  /** Current Data Box jobs (a succeeded delete has removed its job), optionally of one subscription. */
  async dataBoxJobs(subscriptionId?: string): Promise<DataBoxJobView[]> {
    return this.listJobs<DataBoxJobView>("databox", subscriptionId);
  }

  /** Jobs of both sources (each says its `source`). */
  async allJobs(subscriptionId?: string): Promise<Array<EmulatorJobView | DataBoxJobView>> {
    return this.listJobs<EmulatorJobView | DataBoxJobView>(undefined, subscriptionId);
  }

  private async listJobs<T>(source: string | undefined, subscriptionId: string | undefined): Promise<T[]> {
    const query = new URLSearchParams();
    if (source !== undefined) query.set("source", source);
    if (subscriptionId !== undefined) query.set("subscriptionId", subscriptionId);
    const q = query.toString();
    const page = await this.call<{ items: T[] }>("GET", q === "" ? "jobs" : `jobs?${q}`, undefined);
    return page.items;
  }

  /** Forces a classic job into `state` now (as the service would move it). */
  setState(
    ref: { subscriptionId: string; resourceGroup: string; name: string },
    state: string,
  ): Promise<EmulatorJobView> {
    const path = [ref.subscriptionId, ref.resourceGroup, ref.name].map(encodeURIComponent).join("/");
    return this.call("POST", `jobs/${path}/state`, { state, source: "importexport" });
  }

  /** Moves a Data Box job to stage `status` now; flags the seed set are dropped (derived from the stage again). */
  setDataBoxStatus(
    ref: { subscriptionId: string; resourceGroup: string; name: string },
    status: string,
  ): Promise<DataBoxJobView> {
    const path = [ref.subscriptionId, ref.resourceGroup, ref.name].map(encodeURIComponent).join("/");
    return this.call("POST", `jobs/${path}/state`, { state: status, source: "databox" });
  }

  async now(): Promise<string> {
    return (await this.call<{ now: string }>("GET", "clock", undefined)).now;
  }

  async setClock(now: Date | string): Promise<string> {
    const iso = typeof now === "string" ? now : now.toISOString();
    return (await this.call<{ now: string }>("POST", "clock", { now: iso })).now;
  }

  /** Moves the emulator clock forward by an ISO 8601 duration (`P1D`, `PT1H`). */
  async advanceClock(duration: string): Promise<string> {
    return (await this.call<{ now: string }>("POST", "clock", { advance: duration })).now;
  }

  async addFaults(faults: EmulatorFault | EmulatorFault[]): Promise<ActiveFault[]> {
    return (await this.call<{ faults: ActiveFault[] }>("POST", "faults", faults)).faults;
  }

  async faults(): Promise<ActiveFault[]> {
    return (await this.call<{ faults: ActiveFault[] }>("GET", "faults", undefined)).faults;
  }

  async clearFaults(): Promise<void> {
    await this.call("DELETE", "faults", undefined);
  }

  /** The ARM request log; `forbidden: true` gives only requests that broke a documented state rule. */
  requests(options: { forbidden?: boolean; since?: number } = {}): Promise<RequestLogPage> {
    const query = new URLSearchParams();
    if (options.forbidden !== undefined) query.set("forbidden", String(options.forbidden));
    if (options.since !== undefined) query.set("since", String(options.since));
    const q = query.toString();
    return this.call("GET", q === "" ? "requests" : `requests?${q}`, undefined);
  }

  /** Any control call; answers the parsed JSON, throws EmulatorControlError on a non-2xx answer. */
  call<T>(method: string, path: string, body: unknown): Promise<T> {
    const url = new URL(path, this.base);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise<T>((resolve, reject) => {
      const req = https.request(
        url,
        {
          method,
          ca: this.options.caCertPem,
          headers: {
            accept: "application/json",
            ...(payload === undefined
              ? {}
              : { "content-type": "application/json", "content-length": Buffer.byteLength(payload) }),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("error", reject);
          res.on("end", () => {
            const text = Buffer.concat(chunks).toString("utf8");
            let parsed: unknown;
            try {
              parsed = text === "" ? undefined : JSON.parse(text);
            } catch {
              parsed = undefined;
            }
            const status = res.statusCode ?? 0;
            if (status >= 200 && status < 300) {
              resolve(parsed as T);
              return;
            }
            const error = (parsed as { error?: { code?: string; message?: string } } | undefined)?.error;
            reject(
              new EmulatorControlError(
                status,
                error?.code ?? `Http${status}`,
                `${method} ${url.pathname}: ${status} ${error?.message ?? text.slice(0, 200)}`,
              ),
            );
          });
        },
      );
      req.on("error", reject);
      req.end(payload);
    });
  }
}
