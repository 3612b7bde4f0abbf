import { STATUS_CODES } from 'node:http'
import type { Duplex } from 'node:stream'
import type { FastifyInstance, FastifyReply, FastifyRequest, FastifyServerOptions } from 'fastify'
import type { ApiErrorResponse } from '../../shared/api/common'
import { TuotouError } from '../../shared/errors'
import { ApiError } from './errors'

declare module 'fastify' {
  interface FastifyRequest {
    /** The body exactly as it arrived, for the webhook's signature. */
    rawBody?: string
    /** The body was not JSON: refused by `defineRoute` once the caller is authenticated, not before. */
    bodyMalformed?: boolean
  }
}

function errorReply(code: string, message: string, details: ApiErrorResponse['error']['details'] = {}) {
  return { error: { code, message, details } }
}

/** Fixed messages for the framework's own refusals: theirs quote the URL, a header or the body. */
const FRAMEWORK_ERRORS: Record<string, { status: number; code: string; message: string }> = {
  FST_ERR_BAD_URL: { status: 400, code: 'request.bad_url', message: 'the URL is not validly encoded' },
  FST_ERR_MAX_PARAM_LENGTH: { status: 414, code: 'request.uri_too_long', message: 'a path parameter is too long' },
  FST_ERR_ASYNC_CONSTRAINT: { status: 400, code: 'request.malformed', message: 'the request is malformed' },
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: 'request.too_large', message: 'the body is too large' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    status: 415,
    code: 'request.unsupported_media_type',
    message: 'bodies must be application/json',
  },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: {
    status: 400,
    code: 'request.malformed',
    message: 'the body does not match its Content-Length',
  },
  FST_ERR_CTP_EMPTY_TYPE: {
    status: 415,
    code: 'request.unsupported_media_type',
    message: 'bodies must be application/json',
  },
  FST_ERR_CTP_INVALID_TYPE: {
    status: 415,
    code: 'request.unsupported_media_type',
    message: 'bodies must be application/json',
  },
}

type FrameworkError = Error & { statusCode?: number; code?: string }

/** The answer to an error that is not one of ours: a fixed code and message by status, nothing from the request. */
function frameworkAnswer(error: FrameworkError): { status: number; code: string; message: string } {
  const known = error.code ? FRAMEWORK_ERRORS[error.code] : undefined
  if (known) return known
  const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 500
  if (status >= 500) return { status, code: 'internal', message: 'internal error' }
  return { status, code: status === 400 ? 'request.malformed' : `http.${status}`, message: 'the request was refused' }
}

/**
 * Fastify options every JSON service here is built with: what the router refuses before any route or hook
 * (a URL that is not validly %-encoded, an over-long path parameter) is answered in the one error shape too.
 */
export const jsonServiceOptions: Pick<FastifyServerOptions, 'frameworkErrors' | 'clientErrorHandler'> = {
  frameworkErrors(error: FrameworkError, _request: FastifyRequest, reply: FastifyReply) {
    const answer = frameworkAnswer(error)
    void reply.code(answer.status).send(errorReply(answer.code, answer.message))
  },
  // What Node's HTTP parser refuses before Fastify sees a request (headers over 16 KB, a malformed request
  // line): answered on the socket in the one shape too, then the connection is closed.
  clientErrorHandler(error: Error & { code?: string }, socket: Duplex) {
    if (error.code === 'ECONNRESET' || socket.destroyed) return
    const [status, code, message] =
      error.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'request.headers_too_large', 'the request headers are too large']
        : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? [408, 'request.timeout', 'the request took too long to arrive']
          : [400, 'request.malformed', 'the request is malformed']
    const body = JSON.stringify(errorReply(code, message))
    if (socket.writable) {
      socket.write(
        `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
          `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      )
    }
    socket.destroy()
  },
}

/**
 * Makes a Fastify app speak the backend's JSON: bodies are JSON only (kept raw as well, since the webhook signs
 * the exact bytes), and every error, ours or Fastify's, is `{ error: { code, message, details } }` with a 4xx
 * or 5xx status and a message of our own: nothing of the request (URL, headers, body) is echoed, and a 5xx says
 * only "internal error" (the log has the rest). Build the app with `jsonServiceOptions`.
 */
export function configureJsonService(app: FastifyInstance): void {
  // JSON only, kept raw as well: the webhook signs the exact bytes, and nothing else parses bodies. A body that
  // is not JSON is only marked here, so the route can authenticate the caller before refusing it.
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body as string
    request.rawBody = text
    if (text.trim() === '') return done(null, undefined)
    try {
      done(null, JSON.parse(text))
    } catch {
      request.bodyMalformed = true
      done(null, undefined)
    }
  })

  app.setErrorHandler((error: FrameworkError, request, reply) => {
    if (error instanceof ApiError) {
      if (error.status >= 500) request.log.error({ err: error }, 'request failed')
      return reply.code(error.status).send(errorReply(error.code, error.message, error.details))
    }
    if (error instanceof TuotouError) return reply.code(400).send(errorReply(error.code, error.message, error.details))
    const answer = frameworkAnswer(error)
    if (answer.status >= 500) request.log.error({ err: error }, 'request failed')
    return reply.code(answer.status).send(errorReply(answer.code, answer.message))
  })
  app.setNotFoundHandler((_request, reply) =>
    reply.code(404).send(errorReply('not_found', 'no such route, or not with this method')),
  )
}
