// Preloaded into a benchmarked child process (`node --require dist/bench/peakRss.js ...`): at exit it writes the
// process's peak resident set size (kilobytes, from the kernel's own accounting) to the file BENCH_PEAK_FILE.
import { writeFileSync } from "node:fs";

const file = process.env.BENCH_PEAK_FILE;
if (file) process.on("exit", () => writeFileSync(file, String(process.resourceUsage().maxRSS)));
