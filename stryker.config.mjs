// Mutation testing of the domain and the engine: `npm run mutate` (slow, so not part of `npm test` or CI).
// See docs/testing.md for how to run a part of it and the last scores.
/** @type {import("@stryker-mutator/api/core").PartialStrykerOptions} */
export default {
  testRunner: "vitest",
  vitest: { configFile: "vitest.stryker.config.mts" },
  checkers: ["typescript"],
  // src only: a mutant that breaks the build is counted as such without running the tests.
  tsconfigFile: "tsconfig.build.json",
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  mutate: ["src/domain/**/*.ts", "src/engine/**/*.ts"],
  coverageAnalysis: "perTest",
  // Two cores shared with the tests' own Azurite and emulator processes.
  concurrency: 1,
  timeoutMS: 30_000,
  reporters: ["clear-text", "progress", "html", "json"],
  htmlReporter: { fileName: "reports/mutation/index.html" },
  jsonReporter: { fileName: "reports/mutation/mutation.json" },
  thresholds: { high: 85, low: 70, break: null },
  tempDirName: ".stryker-tmp",
  cleanTempDir: "always",
  ignorePatterns: [
    "dist",
    "dist-bundle",
    "reports",
    "coverage",
    ".azurite",
    ".janitor",
    ".test-results",
    "bench/results",
  ],
};
