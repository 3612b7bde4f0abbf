import { randomBytes, timingSafeEqual } from 'node:crypto'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import fastifyStatic from '@fastify/static'
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import { SCANNING_PAGE_CSP } from '../../shared/csp'
import type { IpcResult } from '../../shared/ipc/bridge'
import type { DeviceCore } from '../core'
import { createIpcDispatcher } from '../core/ipc'

export interface BrowserHostOptions {
  core: DeviceCore
  /** The renderer build (`out/renderer`), holding `terminal/index.html` and its assets. */
  rendererDir: string
  port?: number
  /** Per-launch secret; generated when not given. */
  token?: string
  /** Seconds between keep-alive comments on the event stream. */
  keepAliveSeconds?: number
  logger?: boolean
}

export interface BrowserHost {
  app: FastifyInstance
  /** The page's address, carrying the token in its fragment (never sent to a server). */
  launchUrl: string
  origin: string
  token: string
  close(): Promise<void>
}

/** How many recent events the host keeps for a page that reconnects. */
const REPLAY_EVENTS = 256

const STATUS_BY_CODE: Record<string, number> = {
  'ipc.bad_request': 400,
  'ipc.unauthorized': 401,
  'ipc.forbidden_host': 403,
  'ipc.unknown_channel': 404,
  'ipc.unsupported_media_type': 415,
  'ipc.bad_response': 500,
  internal: 500,
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given)
  const b = Buffer.from(expected)
  return a.length === b.length && timingSafeEqual(a, b)
}

function refuse(reply: FastifyReply, code: string, message: string): FastifyReply {
  const body: IpcResult<never> = { ok: false, error: { code, message, details: {} } }
  return reply.code(STATUS_BY_CODE[code] ?? 400).send(body)
}

/**
 * Serves the terminal's renderer and the IPC contract over HTTP on 127.0.0.1: `POST /ipc/:channel` and one
 * server-sent event stream at `/events`. Every IPC request needs the per-launch token, which only the page
 * opened from `launchUrl` knows; a page on another origin can neither read it nor send the custom header.
 */
export async function startBrowserHost(options: BrowserHostOptions): Promise<BrowserHost> {
  const token = options.token ?? randomBytes(24).toString('base64url')
  const dispatch = createIpcDispatcher(options.core.handlers)
  const app = Fastify({ logger: options.logger ?? false, bodyLimit: 256 * 1024, forceCloseConnections: true })
  let origin = ''

  // DNS rebinding: a page that reaches us through another name is not ours.
  const hostAllowed = (request: FastifyRequest): boolean => {
    const host = request.headers.host ?? ''
    const port = new URL(origin).port
    return host === `127.0.0.1:${port}` || host === `localhost:${port}`
  }
  const tokenOf = (request: FastifyRequest): string => {
    const header = request.headers['x-tuotou-token']
    if (typeof header === 'string') return header
    const query = (request.query as Record<string, unknown> | undefined)?.token
    return typeof query === 'string' ? query : ''
  }

  app.addHook('onRequest', async (request, reply) => {
    void reply.header('x-content-type-options', 'nosniff')
    void reply.header('referrer-policy', 'no-referrer')
    void reply.header('cross-origin-resource-policy', 'same-origin')
    void reply.header('content-security-policy', SCANNING_PAGE_CSP.header)
    if (!hostAllowed(request)) return refuse(reply, 'ipc.forbidden_host', `host ${request.headers.host} is not served`)
    if (request.url.startsWith('/ipc/') || request.url.startsWith('/events')) {
      if (!sameSecret(tokenOf(request), token)) {
        return refuse(reply, 'ipc.unauthorized', 'missing or wrong terminal token; open the URL the host printed')
      }
    }
  })

  // Anything that is not JSON is refused before parsing, so a cross-origin form post cannot even be parsed.
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, body === '' ? {} : JSON.parse(body as string))
    } catch {
      const error = new Error('request body is not valid JSON') as Error & { statusCode: number; code: string }
      error.statusCode = 400
      error.code = 'ipc.bad_request'
      done(error, undefined)
    }
  })
  app.setErrorHandler((error: Error & { statusCode?: number; code?: string }, _request, reply) => {
    if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      return refuse(reply, 'ipc.unsupported_media_type', 'IPC requests must be application/json')
    }
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return refuse(reply, 'ipc.bad_request', 'request body too large')
    if (error.statusCode === 400) return refuse(reply, 'ipc.bad_request', error.message)
    return refuse(reply, 'internal', error.message)
  })

  app.post<{ Params: { channel: string } }>('/ipc/:channel', async (request, reply) => {
    const result = await dispatch(request.params.channel, request.body ?? {})
    return reply.code(result.ok ? 200 : (STATUS_BY_CODE[result.error.code] ?? 422)).send(result)
  })

  // Every event gets an id and the latest are kept, so a page whose stream dropped for a moment (the browser
  // reconnects on its own, sending Last-Event-ID) is sent what it missed: a "paid" is never lost to a blip.
  const recent: { id: number; frame: string }[] = []
  const streams = new Set<(frame: string) => void>()
  let lastId = 0
  const disposeRecorder = options.core.events.onAny((event, payload) => {
    lastId += 1
    recent.push({ id: lastId, frame: `id: ${lastId}\nevent: ${event}\ndata: ${JSON.stringify(payload)}\n\n` })
    if (recent.length > REPLAY_EVENTS) recent.shift()
    for (const send of streams) send(recent.at(-1)!.frame)
  })
  app.addHook('onClose', (_instance, done) => {
    disposeRecorder()
    done()
  })

  app.get('/events', (request, reply) => {
    reply.hijack()
    const res = reply.raw
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-content-type-options': 'nosniff',
    })
    res.write('retry: 1000\n\n')
    const header = request.headers['last-event-id']
    const since = typeof header === 'string' && /^\d{1,15}$/.test(header) ? Number(header) : null
    if (since !== null) for (const { id, frame } of recent) if (id > since) res.write(frame)
    const send = (frame: string): void => {
      res.write(frame)
    }
    streams.add(send)
    const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), (options.keepAliveSeconds ?? 15) * 1000)
    request.raw.on('close', () => {
      clearInterval(keepAlive)
      streams.delete(send)
    })
  })

  if (!existsSync(join(options.rendererDir, 'terminal', 'index.html'))) {
    throw new Error(`no renderer build at ${options.rendererDir}; run \`npm run build:renderer\``)
  }
  await app.register(fastifyStatic, { root: options.rendererDir, index: ['index.html'], wildcard: true })
  app.get('/', (_request, reply) => reply.redirect('/terminal/'))

  await app.listen({ host: '127.0.0.1', port: options.port ?? 0 })
  const address = app.server.address()
  if (address === null || typeof address === 'string') throw new Error('browser host did not bind a TCP port')
  origin = `http://127.0.0.1:${address.port}`
  return {
    app,
    origin,
    token,
    launchUrl: `${origin}/terminal/#token=${token}`,
    close: () => app.close(),
  }
}
