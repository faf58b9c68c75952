// The ARM adapters: JobsGateway (Import/Export jobs of both experiences: the classic API and Data Box) and
// SubscriptionDiscovery, over the real Azure SDKs.
import type { HttpClient } from "@azure/core-rest-pipeline";
import type { TokenCredential } from "@azure/identity";

import { JOB_SOURCES, type JobSource } from "../../domain/job";
import type { JobIndex, JobsGateway, SubscriptionDiscovery } from "../../engine/ports";
import { ValidationError } from "../../errors";
import { armClientOptions, createArmCredential } from "./armConnection";
import type { ArmSettings } from "./armSettings";
import { ArmJobsGateway } from "./ArmJobsGateway";
import { ArmSubscriptionDiscovery } from "./ArmSubscriptionDiscovery";
import { DEFAULT_ARM_TIMEOUT_MS } from "./callArm";
import { DataBoxJobsGateway } from "./DataBoxJobsGateway";
import { JobSourcesGateway } from "./JobSourcesGateway";
import { ResourceGraphDiscovery } from "./ResourceGraphDiscovery";

export interface ArmAdapterOptions {
  /** Per-request timeout; a request without a response by then is a `transient` failure. Default 30 s. */
  timeoutMs?: number;
  /** Replaces the credential chosen from the settings. */
  credential?: TokenCredential;
  /** For unit tests only: the HTTP client under the SDK pipelines. */
  httpClient?: HttpClient;
  /** The job sources swept (`JANITOR_SOURCES`, settings.core.sources); both when absent. */
  sources?: readonly JobSource[];
}

export interface ArmAdapters {
  jobs: JobsGateway;
  subscriptions: SubscriptionDiscovery;
  /** Azure Resource Graph: which subscriptions hold jobs (JANITOR_DISCOVERY=resource-graph). */
  jobIndex: JobIndex;
}

export function createArmAdapters(settings: ArmSettings, options: ArmAdapterOptions = {}): ArmAdapters {
  const timeoutMs = options.timeoutMs ?? DEFAULT_ARM_TIMEOUT_MS;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new ValidationError([{ field: "timeoutMs", message: "must be a positive number of milliseconds" }]);
  }
  const shared = {
    credential: options.credential ?? createArmCredential(settings),
    clientOptions: armClientOptions(settings),
    timeoutMs,
    ...(options.httpClient && { httpClient: options.httpClient }),
  };
  return {
    jobs: new JobSourcesGateway(options.sources ?? JOB_SOURCES, {
      importexport: new ArmJobsGateway(shared),
      databox: new DataBoxJobsGateway(shared),
    }),
    subscriptions: new ArmSubscriptionDiscovery(shared),
    jobIndex: new ResourceGraphDiscovery({ ...shared, sources: options.sources ?? JOB_SOURCES }),
  };
}

export {
  ArmJobsGateway,
  type ArmJobsGatewayOptions,
  IMPORT_EXPORT_API_VERSION,
  MAX_PAGE_SIZE,
} from "./ArmJobsGateway";
export { ArmSubscriptionDiscovery, type ArmSubscriptionDiscoveryOptions } from "./ArmSubscriptionDiscovery";
export { ArmRequestError } from "./ArmRequestError";
export {
  DataBoxJobsGateway,
  type DataBoxJobsGatewayOptions,
  DATABOX_API_VERSION,
  MAX_CANCEL_REASON_LENGTH,
} from "./DataBoxJobsGateway";
export { JobSourcesGateway } from "./JobSourcesGateway";
export {
  ResourceGraphDiscovery,
  type ResourceGraphDiscoveryOptions,
  JOB_COUNT_QUERY,
  MAX_SUBSCRIPTIONS_PER_QUERY,
} from "./ResourceGraphDiscovery";
export {
  armClientOptions,
  createArmCredential,
  DevelopmentTokenCredential,
  DEVELOPMENT_TOKEN,
  type ArmClientOptions,
} from "./armConnection";
export { parseArmSettings, isLoopbackHost, DEFAULT_ARM_ENDPOINT, type ArmSettings } from "./armSettings";
export { DEFAULT_ARM_TIMEOUT_MS } from "./callArm";
