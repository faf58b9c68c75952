// The development tools (the Import/Export emulator, the local Functions host and its Azurite launcher) are
// workspace packages under tools/, not part of the product: an installed janitor does not carry them. The CLI's
// `emulator` command and `--emulator` flag find them here at run time, and say what to do when they are absent.
import { JanitorError } from "../errors";

type EmulatorTool = typeof import("@importexport-janitor/emulator");
export type { EmulatorSeed } from "@importexport-janitor/emulator";
type LocalHostTool = typeof import("@importexport-janitor/local-functions-host");

export const DEV_TOOLS_MISSING =
  "the development tools (the Import/Export emulator and the local Functions host) are not installed; " +
  "--emulator and the emulator command work from a clone of the repository after `npm ci`";

/** The emulator or the local host is not installed (a user error: exit 2). */
export class DevToolsMissingError extends JanitorError {
  override readonly fault = "user" as const;
  constructor(cause?: unknown) {
    super(DEV_TOOLS_MISSING, { cause });
  }
}

/** True when `error` says that `name` itself (not one of its own imports) cannot be found. */
export function isMissingPackage(error: unknown, name: string): boolean {
  const { code, message } = (error ?? {}) as { code?: string; message?: string };
  return (
    (code === "MODULE_NOT_FOUND" || code === "ERR_MODULE_NOT_FOUND") &&
    typeof message === "string" &&
    message.includes(`'${name}'`)
  );
}

async function load<T>(name: string, importer: () => Promise<T>): Promise<T> {
  try {
    return await importer();
  } catch (error) {
    if (isMissingPackage(error, name)) throw new DevToolsMissingError(error);
    throw error;
  }
}

export const loadEmulator = (): Promise<EmulatorTool> =>
  load("@importexport-janitor/emulator", () => import("@importexport-janitor/emulator"));

export const loadLocalHost = (): Promise<LocalHostTool> =>
  load(
    "@importexport-janitor/local-functions-host",
    () => import("@importexport-janitor/local-functions-host"),
  );
