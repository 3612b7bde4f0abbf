import { randomBytes, randomInt, scrypt, timingSafeEqual } from 'node:crypto'
import { DELIVERY_CODE_SCRYPT, type DeliveryCodeCheck } from './api/proof'

/**
 * The delivery code (签收码): six digits the recipient gets by SMS, checked on the device against a salted
 * scrypt hash from the manifest. Node-only (the backend issues, the device core checks); the renderer never
 * imports it.
 */
export const DELIVERY_CODE_PATTERN = /^\d{6}$/

const MAXMEM = 128 * DELIVERY_CODE_SCRYPT.N * DELIVERY_CODE_SCRYPT.r * 2

function derive(code: string, salt: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(code, salt, 32, { ...DELIVERY_CODE_SCRYPT, maxmem: MAXMEM }, (error, key) =>
      error ? reject(error) : resolve(key),
    )
  })
}

/** A fresh random six-digit code (leading zeros kept). */
export function newDeliveryCode(): string {
  return String(randomInt(0, 1_000_000)).padStart(6, '0')
}

/** The manifest's check for `code`, with a fresh 16-byte salt. */
export async function deliveryCodeCheck(code: string, maxAttempts: number): Promise<DeliveryCodeCheck> {
  const salt = randomBytes(16)
  const hash = await derive(code, salt)
  return {
    algorithm: 'scrypt',
    salt: salt.toString('base64url'),
    hash: hash.toString('base64url'),
    ...DELIVERY_CODE_SCRYPT,
    maxAttempts,
  }
}

/**
 * Whether `code` is the one `check` was made from. A malformed entry is simply wrong: every answer is a plain
 * yes or no, and the comparison takes the same time whatever matched.
 */
export async function deliveryCodeMatches(check: DeliveryCodeCheck, code: string): Promise<boolean> {
  const entry = DELIVERY_CODE_PATTERN.test(code) ? code : '------'
  const hash = await derive(entry, Buffer.from(check.salt, 'base64url'))
  const expected = Buffer.from(check.hash, 'base64url')
  return expected.length === hash.length && timingSafeEqual(hash, expected) && entry === code
}
