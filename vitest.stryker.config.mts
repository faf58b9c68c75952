// The tests StrykerJS runs against each mutant (`npm run mutate`): the domain and engine unit tests and the
// engine scenarios (real emulator and Azurite). Not the e2e suites, the chaos campaign or the adapters: they
// are slow and add little for mutants in src/domain and src/engine. MUTATE_TESTS=unit keeps only the unit tests
// (minutes instead of hours; a lower bound on the score).
import { defineConfig } from "vitest/config";

const unit = ["test/unit/domain/**/*.test.ts", "test/unit/engine/**/*.test.ts"];

export default defineConfig({
  test: {
    include: process.env.MUTATE_TESTS === "unit" ? unit : [...unit, "test/integration/engine/**/*.test.ts"],
    setupFiles: ["./test/support/fastCheckSetup.ts"],
    pool: "forks",
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
