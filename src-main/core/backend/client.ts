import { Readable } from 'node:stream'
import type { z } from 'zod'
import { ErrorBody, TuotouError } from '../../../shared/errors'
import type { ClockSample } from '../clock/offset'

export interface BackendRequest<S extends z.ZodType> {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE'
  path: string
  response: S
  body?: unknown
  token?: string
  timeoutMs?: number
  /** A file's bytes streamed as `application/octet-stream` (an evidence upload), instead of a JSON `body`. */
  bytes?: Readable
  /** Called as the body arrives, for a download the courier watches (the manifest). */
  onProgress?: (receivedBytes: number, totalBytes: number | null) => void
}

export interface BackendStreamRequest {
  path: string
  token: string
  headers?: Record<string, string>
  signal: AbortSignal
  /** How long to wait for the response head. */
  connectTimeoutMs?: number
}

/**
 * What each exchange with the backend showed about coverage: `reachable` when it answered anything at all
 * (even an error), `unreachable` when the request never got an answer. The sync engine judges coverage by it.
 */
export type BackendOutcome = 'reachable' | 'unreachable'

/**
 * The core's only way to the logistics backend. A network failure or timeout becomes
 * `backend.unreachable`; an HTTP error becomes the backend's own error code with its status.
 */
export interface BackendClient {
  baseUrl(): string
  request<S extends z.ZodType>(request: BackendRequest<S>): Promise<z.output<S>>
  /** Opens a long-lived response (the device's event stream); an HTTP error is thrown like `request`'s. */
  openStream(request: BackendStreamRequest): Promise<Response>
}

async function readBody(res: Response, onProgress?: BackendRequest<z.ZodType>['onProgress']): Promise<string> {
  if (!onProgress || !res.body) return res.text()
  const lengthHeader = Number(res.headers.get('content-length'))
  const total = Number.isFinite(lengthHeader) && lengthHeader > 0 ? lengthHeader : null
  const chunks: Uint8Array[] = []
  let received = 0
  onProgress(0, total)
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    chunks.push(chunk)
    received += chunk.byteLength
    onProgress(received, total)
  }
  return Buffer.concat(chunks).toString('utf8')
}

async function errorOf(res: Response, method: string, path: string): Promise<TuotouError> {
  let json: unknown
  try {
    const text = await res.text()
    json = text.length > 0 ? JSON.parse(text) : null
  } catch {
    json = null
  }
  const parsed = ErrorBody.safeParse((json as { error?: unknown } | null)?.error ?? json)
  const code = parsed.success ? parsed.data.code : `http.${res.status}`
  const message = parsed.success ? parsed.data.message : `${method} ${path} answered ${res.status}`
  return new TuotouError(code, message, { ...(parsed.success ? parsed.data.details : {}), status: res.status })
}

function unreachable(url: string, error: unknown): TuotouError {
  const reason = error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : ''
  return new TuotouError('backend.unreachable', `cannot reach ${url}: ${reason}`, { url })
}

export interface BackendClientHooks {
  /** Every exchange's coverage verdict. */
  observe?: (outcome: BackendOutcome) => void
  /** Every error answer the backend gave, before the caller sees it (a shift that moved, say). */
  refused?: (error: TuotouError) => void
  /** Every answer's clock (its `Date` header) against the device's, for the clock offset. */
  clock?: (sample: ClockSample) => void
  /** The device's clock, epoch ms. */
  now?: () => number
}

export function createBackendClient(
  baseUrl: () => string,
  fetchImpl: typeof fetch = fetch,
  hooks: BackendClientHooks = {},
): BackendClient {
  const observe = hooks.observe ?? (() => undefined)
  const refused = hooks.refused ?? (() => undefined)
  const now = hooks.now ?? Date.now
  /** The answer's `Date` is whole seconds: its middle, ±500 ms, against the round trip by the device's clock. */
  const timed = (res: Response, sentMs: number): void => {
    const date = res.headers.get('date')
    if (!date || !hooks.clock) return
    hooks.clock({ serverMs: Date.parse(date) + 500, resolutionMs: 500, sentMs, receivedMs: now() })
  }
  const errorFrom = async (res: Response, method: string, path: string): Promise<TuotouError> => {
    const error = await errorOf(res, method, path)
    refused(error)
    return error
  }
  return {
    baseUrl,
    async request({ method, path, response, body, bytes, token, timeoutMs = 10_000, onProgress }) {
      const url = new URL(path, baseUrl()).toString()
      const headers: Record<string, string> = { accept: 'application/json' }
      if (body !== undefined) headers['content-type'] = 'application/json'
      if (bytes) headers['content-type'] = 'application/octet-stream'
      if (token) headers.authorization = `Bearer ${token}`
      let res: Response
      let text: string
      try {
        const sentMs = now()
        res = await fetchImpl(url, {
          method,
          headers,
          ...(bytes
            ? // Streamed from the file: the core never holds an upload's bytes in its heap.
              { body: Readable.toWeb(bytes) as ReadableStream, duplex: 'half' }
            : { body: body === undefined ? undefined : JSON.stringify(body) }),
          signal: AbortSignal.timeout(timeoutMs),
        })
        timed(res, sentMs)
        if (!res.ok) {
          observe('reachable')
          throw await errorFrom(res, method, path)
        }
        text = await readBody(res, onProgress)
      } catch (error) {
        if (error instanceof TuotouError) throw error
        observe('unreachable')
        throw unreachable(url, error)
      }
      observe('reachable')
      let json: unknown
      try {
        json = text.length > 0 ? JSON.parse(text) : null
      } catch {
        throw new TuotouError('backend.bad_response', `${method} ${path} answered ${res.status} with non-JSON`, {
          status: res.status,
        })
      }
      const parsed = response.safeParse(json)
      if (!parsed.success) {
        throw new TuotouError('backend.bad_response', `${method} ${path} answered an unexpected shape`, {
          status: res.status,
        })
      }
      return parsed.data
    },
    async openStream({ path, token, headers = {}, signal, connectTimeoutMs = 10_000 }) {
      const url = new URL(path, baseUrl()).toString()
      // The timeout covers only the wait for the response head; the body may then stay open for hours.
      const connect = new AbortController()
      const timer = setTimeout(() => connect.abort(new Error('no answer in time')), connectTimeoutMs)
      const forward = (): void => connect.abort(signal.reason)
      signal.addEventListener('abort', forward, { once: true })
      let res: Response
      const sentMs = now()
      try {
        res = await fetchImpl(url, {
          method: 'GET',
          headers: { accept: 'text/event-stream', authorization: `Bearer ${token}`, ...headers },
          signal: connect.signal,
        })
      } catch (error) {
        signal.removeEventListener('abort', forward)
        observe('unreachable')
        throw unreachable(url, error)
      } finally {
        clearTimeout(timer)
      }
      observe('reachable')
      timed(res, sentMs)
      if (!res.ok) throw await errorFrom(res, 'GET', path)
      return res
    },
  }
}
