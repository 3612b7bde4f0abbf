import type { z } from 'zod'
import {
  AcquirerChargeRecord,
  AcquirerCreatedIntent,
  AcquirerIntentRecord,
  AcquirerKeys,
  AcquirerRefundRecord,
  type AcquirerChargeRequest,
  type AcquirerCreateIntentRequest,
  type AcquirerRefundRequest,
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
  /**
   * Charges a customer's payment code under the merchant's charge number. No answer in `timeoutMs` is 503
   * `acquirer.unavailable`: the outcome is unknown, not failed, and must be queried.
   */
  createCharge(request: AcquirerChargeRequest, timeoutMs?: number): Promise<AcquirerChargeRecord>
  /** The charge query API; 502 `acquirer.refused` with `acquirerStatus` 404 when it never arrived. */
  getCharge(chargeNo: string): Promise<AcquirerChargeRecord>
  /** Revokes (撤销) a charge that is not paid, even one never received; a paid one answers its record, paid. */
  revokeCharge(chargeNo: string, intentId: string): Promise<AcquirerChargeRecord>
  /** Asks for a refund under the merchant's refund number: accepted (`processing`) is not succeeded. */
  createRefund(request: AcquirerRefundRequest): Promise<AcquirerRefundRecord>
  getRefund(refundNo: string): Promise<AcquirerRefundRecord>
  /** The merchant's statement for a day, as the CSV text the acquirer wrote. */
  statement(date: string): Promise<string>
  /** The key statements' checksums are made with: the merchant's API key. */
  statementKey(): string | null
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
    timeoutMs = connection.timeoutMs ?? 5_000,
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
        signal: AbortSignal.timeout(timeoutMs),
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
    createCharge: (request, timeoutMs) => call('POST', '/v1/charges', AcquirerChargeRecord, request, timeoutMs),
    getCharge: (chargeNo) => call('GET', `/v1/charges/${encodeURIComponent(chargeNo)}`, AcquirerChargeRecord),
    revokeCharge: (chargeNo, intentId) =>
      // Refused because it was paid first: the record says so, and the payment stands.
      call('POST', `/v1/charges/${encodeURIComponent(chargeNo)}/revoke`, AcquirerChargeRecord, { intentId }).catch(
        async (error: unknown) => {
          if (error instanceof ApiError && error.details.acquirerCode === 'charge.already_paid') {
            return call('GET', `/v1/charges/${encodeURIComponent(chargeNo)}`, AcquirerChargeRecord)
          }
          throw error
        },
      ),
    createRefund: (request) => call('POST', '/v1/refunds', AcquirerRefundRecord, request),
    getRefund: (refundNo) => call('GET', `/v1/refunds/${encodeURIComponent(refundNo)}`, AcquirerRefundRecord),
    async statement(date) {
      let response: Response
      try {
        response = await fetch(`${connection.baseUrl()}/v1/statements/${encodeURIComponent(date)}`, {
          headers: { authorization: `Bearer ${connection.apiKey}`, accept: 'text/csv' },
          signal: AbortSignal.timeout(30_000),
        })
      } catch (error) {
        throw new ApiError(503, 'acquirer.unavailable', `the acquirer cannot be reached: ${String(error)}`)
      }
      if (!response.ok) {
        throw new ApiError(502, 'acquirer.refused', `the acquirer refused the statement for ${date}`, {
          acquirerStatus: response.status,
        })
      }
      return response.text()
    },
    statementKey: () => connection.apiKey,
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
    createCharge: refuse,
    getCharge: refuse,
    revokeCharge: refuse,
    createRefund: refuse,
    getRefund: refuse,
    statement: refuse,
    statementKey: () => null,
    keys: refuse,
    cachedKeys: () => null,
  }
}
