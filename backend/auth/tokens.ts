import { createHash, randomBytes } from 'node:crypto'

/** What a bearer token opens; the prefix says it, so a token used at the wrong door is refused by its look. */
export type TokenKind = 'device' | 'shift' | 'supervisor'

const PREFIX: Record<TokenKind, string> = { device: 'tdv', shift: 'tsh', supervisor: 'tsp' }
const TOKEN = /^(tdv|tsh|tsp)_[A-Za-z0-9_-]{43}$/

/** A new random token (256 bits) of a kind. Only its hash is stored; the token itself is shown once. */
export function issueToken(kind: TokenKind): string {
  return `${PREFIX[kind]}_${randomBytes(32).toString('base64url')}`
}

/**
 * The stored form of a token. Tokens carry 256 random bits, so a fast hash is enough: nobody can guess one
 * from its hash, and lookups stay one indexed read.
 */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex')
}

/** The kind a well-formed token claims, or null when it is not one of ours. */
export function tokenKind(token: string): TokenKind | null {
  const match = TOKEN.exec(token)
  if (!match) return null
  return match[1] === 'tdv' ? 'device' : match[1] === 'tsh' ? 'shift' : 'supervisor'
}
