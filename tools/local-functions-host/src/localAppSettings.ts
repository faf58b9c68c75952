/** The local services `npm start` runs and the app must be pointed at. */
export interface LocalServices {
  /** Azurite's explicit connection string (its ports are free ports, so `UseDevelopmentStorage=true` won't do). */
  storageConnectionString: string;
  /** The Import/Export emulator's ARM endpoint (`https://127.0.0.1:PORT`) and the CA to trust for it. */
  armEndpoint: string;
  armCaCertPath: string;
}

import { DEMO_POLICY_JSON } from "../../emulator/src/demoPolicy";
import { MAX_BODY_BYTES } from "../../../src/functions/http/handle";

/** The default schedule of the settings table in the README: 03:00 UTC daily. */
export const DEFAULT_LOCAL_SCHEDULE = "0 0 3 * * *";

/**
 * The app settings `npm start` gives the app: the one place that wires setting names to the local services.
 * Storage and ARM always point at the local services (a shell that holds real Azure settings must not leak into a
 * local run); mode and schedule keep a value from the shell, so `JANITOR_MODE=apply npm start` works. Other
 * JANITOR_* settings (JANITOR_MANUAL_APPLY, JANITOR_POLICY, ...) simply pass through from the shell.
 */
export function localAppSettings(
  services: LocalServices,
  shell: NodeJS.ProcessEnv = process.env,
): Record<string, string> {
  return {
    FUNCTIONS_WORKER_RUNTIME: "node",
    AzureWebJobsStorage: services.storageConnectionString,
    JANITOR_STORAGE: services.storageConnectionString,
    JANITOR_ARM_ENDPOINT: services.armEndpoint,
    JANITOR_ARM_CA_CERT: services.armCaCertPath,
    JANITOR_MODE: shell.JANITOR_MODE ?? "plan",
    JANITOR_SCHEDULE: shell.JANITOR_SCHEDULE ?? DEFAULT_LOCAL_SCHEDULE,
    // The host refuses a body over the app's own limit from its content-length, before reading it.
    FUNCTIONS_REQUEST_BODY_SIZE_LIMIT: String(MAX_BODY_BYTES),
    // The dashboard (GET /api/ui) is open on this loopback-only host; the app honours it only off App Service.
    JANITOR_UI_LOCAL: shell.JANITOR_UI_LOCAL ?? "open",
    // The demo policy (no grace period) unless the shell names one: with the default P1D grace period the first
    // sweep on a fresh store could only report `grace-period`.
    ...(!shell.JANITOR_POLICY && !shell.JANITOR_POLICY_PATH && { JANITOR_POLICY: DEMO_POLICY_JSON }),
  };
}
