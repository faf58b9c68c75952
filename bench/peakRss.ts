// Preloaded into a benchmarked child process (`node --require dist/bench/peakRss.js ...`): at exit it writes the
// process's peak resident set size (kilobytes, from the kernel's own accounting) to the file BENCH_PEAK_FILE, and
// its CPU time (user and system, milliseconds) to BENCH_CPU_FILE when that is set.
import { writeFileSync } from "node:fs";

const file = process.env.BENCH_PEAK_FILE;
const cpuFile = process.env.BENCH_CPU_FILE;
process.on("exit", () => {
  const usage = process.resourceUsage();
  if (file) writeFileSync(file, String(usage.maxRSS));
  if (cpuFile) writeFileSync(cpuFile, String(Math.round((usage.userCPUTime + usage.systemCPUTime) / 1000)));
});
