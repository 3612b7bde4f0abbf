import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify'
import type { ApiErrorResponse } from '../shared/api/common'
import { API_PREFIX } from '../shared/api/common'
import type { HealthResponse } from '../shared/api/health'
import { type BackendDb, ping } from './db/connect'

export interface BackendOptions {
  database: BackendDb
  version: string
  logger?: FastifyServerOptions['logger']
}

function errorReply(code: string, message: string): ApiErrorResponse {
  return { error: { code, message, details: {} } }
}

/**
 * The logistics backend's HTTP service. Every answer is JSON; every error is `{ error: { code, message } }`
 * with a 4xx or 5xx status, so a device can tell a refusal from an outage.
 */
export async function buildBackend(options: BackendOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: 1024 * 1024,
    forceCloseConnections: true,
  })

  app.setErrorHandler((error: Error & { statusCode?: number; code?: string }, request, reply) => {
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

  app.get(`${API_PREFIX}/health`, async (): Promise<HealthResponse> => {
    await ping(options.database.db)
    return { status: 'ok', version: options.version, database: options.database.kind }
  })

  await app.ready()
  return app
}
