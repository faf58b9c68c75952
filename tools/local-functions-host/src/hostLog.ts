import type { RpcLogLevel } from "./coreTypes";

/** One log line of the host or the app (`context.log`), with the function it came from. */
export interface HostLogEntry {
  level: RpcLogLevel;
  message: string;
  functionName?: string;
  invocationId?: string;
}

/** Core Tools-like lines: `[time] [function] message`; warnings and errors on stderr. */
export function consoleLog(verbose: boolean): (entry: HostLogEntry) => void {
  return (entry) => {
    if (!verbose && (entry.level === "debug" || entry.level === "trace" || entry.level === "none")) return;
    const line = `[${new Date().toISOString()}]${entry.functionName ? ` [${entry.functionName}]` : ""} ${entry.message}\n`;
    if (entry.level === "warning" || entry.level === "error" || entry.level === "critical")
      process.stderr.write(line);
    else process.stdout.write(line);
  };
}
