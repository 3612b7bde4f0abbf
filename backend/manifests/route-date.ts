import { wallClockOf } from '../dashboard/clock'

/** The route day (YYYY-MM-DD) of an instant in a depot's time zone: a Suzhou route starts at Suzhou midnight. */
export function routeDateOf(nowMs: number, timeZone: string): string {
  return wallClockOf(nowMs, timeZone).date
}
