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

export { percentile } from '../shared/testing/percentile'
