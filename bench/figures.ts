/** One measured figure, with the bar it is held to (DESIGN section 7), if any. */
export interface Figure {
  name: string
  value: number
  unit: string
  /** e.g. `p95 < 100 ms`; the runner prints whether the value clears it. */
  target?: { op: '<' | '>='; value: number }
  note?: string
}

/** What a benchmark file receives: it measures, then reports figures. Timings are printed, never asserted. */
export interface BenchContext {
  figure(figure: Figure): void
  log(message: string): void
}

/** A benchmark file's default export. */
export type Bench = (context: BenchContext) => Promise<void>

/** The p-th percentile (0–100) of samples, by nearest rank. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN
  const sorted = [...samples].sort((a, b) => a - b)
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[rank]!
}
