import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { DeviceEvent, SEQUENCE_GAP, type EventResult } from '../../../shared/api/events'
import type { Manifest, ManifestOrder, PaymentIntent } from '../../../shared/api/shift'
import type { StreamMessageName } from '../../../shared/api/stream'
import { encodeCollectionQr } from '../../../shared/emv/collection-qr'
import { formatReceiptToken, receiptSignedText, type Receipt } from '../../../shared/receipt'
import { parcelBarcode } from '../../../shared/waybill'

/**
 * A real HTTP server speaking the backend contract (`shared/api`) from memory, for the device core's own tests.
 * It exists for what the real backend cannot be made to do on demand: answer 500, lose a batch, forget events,
 * refuse a token. Cross-part behaviour is tested against the real backend in `e2e/`.
 */
export interface ScriptedBackend {
  url: string
  /** Every event the backend holds, in the order it applied them. */
  applied: DeviceEvent[]
  /** Every request path seen, e.g. `POST /api/v1/devices/dev_…/events`. */
  requests: string[]
  heartbeats: unknown[]
  manifest: Manifest
  /** The next answers to event pushes, consumed in order before normal handling. */
  scriptPush(...answers: ScriptedAnswer[]): void
  /** Reject events whose payload matches, as a business refusal. */
  rejectWhen(predicate: (event: DeviceEvent) => string | null): void
  /** Forget events from `seq` on, as a backend restored from an older backup would. */
  forgetFrom(seq: number): void
  /** Gaps a device asked to be accepted past (it no longer held those events), like the real backend records. */
  gaps: { from: number; to: number }[]
  /** Push a message to connected device streams (and keep it for resumption). */
  send(event: StreamMessageName, data: unknown): number
  streamClients(): number
  /** The intent as the acquirer sees it; mark it paid to simulate the customer paying. */
  intents: Map<string, PaymentIntent>
  pay(intentId: string): PaymentIntent
  /** Stop answering (connections refused) until `resume`. */
  close(): Promise<void>
  resume(): Promise<void>
  /** The `Last-Event-ID` each stream connection arrived with. */
  streamResumes: (string | null)[]
  /** Like the real backend, answer every login with a new shift ID (the route stays the same). */
  newShiftPerLogin(): void
  /**
   * The receipt token the customer's wallet would show for a paid intent, signed with this acquirer's Ed25519 key
   * (whose public half is in the manifest); `claims` overrides what it states, `signWith` signs with another key.
   */
  receipt(intentId: string, claims?: Partial<Receipt>, signWith?: KeyObject): string
  /** The depot's "paid, to be verified" limits, answered at the next login. */
  setUnverifiedLimits(limits: { perOrderFen: number; perShiftFen: number }): void
}

export type ScriptedAnswer = { status: number; body?: unknown } | 'hang'

export const DEVICE_ID = 'dev_test0001'
export const DEVICE_TOKEN = 'device-token-0123456789abcdef0123456789'
export const SHIFT_ID = 'shf_test0001'
export const SHIFT_TOKEN = 'shift-token-0123456789abcdef0123456789ab'

function intentFor(orderId: string, waybill: string, amountFen: number, n: number, at: Date): PaymentIntent {
  const intentId = `pi_test${String(n).padStart(4, '0')}`
  return {
    intentId,
    orderId,
    attempt: 1,
    amountFen,
    qrPayload: encodeCollectionQr({
      acquirerId: 'CN.SANDBOX.ECNY',
      merchantId: 'M0001',
      amountFen,
      merchantName: 'JD Logistics Xiangcheng',
      merchantCity: 'Suzhou',
      waybill,
      intentId,
      deviceId: DEVICE_ID,
    }),
    status: 'pending',
    expiresAt: new Date(at.getTime() + 12 * 3600_000).toISOString(),
    paidAt: null,
    transactionId: null,
  }
}

/**
 * The route used by core tests: stop 1 has a ¥66.60 order (one parcel) and a prepaid one; stop 2 has a ¥128.00
 * order in two parcels; stop 3 a ¥5.00 order.
 */
