/** Where a CLI command writes: stdout for the one machine-readable document or table, stderr for human text. */
export interface CliIO {
  stdout(text: string): void;
  stderr(text: string): void;
  /** True when stdout/stdin are a terminal (progress bars, confirmation prompts). */
  isTTY: boolean;
}

export const processIO: CliIO = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  isTTY: Boolean(process.stdout.isTTY && process.stdin.isTTY),
};

/** Exit codes: 0 done, 1 the run failed or nothing was applied, 2 bad usage or input, 3 partial. */
export const EXIT = { done: 0, failed: 1, usage: 2, partial: 3 } as const;
