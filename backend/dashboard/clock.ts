/**
 * Wall-clock arithmetic in a depot's time zone (IANA name, e.g. Asia/Shanghai), with the platform's Intl data:
 * a route day starts at the depot's midnight, hours are the depot's hours.
 */

const formatters = new Map<string, Intl.DateTimeFormat>()

const create = (timeZone: string): Intl.DateTimeFormat =>
  new Intl.DateTimeFormat('en-CA', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  })

/** A zone the platform does not know (a depot stored with a typo) is read as UTC rather than failing every read. */
function formatter(timeZone: string): Intl.DateTimeFormat {
  let format = formatters.get(timeZone)
  if (!format) {
    try {
      format = create(timeZone)
    } catch {
      format = create('UTC')
    }
    formatters.set(timeZone, format)
  }
  return format
}

export interface WallClock {
  /** `YYYY-MM-DD` */
  date: string
  hour: number
  minute: number
  second: number
}

/** The depot's calendar day and time of an instant (clamped to what a Date holds). */
export function wallClockOf(ms: number, timeZone: string): WallClock {
  const held = Number.isFinite(ms) ? Math.max(-8.64e15, Math.min(8.64e15, ms)) : 0
  const parts = formatter(timeZone).formatToParts(new Date(held))
  const part = (type: Intl.DateTimeFormatPartTypes): string => parts.find((p) => p.type === type)!.value
  return {
    date: `${part('year')}-${part('month')}-${part('day')}`,
    hour: Number(part('hour')),
    minute: Number(part('minute')),
    second: Number(part('second')),
  }
}

/** The hour of the day (0–23) an instant falls in, in the depot's time zone. */
export function hourOf(ms: number, timeZone: string): number {
  return wallClockOf(ms, timeZone).hour
}

/** How far the zone is ahead of UTC at an instant, in milliseconds. */
function offsetAt(ms: number, timeZone: string): number {
  const clock = wallClockOf(ms, timeZone)
  const [year, month, day] = clock.date.split('-').map(Number) as [number, number, number]
  const asUtc = Date.UTC(year, month - 1, day, clock.hour, clock.minute, clock.second)
  return asUtc - (ms - (ms % 1000))
}

/**
 * The instant a wall-clock time of a day happens in the depot's zone, e.g. 20:00 on 2026-03-01 in Suzhou.
 * Around a daylight-saving change the offset of the result itself is used, which is right outside the gap.
 */
export function instantOf(date: string, hour: number, timeZone: string): number {
  const [year, month, day] = date.split('-').map(Number) as [number, number, number]
  const guess = Date.UTC(year, month - 1, day, hour)
  const first = guess - offsetAt(guess, timeZone)
  return guess - offsetAt(first, timeZone)
}

const DAY_MS = 86_400_000

/**
 * A fast reader of the hour of day for instants around one route day: one offset for the whole day when the
 * zone keeps it from the day before to the day after (no daylight-saving change), Intl for each instant if not.
 */
export function hourReader(date: string, timeZone: string): (ms: number) => number {
  const noon = instantOf(date, 12, timeZone)
  const offset = offsetAt(noon, timeZone)
  if (offsetAt(noon - DAY_MS, timeZone) !== offset || offsetAt(noon + DAY_MS, timeZone) !== offset) {
    return (ms) => hourOf(ms, timeZone)
  }
  return (ms) => Math.floor(((((ms + offset) % DAY_MS) + DAY_MS) % DAY_MS) / 3_600_000)
}
