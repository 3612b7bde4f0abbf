import { z } from 'zod'

/**
 * A customer's payment code (付款码): the barcode and QR a wallet app shows for a merchant to scan. It is digits
 * only, single-use and short-lived, and each wallet's codes start with its own prefix (WeChat Pay 10–15 with 18
 * digits, Alipay 25–30 with 16–24). The sandbox e-CNY wallet's start with 88 and have 18 digits. Nothing else the
 * courier scans is all digits: waybills and parcel labels start with JD, receipts with TTR1.
 */
export const SANDBOX_CODE_PREFIX = '88'
export const SANDBOX_CODE_LENGTH = 18

const SHAPES: readonly { prefix: RegExp; min: number; max: number }[] = [
  { prefix: /^1[0-5]/, min: 18, max: 18 },
  { prefix: /^(2[5-9]|30)/, min: 16, max: 24 },
  { prefix: /^88/, min: SANDBOX_CODE_LENGTH, max: SANDBOX_CODE_LENGTH },
]

/** Whether a scanned code has the shape of a wallet's payment code (not whether any acquirer will take it). */
export function looksLikePaymentCode(code: string): boolean {
  const text = code.trim()
  if (!/^\d+$/.test(text)) return false
  return SHAPES.some((shape) => shape.prefix.test(text) && text.length >= shape.min && text.length <= shape.max)
}

/** A payment code as the backend takes it: the digits of one of the shapes above. */
export const PaymentCode = z
  .string()
  .trim()
  .refine(looksLikePaymentCode, "not a wallet's payment code: digits only, with a wallet's prefix and length")

/** What may be logged or shown of a code: its first two and last four digits. A code is money until it is used. */
export function maskPaymentCode(code: string): string {
  const text = code.trim()
  if (text.length <= 6) return '*'.repeat(text.length)
  return `${text.slice(0, 2)}${'*'.repeat(text.length - 6)}${text.slice(-4)}`
}
