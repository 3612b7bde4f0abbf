/**
 * How property and fuzz tests pick their seed and budget, the same for every suite: `npm test` runs a fixed seed
 * with a small budget, so a failure replays exactly; `TUOTOU_PROPERTY_SEED` (an integer, or `random`) and
 * `TUOTOU_PROPERTY_RUNS` change them, which is how `npm run bench -- properties` gives the same properties a long
 * run. fast-check prints the seed and the shrunk counterexample when a property fails.
 */
export const DEFAULT_PROPERTY_SEED = 20_261_201

export function propertySeed(): number {
  const value = process.env.TUOTOU_PROPERTY_SEED
  if (value === undefined || value === '') return DEFAULT_PROPERTY_SEED
  if (value === 'random') return Math.floor(Math.random() * 2 ** 31)
  const seed = Number(value)
  if (!Number.isSafeInteger(seed)) throw new Error(`TUOTOU_PROPERTY_SEED must be an integer or "random", not ${value}`)
  return seed
}

/** The runs for a property: its own budget in `npm test`, or `TUOTOU_PROPERTY_RUNS` when set. */
export function propertyRuns(budget: number): number {
  const value = Number(process.env.TUOTOU_PROPERTY_RUNS)
  return Number.isInteger(value) && value > 0 ? value : budget
}

/** Whether this is a long run asked for by `TUOTOU_PROPERTY_RUNS` (the bench), rather than `npm test`'s budget. */
export function longPropertyRun(): boolean {
  const value = Number(process.env.TUOTOU_PROPERTY_RUNS)
  return Number.isInteger(value) && value > 0
}

/**
 * fast-check's parameters for one property: a fixed seed, `runs` runs, and in `npm test` a time budget after which
 * the runs done so far stand (a busy machine runs fewer, never a failure). A long run has no time budget.
 */
export function propertyParameters(
  runs: number,
  budgetMs: number,
): { seed: number; numRuns: number; verbose: 1; interruptAfterTimeLimit?: number } {
  const seed = propertySeed()
  if (longPropertyRun()) return { seed, numRuns: propertyRuns(runs), verbose: 1 }
  return { seed, numRuns: runs, verbose: 1, interruptAfterTimeLimit: budgetMs }
}

/** The test runner's timeout for a property: its budget with room to finish the run under way, or an hour. */
export function propertyTimeout(budgetMs: number): number {
  return longPropertyRun() ? 3_600_000 : budgetMs + 60_000
}
