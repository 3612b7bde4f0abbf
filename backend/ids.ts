import { randomBytes } from 'node:crypto'

const ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789'

/** A new random ID with its kind prefix, `ord_…`, `shf_…`: 20 characters, about 116 bits. */
export function newId(prefix: string): string {
  const bytes = randomBytes(20)
  let body = ''
  for (const byte of bytes) body += ALPHABET[byte % ALPHABET.length]
  return `${prefix}_${body}`
}
