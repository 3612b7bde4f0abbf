import { randomUUID } from 'node:crypto'
import { z } from 'zod'
import {
  AcquirerChargeRecord,
  AcquirerIntentRecord,
  AcquirerRefundRecord,
  type AcquirerChargeRequest,
  type AcquirerRefundRequest,
} from '../../shared/api/acquirer'
import { API_PREFIX, ApiErrorResponse } from '../../shared/api/common'
import { EnrollResponse, HeartbeatResponse, type HeartbeatRequest } from '../../shared/api/device'
import { DeviceEvent, PushEventsResponse, type DeviceEventBody } from '../../shared/api/events'
import { IntentResponse } from '../../shared/api/intents'
import {
  SandboxNotificationsResponse,
  SandboxPayResponse,
  SandboxPreviewResponse,
  SandboxWallet,
  type SandboxBehaviourInput,
  type SandboxWalletSettings,
} from '../../shared/api/sandbox'
import { LoginResponse, Manifest } from '../../shared/api/shift'
import { StreamMessages, type StreamMessageName } from '../../shared/api/stream'
import { ErrorBody } from '../../shared/errors'
import { createSseParser } from '../../shared/sse'

/** The `{ code, message, details }` of an error answer's JSON body. */
export const errorOf = (json: unknown) => ApiErrorResponse.parse(json).error

/** A backend answer that was not 2xx: its status and error body. */
export class ApiCallError extends Error {
  constructor(
    readonly status: number,
    readonly body: { code: string; message: string; details: Record<string, unknown> },
  ) {
    super(`${status} ${body.code}: ${body.message}`)
  }
  get code(): string {
    return this.body.code
  }
}

export interface RawAnswer {
  status: number
  json: unknown
  headers: Headers
}

/**
 * A small client for the backend's API and the sandbox acquirer's customer side, for tests, benchmarks and the
 * round runner. Every answer is checked against the `shared/api` schema it promises.
 */
export class BackendApi {
  constructor(readonly baseUrl: string) {}

  /** Any request, answered as status and parsed JSON, whatever the status. */
  async raw(
    method: string,
    path: string,
    options: { token?: string; json?: unknown; body?: string; headers?: Record<string, string> } = {},
  ): Promise<RawAnswer> {
    const headers: Record<string, string> = { ...options.headers }
    if (options.token) headers.authorization = `Bearer ${options.token}`
    let body = options.body
    if (options.json !== undefined) {
      body = JSON.stringify(options.json)
      headers['content-type'] ??= 'application/json'
    } else if (body !== undefined) {
      headers['content-type'] ??= 'application/json'
    }
    const response = await fetch(`${this.baseUrl}${path}`, { method, headers, body })
    const text = await response.text()
    let json: unknown
    try {
      json = text ? JSON.parse(text) : null
    } catch {
      json = text
    }
    return { status: response.status, json, headers: response.headers }
  }

  async call<S extends z.ZodType>(
    method: string,
    path: string,
    schema: S,
    options: { token?: string; json?: unknown } = {},
  ): Promise<z.output<S>> {
    const answer = await this.raw(method, path, options)
    if (answer.status < 200 || answer.status >= 300) {
      const error = ErrorBody.safeParse((answer.json as { error?: unknown } | null)?.error)
      throw new ApiCallError(
        answer.status,
        error.success ? error.data : { code: `http.${answer.status}`, message: String(answer.json), details: {} },
      )
    }
    return schema.parse(answer.json)
  }

  enroll(code: string, label?: string) {
    return this.call('POST', `${API_PREFIX}/devices/enroll`, EnrollResponse, { json: { code, label } })
  }

  login(deviceToken: string, staffId: string, pin: string) {
    return this.call('POST', `${API_PREFIX}/shifts`, LoginResponse, { token: deviceToken, json: { staffId, pin } })
  }

  manifest(shiftToken: string, shiftId: string) {
    return this.call('GET', `${API_PREFIX}/shifts/${shiftId}/manifest`, Manifest, { token: shiftToken })
  }

  push(deviceToken: string, deviceId: string, events: DeviceEvent[]) {
    return this.call('POST', `${API_PREFIX}/devices/${deviceId}/events`, PushEventsResponse, {
      token: deviceToken,
      json: { events },
    })
  }

