// Vitest setup file (vitest.config.mts `setupFiles`): every property test runs with the seed and run count of
// fastCheckSettings, unless a test sets its own.
import fc from "fast-check";
import { fastCheckSettings } from "./fastCheckSettings";

const settings = fastCheckSettings(process.env);
fc.configureGlobal({ ...fc.readConfigureGlobal(), seed: settings.seed, numRuns: settings.numRuns });
if (settings.drawn) {
  process.stderr.write(`fast-check seed ${settings.seed} (replay with FC_SEED=${settings.seed})\n`);
}
