import { z } from 'zod'

/**
 * Money is integer fen (1 yuan = 100 fen) everywhere: stored, sent and summed as integers, never floats.
 * Two kinds of amount: one order's (what is due, taken or paid for it), bounded by `MAX_FEN`, and a total of
 * many (a shift's cash, a day's digital money), bounded only by what sums exactly.
 */

/** The most any one order's amount can be, whatever a deployment configures: ¥100,000,000.00. */
export const MAX_FEN = 100_000_000_00

/**
 * The business ceiling on one COD order unless configured (the backend's `maxOrderFen`): ¥50,000, in line with
 * the wallets' single-payment limits. Orders above it are never made, and inputs naming more are refused.
 */
export const DEFAULT_MAX_ORDER_FEN = 5_000_000

/** One order's amount, or one payment's: due, collected, paid, refunded. */
export const Fen = z.number().int().min(0).max(MAX_FEN)
export type Fen = number

/**
 * A total of order amounts (counters, cash to hand in, a declaration, what a supervisor received): any sum of
 * valid orders, up to the largest integer a double holds exactly.
 */
export const TotalFen = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER)
export type TotalFen = number

/** A difference of totals: short (negative) or over (positive). */
export const SignedTotalFen = z.number().int().min(-Number.MAX_SAFE_INTEGER).max(Number.MAX_SAFE_INTEGER)

/** `6660` → `¥66.60`; negative amounts keep their sign in front: `-¥5.00`. */
export function formatFen(fen: number): string {
  if (!Number.isSafeInteger(fen)) throw new RangeError(`not an integer amount of fen: ${fen}`)
  const sign = fen < 0 ? '-' : ''
  const abs = Math.abs(fen)
  const yuan = Math.floor(abs / 100)
  const cents = String(abs % 100).padStart(2, '0')
  return `${sign}¥${yuan.toLocaleString('en-US')}.${cents}`
}

/** `6660` → `66.60`, the plain decimal form EMVCo tag 54 carries. */
export function fenToDecimal(fen: number): string {
  if (!Number.isSafeInteger(fen) || fen < 0) throw new RangeError(`not a non-negative integer amount of fen: ${fen}`)
  return `${Math.floor(fen / 100)}.${String(fen % 100).padStart(2, '0')}`
}

const DECIMAL = /^(0|[1-9]\d{0,9})(?:\.(\d{1,2}))?$/

/** `"66.6"` or `"66.60"` → `6660`; anything else (signs, exponents, three decimals, spaces) → null. */
export function parseYuan(text: string): number | null {
  const match = DECIMAL.exec(text)
  if (!match) return null
  const fen = Number(match[1]) * 100 + Number((match[2] ?? '').padEnd(2, '0'))
  return fen <= MAX_FEN ? fen : null
}
