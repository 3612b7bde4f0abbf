import type { z } from 'zod'
import {
  AcquirerCreatedIntent,
  AcquirerIntentRecord,
  AcquirerKeys,
  type AcquirerCreateIntentRequest,
} from '../../shared/api/acquirer'
import { ErrorBody } from '../../shared/errors'
import { ApiError } from '../http/errors'

/**
 * The backend's side of the acquirer's merchant API, over HTTP only, as with the real e-CNY operator. Failures
 * come back as ApiErrors: 503 `acquirer.unavailable` when it cannot be reached, 502 `acquirer.refused` (with
 * the acquirer's own code in `details.acquirerCode`) when it says no.
 */
export interface AcquirerClient {
  createIntent(request: AcquirerCreateIntentRequest): Promise<AcquirerCreatedIntent>
  /** The query API: what the acquirer holds for an intent. Settlement trusts this and nothing else. */
  getIntent(intentId: string): Promise<AcquirerIntentRecord>
  /** Cancels an intent; answers the record as it stands, paid included (then it was not cancelled). */
  cancelIntent(intentId: string): Promise<AcquirerIntentRecord>
  /** Its identity and receipt public key, fetched once and kept. */
  keys(): Promise<AcquirerKeys>
  /** The key if already fetched, for work that must not wait on the network (ingest). */
  cachedKeys(): AcquirerKeys | null
}

export interface AcquirerConnection {
  /** Base URL of the merchant API, e.g. `http://127.0.0.1:8080/sandbox/acquirer`. */
  baseUrl: () => string
  apiKey: string
  timeoutMs?: number
}

/** The acquirer's merchant API over HTTP, with its API key; the keys are fetched once and kept. */
export function httpAcquirerClient(connection: AcquirerConnection): AcquirerClient {
  let keys: AcquirerKeys | null = null

  async function call<S extends z.ZodType>(
    method: 'GET' | 'POST',
    path: string,
    schema: S,
    body?: unknown,
  ): Promise<z.output<S>> {
    const url = `${connection.baseUrl()}${path}`
    let response: Response
    try {
      response = await fetch(url, {
        method,
        headers: {
          authorization: `Bearer ${connection.apiKey}`,
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(connection.timeoutMs ?? 5_000),
      })
    } catch (error) {
      const reason = error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : ''
      throw new ApiError(503, 'acquirer.unavailable', `the acquirer cannot be reached: ${reason}`)
    }
    const text = await response.text()
    let json: unknown
    try {
      json = text ? JSON.parse(text) : null
    } catch {
      throw new ApiError(502, 'acquirer.bad_response', `the acquirer answered ${response.status} with non-JSON`)
    }
    if (!response.ok) {
      const error = ErrorBody.safeParse((json as { error?: unknown } | null)?.error)
      throw new ApiError(
        response.status >= 500 ? 503 : 502,
        response.status >= 500 ? 'acquirer.unavailable' : 'acquirer.refused',
        `the acquirer refused ${method} ${path}: ${error.success ? error.data.message : response.status}`,
        { acquirerCode: error.success ? error.data.code : null, acquirerStatus: response.status },
      )
    }
    const parsed = schema.safeParse(json)
    if (!parsed.success)
      throw new ApiError(502, 'acquirer.bad_response', `the acquirer's answer to ${path} is malformed`)
    return parsed.data
  }

  return {
    createIntent: (request) => call('POST', '/v1/intents', AcquirerCreatedIntent, request),
    getIntent: (intentId) => call('GET', `/v1/intents/${encodeURIComponent(intentId)}`, AcquirerIntentRecord),
    cancelIntent: (intentId) =>
      // Refused because it was paid first: what the caller needs is the record, which says so.
      call('POST', `/v1/intents/${encodeURIComponent(intentId)}/cancel`, AcquirerIntentRecord, {}).catch(
        async (error: unknown) => {
          if (error instanceof ApiError && error.details.acquirerCode === 'intent.already_paid') {
            return call('GET', `/v1/intents/${encodeURIComponent(intentId)}`, AcquirerIntentRecord)
          }
          throw error
        },
      ),
    async keys() {
      keys ??= await call('GET', '/v1/keys', AcquirerKeys)
      return keys
    },
    cachedKeys: () => keys,
  }
}

/** Used when no acquirer is configured: every payment call says so, and the rest of the backend still works. */
export function missingAcquirer(): AcquirerClient {
  const refuse = (): Promise<never> =>
    Promise.reject(
      new ApiError(
        503,
        'acquirer.not_configured',
        'no acquirer is configured: start with --sandbox, or set TUOTOU_ACQUIRER_URL, _KEY and _SECRET',
      ),
    )
  return {
    createIntent: refuse,
    getIntent: refuse,
    cancelIntent: refuse,
    keys: refuse,
    cachedKeys: () => null,
  }
}