  heartbeat(deviceToken: string, deviceId: string, body: HeartbeatRequest) {
    return this.call('POST', `${API_PREFIX}/devices/${deviceId}/heartbeat`, HeartbeatResponse, {
      token: deviceToken,
      json: body,
    })
  }

  intent(shiftToken: string, intentId: string) {
    return this.call('GET', `${API_PREFIX}/intents/${intentId}`, IntentResponse, { token: shiftToken })
  }

  renew(shiftToken: string, intentId: string) {
    return this.call('POST', `${API_PREFIX}/intents/${intentId}/renew`, IntentResponse, { token: shiftToken })
  }

  cancel(shiftToken: string, intentId: string) {
    return this.call('POST', `${API_PREFIX}/intents/${intentId}/cancel`, IntentResponse, { token: shiftToken })
  }

  /** `POST /intents/:intentId/split`: an intent for the digital part of a split payment. */
  split(shiftToken: string, intentId: string, body: { digitalFen: number; splitKey: string }) {
    return this.call('POST', `${API_PREFIX}/intents/${intentId}/split`, IntentResponse, {
      token: shiftToken,
      json: body,
    })
  }

  /** The customer pays a collection QR at the sandbox acquirer. */
  pay(qrPayload: string, walletId = 'wallet-test') {
    return this.call('POST', '/sandbox/acquirer/pay', SandboxPayResponse, { json: { qrPayload, walletId } })
  }

  preview(qrPayload: string) {
    return this.call('POST', '/sandbox/acquirer/preview', SandboxPreviewResponse, { json: { qrPayload } })
  }

  setBehaviour(behaviour: Partial<SandboxBehaviourInput>) {
    const full: SandboxBehaviourInput = {
      notifyDelayMs: 0,
      duplicates: 0,
      outOfOrder: false,
      holdNotifications: false,
      ...behaviour,
    }
    return this.call('PUT', '/sandbox/acquirer/behaviour', z.unknown(), { json: full })
  }

  notifications(intentId?: string) {
    return this.call(
      'GET',
      `/sandbox/acquirer/notifications${intentId ? `?intentId=${intentId}` : ''}`,
      SandboxNotificationsResponse,
    )
  }

  /** The sandbox acquirer's own record of an intent (its merchant query API). */
  acquirerRecord(apiKey: string, intentId: string) {
    return this.call('GET', `/sandbox/acquirer/v1/intents/${intentId}`, AcquirerIntentRecord, { token: apiKey })
  }

  /** A sandbox wallet: its tier, limits, current payment code and charges waiting for the customer. */
  wallet(walletId: string) {
    return this.call('GET', `/sandbox/acquirer/wallets/${walletId}`, SandboxWallet)
  }

  /** Sets a sandbox wallet up (tier, balance, PIN, how long the customer takes); what is left out is the default. */
  setWallet(walletId: string, settings: Partial<SandboxWalletSettings> = {}) {
    return this.call('PUT', `/sandbox/acquirer/wallets/${walletId}`, SandboxWallet, { json: settings })
  }

  /** A fresh payment code for the wallet; the one before can no longer be charged. */
  refreshCode(walletId: string) {
    return this.call('POST', `/sandbox/acquirer/wallets/${walletId}/code`, SandboxWallet)
  }

  /** The customer types their PIN on the wallet for a charge of their code. */
  confirmPin(walletId: string, chargeNo: string, pin: string) {
    return this.call('POST', `/sandbox/acquirer/wallets/${walletId}/confirm`, SandboxWallet, {
      json: { chargeNo, pin },
    })
  }

  declineCharge(walletId: string, chargeNo: string) {
    return this.call('POST', `/sandbox/acquirer/wallets/${walletId}/decline`, SandboxWallet, { json: { chargeNo } })
  }

