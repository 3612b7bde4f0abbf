import type { z } from 'zod'
import { ErrorBody, TuotouError } from '../../../shared/errors'

export interface BackendRequest<S extends z.ZodType> {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE'
  path: string
  response: S
  body?: unknown
  token?: string
  timeoutMs?: number
}

/**
 * The core's only way to the logistics backend. A network failure or timeout becomes
 * `backend.unreachable`; an HTTP error becomes the backend's own error code with its status.
 */
export interface BackendClient {
  baseUrl(): string
  request<S extends z.ZodType>(request: BackendRequest<S>): Promise<z.output<S>>
}

export function createBackendClient(baseUrl: () => string, fetchImpl: typeof fetch = fetch): BackendClient {
  return {
    baseUrl,
    async request({ method, path, response, body, token, timeoutMs = 10_000 }) {
      const url = new URL(path, baseUrl()).toString()
      const headers: Record<string, string> = { accept: 'application/json' }
      if (body !== undefined) headers['content-type'] = 'application/json'
      if (token) headers.authorization = `Bearer ${token}`
      let res: Response
      try {
        res = await fetchImpl(url, {
          method,
          headers,
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(timeoutMs),
        })
      } catch (error) {
        const reason =
          error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : ''
        throw new TuotouError('backend.unreachable', `cannot reach ${url}: ${reason}`, { url })
      }
      const text = await res.text()
      let json: unknown
      try {
        json = text.length > 0 ? JSON.parse(text) : null
      } catch {
        throw new TuotouError('backend.bad_response', `${method} ${path} answered ${res.status} with non-JSON`, {
          status: res.status,
        })
      }
      if (!res.ok) {
        const parsed = ErrorBody.safeParse((json as { error?: unknown } | null)?.error ?? json)
        const code = parsed.success ? parsed.data.code : `http.${res.status}`
        const message = parsed.success ? parsed.data.message : `${method} ${path} answered ${res.status}`
        throw new TuotouError(code, message, { ...(parsed.success ? parsed.data.details : {}), status: res.status })
      }
      const parsed = response.safeParse(json)
      if (!parsed.success) {
        throw new TuotouError('backend.bad_response', `${method} ${path} answered an unexpected shape`, {
          status: res.status,
        })
      }
      return parsed.data
    },
  }
}
