// Who runs the CLI: the actor `cli:<user>` of its runs, audit entries and plan reviews. The login name from the
// environment (USER, or USERNAME on Windows), else the operating system's account name. The machine vouches for
// it, not Easy Auth: four-eyes between CLI users keeps honest people apart, it is no barrier against someone who
// holds the storage credentials anyway (docs/operations.md#9-plans-and-approval).
import os from "node:os";
import type { Env } from "../settings/settings";

const NAME_MAX = 64;

export function cliActor(env: Env): string {
  return `cli:${userName(env)}`;
}

function userName(env: Env): string {
  const fromEnv = (env.USER ?? env.USERNAME ?? "").trim();
  // eslint-disable-next-line no-control-regex
  const clean = fromEnv.replace(/[\u0000-\u001f\u007f-\u009f\s]+/g, "").slice(0, NAME_MAX);
  if (clean) return clean;
  try {
    return os.userInfo().username || "unknown";
  } catch {
    return "unknown";
  }
}