export function testManifest(receiptPublicKey: string, at = new Date()): Manifest {
  const order = (n: number, codFen: number, parcels: number): ManifestOrder => {
    const waybill = `JDVA${String(n).padStart(11, '0')}`
    const orderId = `ord_test${String(n).padStart(4, '0')}`
    return {
      orderId,
      waybill,
      codFen,
      recipient: { maskedName: '吴*', maskedPhone: '138****5678' },
      address: `苏州市相城区元和街道 ${n} 号`,
      parcels: Array.from({ length: parcels }, (_, i) => ({
        parcelId: `par_test${n}${i + 1}`,
        barcode: parcelBarcode(waybill, i + 1, parcels),
        index: i + 1,
        count: parcels,
      })),
      status: 'pending',
      attempt: 1,
      intent: codFen > 0 ? intentFor(orderId, waybill, codFen, n, at) : null,
    }
  }
  return {
    shiftId: SHIFT_ID,
    courierId: 'cou_test0001',
    depotId: 'dep_test0001',
    routeDate: '2026-11-26',
    version: 1,
    generatedAt: at.toISOString(),
    acquirer: { acquirerId: 'CN.SANDBOX.ECNY', receiptPublicKey },
    stops: [
      { stopId: 'stp_test0001', sequence: 1, address: '元和街道 1 号', orders: [order(1, 6660, 1), order(2, 0, 1)] },
      { stopId: 'stp_test0002', sequence: 2, address: '元和街道 3 号', orders: [order(3, 12_800, 2)] },
      { stopId: 'stp_test0003', sequence: 3, address: '元和街道 4 号', orders: [order(4, 500, 1)] },
    ],
  }
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  const text = Buffer.concat(chunks).toString('utf8')
  return text ? JSON.parse(text) : null
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body)
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) })
  res.end(text)
}

const error = (code: string, message: string, details: Record<string, unknown> = {}) => ({
  error: { code, message, details },
})

