import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // buildSetup: suites that run the built app get a fresh build first (or fail with tsc's messages), never skip.
    setupFiles: ["./test/support/fastCheckSetup.ts", "./test/support/buildSetup.ts"],
    pool: "forks",
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ["default", "./test/support/summaryReporter.ts"],
  },
});
