import type { CliIO } from "../../src/cli/io";

/** A CLI io that keeps what a command writes, for assertions. */
export function captureIO(isTTY = false): CliIO & { out: string; err: string } {
  const io = {
    out: "",
    err: "",
    isTTY,
    stdout: (text: string) => void (io.out += text),
    stderr: (text: string) => void (io.err += text),
  };
  return io;
}
