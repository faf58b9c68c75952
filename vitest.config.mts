import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// The development tools are workspace packages whose `main` is the tsc build; tests load their sources instead.
const source = (tool: string) => fileURLToPath(new URL(`./tools/${tool}/src/index.ts`, import.meta.url));

export default defineConfig({
  resolve: {
    alias: {
      "@importexport-janitor/emulator": source("emulator"),
      "@importexport-janitor/local-functions-host": source("local-functions-host"),
    },
  },
  test: {
    include: ["test/**/*.test.ts", "tools/*/test/**/*.test.ts"],
    // buildSetup: suites that run the built app get a fresh build first (or fail with tsc's messages), never skip.
    setupFiles: ["./test/support/fastCheckSetup.ts", "./test/support/buildSetup.ts"],
    pool: "forks",
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ["default", "./test/support/summaryReporter.ts"],
  },
});
