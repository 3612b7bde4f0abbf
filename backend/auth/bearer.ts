import type { FastifyRequest } from 'fastify'
import { unauthorized } from '../http/errors'
import { hashToken, tokenKind, type TokenKind } from './tokens'

/**
 * The hash of the request's bearer token of the expected kind. A missing header, a malformed token, or a token
 * of another kind (a shift token at a device's door) is refused 401 before any lookup.
 */
export function bearerTokenHash(request: FastifyRequest, expected: TokenKind): string {
  const header = request.headers.authorization
  if (!header) throw unauthorized('auth.missing', 'this call needs an Authorization: Bearer token')
  const match = /^Bearer ([^\s]+)$/i.exec(header.trim())
  if (!match) throw unauthorized('auth.malformed', 'the Authorization header must be "Bearer <token>"')
  const token = match[1]!
  const kind = tokenKind(token)
  if (kind === null) throw unauthorized('auth.invalid', 'the token is not one this backend issued')
  if (kind !== expected)
    throw unauthorized('auth.wrong_kind', `this call needs a ${expected} token, not a ${kind} token`)
  return hashToken(token)
}
