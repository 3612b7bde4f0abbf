import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto'

/** scrypt cost: about 50 ms a check on these machines, so guessing PINs or passwords offline is slow. */
const COST = { N: 16384, r: 8, p: 1 }
const KEY_LENGTH = 32

function derive(secret: string, salt: Buffer, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(secret, salt, KEY_LENGTH, { ...options, maxmem: 64 * 1024 * 1024 }, (error, key) =>
      error ? reject(error) : resolve(key),
    ),
  )
}

/** A PIN or password as stored: `scrypt$N$r$p$salt$hash` (base64url), never the secret itself. */
export async function hashSecret(secret: string): Promise<string> {
  const salt = randomBytes(16)
  const key = await derive(secret, salt, COST)
  return ['scrypt', COST.N, COST.r, COST.p, salt.toString('base64url'), key.toString('base64url')].join('$')
}

/** Whether `secret` matches a stored hash, compared in constant time. A malformed hash never matches. */
export async function verifySecret(secret: string, stored: string): Promise<boolean> {
  const parts = stored.split('$')
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number]
  const expected = Buffer.from(parts[5]!, 'base64url')
  const key = await derive(secret, Buffer.from(parts[4]!, 'base64url'), { N, r, p })
  return key.length === expected.length && timingSafeEqual(key, expected)
}

let decoy: Promise<string> | null = null

/** A hash of nothing in particular, checked against when the staff ID or login is unknown, so timing says nothing. */
export function decoyHash(): Promise<string> {
  decoy ??= hashSecret(randomBytes(8).toString('hex'))
  return decoy
}