  /** The acquirer's merchant API, as the backend calls it (with the merchant's API key). */
  merchant(apiKey: string) {
    return {
      charge: (body: AcquirerChargeRequest) =>
        this.call('POST', '/sandbox/acquirer/v1/charges', AcquirerChargeRecord, { token: apiKey, json: body }),
      queryCharge: (chargeNo: string) =>
        this.call('GET', `/sandbox/acquirer/v1/charges/${chargeNo}`, AcquirerChargeRecord, { token: apiKey }),
      revoke: (chargeNo: string, intentId: string) =>
        this.call('POST', `/sandbox/acquirer/v1/charges/${chargeNo}/revoke`, AcquirerChargeRecord, {
          token: apiKey,
          json: { intentId },
        }),
      refund: (body: AcquirerRefundRequest) =>
        this.call('POST', '/sandbox/acquirer/v1/refunds', AcquirerRefundRecord, { token: apiKey, json: body }),
      queryRefund: (refundNo: string) =>
        this.call('GET', `/sandbox/acquirer/v1/refunds/${refundNo}`, AcquirerRefundRecord, { token: apiKey }),
      statement: async (date: string) => {
        const response = await fetch(`${this.baseUrl}/sandbox/acquirer/v1/statements/${date}`, {
          headers: { authorization: `Bearer ${apiKey}` },
        })
        if (!response.ok) throw new Error(`statement ${date}: ${response.status} ${await response.text()}`)
        return response.text()
      },
    }
  }
}

/** Writes a device's events the way its outbox does: sequence 1, 2, 3…, a fresh UUID each, the courier's time. */
export class EventWriter {
  private seq: number

  constructor(
    private shiftId: string,
    startAfter = 0,
  ) {
    this.seq = startAfter
  }

  /** Switches to another shift (a new login on the same device); the sequence carries on. */
  forShift(shiftId: string): this {
    this.shiftId = shiftId
    return this
  }

  next(body: DeviceEventBody, occurredAt: string = new Date().toISOString()): DeviceEvent {
    return DeviceEvent.parse({ ...body, seq: ++this.seq, eventId: randomUUID(), occurredAt, shiftId: this.shiftId })
  }

  get lastSeq(): number {
    return this.seq
  }
}

export interface StreamMessage {
  id: number
  event: StreamMessageName
  data: unknown
}

/** A device stream being read: messages as they arrive, comments (keep-alives) counted. */
export interface StreamReader {
  messages: StreamMessage[]
  comments: string[]
  status: number
  /** Resolves with the first message (already received or to come) that matches, or rejects after `timeoutMs`. */
  waitFor(match: (message: StreamMessage) => boolean, timeoutMs?: number): Promise<StreamMessage>
  close(): void
}

/** Opens `GET /api/v1/devices/:deviceId/stream`, optionally resuming after `lastEventId`. */
export async function openStream(
  baseUrl: string,
  deviceId: string,
  deviceToken: string,
  lastEventId?: number,
): Promise<StreamReader> {
  const controller = new AbortController()
  const response = await fetch(`${baseUrl}${API_PREFIX}/devices/${deviceId}/stream`, {
    headers: {
      authorization: `Bearer ${deviceToken}`,
      accept: 'text/event-stream',
      ...(lastEventId !== undefined ? { 'last-event-id': String(lastEventId) } : {}),
    },
    signal: controller.signal,
  })
  const messages: StreamMessage[] = []
  const comments: string[] = []
  const waiters: { match: (m: StreamMessage) => boolean; resolve: (m: StreamMessage) => void }[] = []
  const reader: StreamReader = {
    messages,
    comments,
    status: response.status,
    waitFor(match, timeoutMs = 5_000) {
      const found = messages.find(match)
      if (found) return Promise.resolve(found)
      return new Promise((resolve, reject) => {
        const waiter = { match, resolve }
        waiters.push(waiter)
        setTimeout(() => {
          const at = waiters.indexOf(waiter)
          if (at === -1) return
          waiters.splice(at, 1)
          reject(new Error(`no matching stream message in ${timeoutMs} ms; got ${JSON.stringify(messages)}`))
        }, timeoutMs).unref()
      })
    },
    close: () => controller.abort(),
  }
  if (!response.ok || !response.body) return reader
  const decoder = new TextDecoder()
  const parser = createSseParser((text) => comments.push(text))
  const pump = async (): Promise<void> => {
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      for (const sse of parser.push(decoder.decode(chunk, { stream: true }))) {
        if (sse.id === null || !(sse.event in StreamMessages)) continue
        const name = sse.event as StreamMessageName
        const message: StreamMessage = {
          id: Number(sse.id),
          event: name,
          data: StreamMessages[name].parse(JSON.parse(sse.data)),
        }
        messages.push(message)
        for (const waiter of [...waiters]) {
          if (waiter.match(message)) {
            waiters.splice(waiters.indexOf(waiter), 1)
            waiter.resolve(message)
          }
        }
      }
    }
  }
  pump().catch(() => undefined)
  return reader
}
