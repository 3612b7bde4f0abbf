import type { FastifyInstance } from 'fastify'
import type { ApiErrorResponse } from '../../shared/api/common'
import { TuotouError } from '../../shared/errors'
import { ApiError } from './errors'

declare module 'fastify' {
  interface FastifyRequest {
    /** The body exactly as it arrived, for the webhook's signature. */
    rawBody?: string
  }
}

function errorReply(code: string, message: string, details: ApiErrorResponse['error']['details'] = {}) {
  return { error: { code, message, details } }
}

/**
 * Makes a Fastify app speak the backend's JSON: bodies are JSON only (kept raw as well, since the webhook signs
 * the exact bytes), and every error, ours or Fastify's, is `{ error: { code, message, details } }` with a 4xx
 * or 5xx status. Used by the backend and by the sandbox acquirer when it runs on a server of its own.
 */
export function configureJsonService(app: FastifyInstance): void {
  // JSON only, kept raw as well: the webhook signs the exact bytes, and nothing else parses bodies.
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body as string
    request.rawBody = text
    if (text.trim() === '') return done(null, undefined)
    try {
      done(null, JSON.parse(text))
    } catch {
      done(new ApiError(400, 'request.malformed_json', 'the body is not valid JSON'), undefined)
    }
  })

  app.setErrorHandler((error: Error & { statusCode?: number; code?: string }, request, reply) => {
    if (error instanceof ApiError) {
      if (error.status >= 500) request.log.error({ err: error }, 'request failed')
      return reply.code(error.status).send(errorReply(error.code, error.message, error.details))
    }
    if (error instanceof TuotouError) return reply.code(400).send(errorReply(error.code, error.message, error.details))
    const status = error.statusCode && error.statusCode >= 400 ? error.statusCode : 500
    if (status >= 500) request.log.error({ err: error }, 'request failed')
    const code =
      error.code === 'FST_ERR_CTP_BODY_TOO_LARGE'
        ? 'request.too_large'
        : error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
          ? 'request.unsupported_media_type'
          : status === 400
            ? 'request.malformed'
            : status >= 500
              ? 'internal'
              : `http.${status}`
    return reply.code(status).send(errorReply(code, status >= 500 ? 'internal error' : error.message))
  })
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send(errorReply('not_found', `no route ${request.method} ${request.url.split('?')[0]}`)),
  )
}
