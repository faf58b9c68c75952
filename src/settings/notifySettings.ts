// `JANITOR_NOTIFY` and where links in notices point (README.md#settings, docs/operations.md#notifications).
import { parseNotifyTargets, type NotifyTarget } from "../domain/notifications/notifyTargets";
import type { Env } from "./settings";

export interface NotifySettings {
  targets: NotifyTarget[];
  /** https://<WEBSITE_HOSTNAME> on App Service, for links to runs; none locally. */
  appUrl?: string;
}

/** Throws ValidationError naming `JANITOR_NOTIFY[i] "name".field` for each bad target. */
export function parseNotifySettings(env: Env): NotifySettings {
  const targets = parseNotifyTargets(env.JANITOR_NOTIFY);
  const host = env.WEBSITE_HOSTNAME?.trim();
  return { targets, ...(host && /^[A-Za-z0-9.-]+(:\d+)?$/.test(host) && { appUrl: `https://${host}` }) };
}