export async function startScriptedBackend(): Promise<ScriptedBackend> {
  const acquirerKeys = generateKeyPairSync('ed25519')
  const publicJwk = acquirerKeys.publicKey.export({ format: 'jwk' })
  const manifest = testManifest(publicJwk.x!)
  const intents = new Map<string, PaymentIntent>()
  for (const stop of manifest.stops) for (const o of stop.orders) if (o.intent) intents.set(o.intent.intentId, o.intent)
  const applied: DeviceEvent[] = []
  const byId = new Map<string, EventResult>()
  const requests: string[] = []
  const heartbeats: unknown[] = []
  const script: ScriptedAnswer[] = []
  const streamLog: { id: number; event: string; data: string }[] = []
  const clients = new Set<ServerResponse>()
  const streamResumes: (string | null)[] = []
  const hung: ServerResponse[] = []
  let rejecter: (event: DeviceEvent) => string | null = () => null
  const gaps: { from: number; to: number }[] = []
  let highest = 0
  let nextStreamId = 1
  let shiftId = SHIFT_ID
  let shiftPerLogin = false
  let logins = 0
  let unverifiedLimits = { perOrderFen: 20_000, perShiftFen: 100_000 }

  const authorized = (req: IncomingMessage, token: string): boolean => req.headers.authorization === `Bearer ${token}`

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://x')
    const path = url.pathname
    requests.push(`${req.method} ${path}`)
    if (req.method === 'GET' && path === '/api/v1/health') {
      return send(res, 200, { status: 'ok', version: 'scripted', database: 'sqlite' })
    }
    if (req.method === 'POST' && path === '/api/v1/devices/enroll') {
      const body = (await readJson(req)) as { code?: string }
      if (body?.code !== 'ABCD2345') return send(res, 400, error('enrollment.invalid_code', 'unknown code'))
      return send(res, 200, {
        deviceId: DEVICE_ID,
        deviceToken: DEVICE_TOKEN,
        depotId: 'dep_test0001',
        depotName: '相城营业部',
      })
    }
    if (req.method === 'POST' && path === '/api/v1/shifts') {
      if (!authorized(req, DEVICE_TOKEN)) return send(res, 401, error('auth.unauthorized', 'bad device token'))
      const body = (await readJson(req)) as { staffId?: string; pin?: string }
      if (body?.staffId !== 'SZ1001' || body.pin !== '1234') {
        return send(res, 401, error('login.bad_credentials', 'wrong staff ID or PIN'))
      }
      logins++
      if (shiftPerLogin) shiftId = `shf_test${String(1000 + logins)}`
      return send(res, 200, {
        shiftId,
        shiftToken: SHIFT_TOKEN,
        expiresAt: new Date(Date.now() + 12 * 3600_000).toISOString(),
        courier: { courierId: 'cou_test0001', staffId: 'SZ1001', name: '王师傅' },
        depotId: 'dep_test0001',
        deviceId: DEVICE_ID,
        unverifiedLimits,
      })
    }
    if (req.method === 'GET' && path === `/api/v1/shifts/${shiftId}/manifest`) {
      if (!authorized(req, SHIFT_TOKEN)) return send(res, 401, error('auth.unauthorized', 'bad shift token'))
      return send(res, 200, { ...manifest, shiftId, stops: manifest.stops.map((stop) => ({ ...stop })) })
    }
    const intentMatch = /^\/api\/v1\/intents\/([^/]+)(\/renew|\/cancel|\/split)?$/.exec(path)
    if (intentMatch) {
      if (!authorized(req, SHIFT_TOKEN)) return send(res, 401, error('auth.unauthorized', 'bad shift token'))
      const intent = intents.get(intentMatch[1]!)
      if (!intent) return send(res, 404, error('intent.not_found', 'no such intent'))
      if (intentMatch[2] === '/cancel') {
        if (intent.status === 'paid') return send(res, 409, error('intent.already_paid', 'paid'))
        intent.status = 'cancelled'
      }
      if (intentMatch[2] === '/split') {
        // The digital part's own intent; the order's other open intents are withdrawn, as the backend does.
        const body = (await readJson(req)) as { digitalFen: number; splitKey: string }
        const base = intent.intentId.replace(/s\d*$/, '')
        const parts = [...intents.values()].filter((i) => i.intentId.startsWith(`${base}s`))
        const known = parts.find((i) => i.amountFen === body.digitalFen && i.status !== 'cancelled')
        if (known) return send(res, 200, known)
        const partId = `${base}s${parts.length === 0 ? '' : String(parts.length + 1)}`
        for (const other of intents.values()) {
          if (other.orderId === intent.orderId && other.status === 'pending') other.status = 'cancelled'
        }
        const part = { ...intent, intentId: partId, amountFen: body.digitalFen, status: 'pending' as const }
        part.paidAt = null
        part.transactionId = null
        intents.set(partId, part)
        return send(res, 200, part)
      }
      if (intentMatch[2] === '/renew') {
        const renewed = { ...intent, intentId: `${intent.intentId}r`, status: 'pending' as const }
        renewed.expiresAt = new Date(Date.now() + 3600_000).toISOString()
        intent.status = 'expired'
        intents.set(renewed.intentId, renewed)
        return send(res, 200, renewed)
      }
      return send(res, 200, intent)
    }
    const deviceMatch = /^\/api\/v1\/devices\/([^/]+)\/(events|heartbeat|stream)$/.exec(path)
    if (deviceMatch) {
      if (!authorized(req, DEVICE_TOKEN)) return send(res, 401, error('auth.unauthorized', 'bad device token'))
      if (deviceMatch[2] === 'heartbeat') {
        heartbeats.push(await readJson(req))
        return send(res, 200, { serverTime: new Date().toISOString() })
      }
      if (deviceMatch[2] === 'stream') {
        const resume = req.headers['last-event-id']
        streamResumes.push(typeof resume === 'string' ? resume : null)
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' })
        res.write(': hello\n\n')
        // Like the real backend: without a cursor the stream starts from now, not from the beginning.
        const from = typeof resume === 'string' ? Number(resume) : nextStreamId - 1
        for (const message of streamLog.filter((m) => m.id > from)) {
          res.write(`id: ${message.id}\nevent: ${message.event}\ndata: ${message.data}\n\n`)
        }
        clients.add(res)
        req.on('close', () => clients.delete(res))
        return
      }
      const scripted = script.shift()
      if (scripted === 'hang') {
        hung.push(res)
        return
      }
      if (scripted) return send(res, scripted.status, scripted.body ?? error('internal', 'scripted failure'))
      const body = (await readJson(req)) as { events: unknown[]; gap?: { expected: number } }
      const events = body.events.map((event) => DeviceEvent.parse(event))
      const firstNew = events.find((event) => !byId.has(event.eventId))
      if (body.gap && body.gap.expected === highest + 1 && firstNew && firstNew.seq > body.gap.expected) {
        gaps.push({ from: body.gap.expected, to: firstNew.seq - 1 })
        highest = firstNew.seq - 1
      }
      const results: EventResult[] = []
      for (const event of events) {
        const known = byId.get(event.eventId)
        if (known) {
          results.push({ ...known, status: known.status === 'rejected' ? 'rejected' : 'duplicate' })
          continue
        }
        if (event.seq !== highest + 1) {
          if (results.length === 0) {
            return send(res, 409, error(SEQUENCE_GAP, `expected ${highest + 1}`, { expected: highest + 1 }))
          }
          break
        }
        const reason = rejecter(event)
        const result: EventResult = {
          seq: event.seq,
          eventId: event.eventId,
          status: reason ? 'rejected' : 'applied',
          reason,
        }
        byId.set(event.eventId, result)
        if (!reason) applied.push(event)
        highest = event.seq
        results.push(result)
      }
      return send(res, 200, { results, ackedThrough: highest })
    }
    return send(res, 404, error('not_found', `no route ${req.method} ${path}`))
  }

  let server: Server = createServer((req, res) => void handle(req, res).catch((e) => send(res, 500, String(e))))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port

  return {
    url: `http://127.0.0.1:${port}`,
    applied,
    gaps,
    requests,
    heartbeats,
    manifest,
    intents,
    streamResumes,
    scriptPush: (...answers) => script.push(...answers),
    newShiftPerLogin: () => {
      shiftPerLogin = true
    },
    rejectWhen: (predicate) => {
      rejecter = predicate
    },
    forgetFrom: (seq) => {
      for (let i = applied.length - 1; i >= 0; i--) {
        if (applied[i]!.seq >= seq) {
          byId.delete(applied[i]!.eventId)
          applied.splice(i, 1)
        }
      }
      for (const [id, result] of byId) if (result.seq >= seq) byId.delete(id)
      highest = Math.min(highest, seq - 1)
    },
    send: (event, data) => {
      const message = { id: nextStreamId++, event, data: JSON.stringify(data) }
      streamLog.push(message)
      for (const client of clients) client.write(`id: ${message.id}\nevent: ${event}\ndata: ${message.data}\n\n`)
      return message.id
    },
    streamClients: () => clients.size,
    setUnverifiedLimits: (limits) => {
      unverifiedLimits = limits
    },
    receipt: (intentId, claims = {}, signWith = acquirerKeys.privateKey) => {
      const intent = intents.get(intentId)
      const signedText = receiptSignedText({
        intentId,
        amountFen: intent?.amountFen ?? 100,
        paidAt: intent?.paidAt ?? new Date().toISOString(),
        transactionId: intent?.transactionId ?? `tx_${intentId.slice(3)}`,
        ...claims,
      })
      return formatReceiptToken(signedText, sign(null, Buffer.from(signedText), signWith))
    },
    pay: (intentId) => {
      const intent = intents.get(intentId)!
      intent.status = 'paid'
      intent.paidAt = new Date().toISOString()
      intent.transactionId = `tx_${intentId.slice(3)}`
      return intent
    },
    close: async () => {
      for (const client of clients) client.destroy()
      for (const res of hung) res.destroy()
      clients.clear()
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
    },
    resume: async () => {
      server = createServer((req, res) => void handle(req, res).catch((e) => send(res, 500, String(e))))
      await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
    },
  }
}
