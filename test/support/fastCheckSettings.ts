// How the property tests draw their cases. Fixed by default, so a run in CI is the same run every time (a random
// seed per run once let a mutant through two runs in six); `FC_SEED=random` draws a new seed, printed so that a
// failure can be replayed with `FC_SEED=<seed>`. fast-check's own failure report also names the seed and path.

export const DEFAULT_SEED = 20_261_121;
export const DEFAULT_RUNS = 100;

export interface FastCheckSettings {
  seed: number;
  numRuns: number;
  /** True when the seed was drawn for this run (`FC_SEED=random`). */
  drawn: boolean;
}

/** The settings from `FC_SEED` (an integer or `random`) and `FC_RUNS` (a positive integer). */
export function fastCheckSettings(
  env: Record<string, string | undefined>,
  draw: () => number = () => Math.floor(Math.random() * 0x7fffffff),
): FastCheckSettings {
  const seedText = env.FC_SEED?.trim() ?? "";
  const runsText = env.FC_RUNS?.trim() ?? "";
  const drawn = seedText.toLowerCase() === "random";
  let seed = DEFAULT_SEED;
  if (drawn) seed = draw();
  else if (seedText !== "") {
    if (!/^-?\d{1,10}$/.test(seedText) || !Number.isSafeInteger(Number(seedText)))
      throw new RangeError(`FC_SEED must be an integer or "random", not ${JSON.stringify(seedText)}`);
    seed = Number(seedText) | 0;
  }
  let numRuns = DEFAULT_RUNS;
  if (runsText !== "") {
    if (!/^\d{1,7}$/.test(runsText) || Number(runsText) < 1)
      throw new RangeError(`FC_RUNS must be a positive integer, not ${JSON.stringify(runsText)}`);
    numRuns = Number(runsText);
  }
  return { seed, numRuns, drawn };
}
