import type { z } from 'zod'
import { Timestamp } from '../../shared/api/ids'
import { MAX_FEN } from '../../shared/money'

/**
 * Stored values as the dashboard's and the depot's answers carry them. The backend's own writes only ever store
 * values its answers accept, but a database also holds what an older or newer version, a restore or a hand
 * wrote: a read must still answer, with the value brought into range, never a 500 for the whole depot-day.
 * Each reader says how it brings a value into range.
 */

/** The instants an ISO 8601 answer can name: years 0000 to 9999. */
const EARLIEST_MS = Date.parse('0000-01-01T00:00:00.000Z')
const LATEST_MS = Date.parse('9999-12-31T23:59:59.999Z')

const asNumber = (value: unknown): number | null => {
  const number = typeof value === 'number' ? value : typeof value === 'bigint' ? Number(value) : Number.NaN
  return Number.isFinite(number) ? number : null
}

const clampWhole = (value: unknown, min: number, max: number): number | null => {
  const number = asNumber(value)
  return number === null ? null : Math.min(max, Math.max(min, Math.round(number)))
}

/** A count: a whole number from 0; anything else is 0. */
/** A stored courier target: a whole number of deliveries, 1–1000; anything else is as if none was set. */
export const storedTarget = (value: unknown): number | null => clampWhole(value, 1, 1000)
export const storedCount = (value: unknown): number => clampWhole(value, 0, Number.MAX_SAFE_INTEGER) ?? 0

/** One order's amount, fen: clamped to 0…MAX_FEN; anything else is 0. */
export const storedFen = (value: unknown): number => clampWhole(value, 0, MAX_FEN) ?? 0

/** A total, fen: clamped to 0…MAX_SAFE_INTEGER; anything else is 0. */
export const storedTotal = (value: unknown): number => clampWhole(value, 0, Number.MAX_SAFE_INTEGER) ?? 0

/** A signed whole number (a difference, an offset): clamped to the safe integers; anything else is null. */
export const storedSigned = (value: unknown): number | null =>
  clampWhole(value, -Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER)

/** `null` stays null; anything else is read by `read`. */
export const orNull =
  <T>(read: (value: unknown) => T) =>
  (value: unknown): T | null =>
    value === null || value === undefined ? null : read(value)

/** Epoch milliseconds as ISO 8601, clamped to years 0000–9999; null for null or what is not a number. */
export function storedInstant(ms: unknown): string | null {
  const number = clampWhole(ms, EARLIEST_MS, LATEST_MS)
  return number === null ? null : new Date(number).toISOString()
}

/**
 * A stored ISO 8601 time: kept as written when it is one an answer accepts, else re-read as an instant (and
 * clamped), else null.
 */
export function storedTimestamp(text: unknown): string | null {
  if (typeof text !== 'string') return null
  if (Timestamp.safeParse(text).success) return text
  return storedInstant(Date.parse(text))
}

/** A stored time for an answer that must carry one: the epoch stands for a time that cannot be read. */
export const storedTimestampOrEpoch = (text: unknown, ms?: unknown): string =>
  storedTimestamp(text) ?? storedInstant(ms) ?? new Date(0).toISOString()

/** A value of an enum this version knows, or null for one it does not (rows with it are left out). */
export function storedOption<T>(schema: z.ZodType<T>, value: unknown): T | null {
  const parsed = schema.safeParse(value)
  return parsed.success ? parsed.data : null
}
