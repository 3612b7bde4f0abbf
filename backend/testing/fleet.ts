import { randomBytes, randomInt } from 'node:crypto'
import { connect, type Socket } from 'node:net'
import type { Kysely } from 'kysely'
import { ACQUIRER_SIGNATURE_HEADER, ACQUIRER_TIMESTAMP_HEADER } from '../../shared/api/acquirer'
import { API_PREFIX } from '../../shared/api/common'
import { createSseParser } from '../../shared/sse'
import { signNotification } from '../acquirer/signature'
import { hashSecret } from '../auth/secrets'
import { issueToken } from '../auth/tokens'
import type { BackendSchema } from '../db/schema'
import { newDeviceRow } from '../devices/enrollment'
import { newId } from '../ids'
import { routeDateOf } from '../manifests/route-date'
import { createDepot, freshWaybill } from '../seed/builders'

/** One enrolled device of a fleet, with the payment intents made out to it. */
export interface FleetDevice {
  deviceId: string
  deviceToken: string
  depotId: string
  /** Open intents whose payment is pushed to this device's stream. */
  intents: { intentId: string; amountFen: number }[]
}

export interface FleetOptions {
  devices: number
  /** Devices per depot (a depot's NOTIFY channel serves them all on PostgreSQL). Default 500. */
  perDepot?: number
  /** Every `payableEvery`-th device has a courier with a route of `intentsPerDevice` COD orders, each with an
   * open intent made out to that device. Default: every device, one intent each. */
  payableEvery?: number
  intentsPerDevice?: number
}

/** Rows a statement inserts at most: SQLite allows 32,766 bound values, PostgreSQL 65,535. */
const ROWS_PER_INSERT = 400

async function insertChunked<T>(rows: T[], insert: (chunk: T[]) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) await insert(rows.slice(i, i + ROWS_PER_INSERT))
}

/**
 * A fleet of enrolled devices written straight into the backend's database through its own row builders, in a
 * few large statements, so ten thousand take seconds rather than ten thousand enrollments. Couriers get one
 * shared PIN hash (scrypt once, not per courier). Payments made out to a device reach it through the intent's
 * device, as for a courier with no live shift.
 */
export async function createFleet(db: Kysely<BackendSchema>, options: FleetOptions): Promise<FleetDevice[]> {
  const perDepot = options.perDepot ?? 500
  const payableEvery = options.payableEvery ?? 1
  const intentsPerDevice = options.intentsPerDevice ?? 1
  const now = Date.now()
  const at = new Date(now).toISOString()
  const routeDate = routeDateOf(now, 'Asia/Shanghai')
  const pinHash = await hashSecret('4321')

  const depots: string[] = []
  for (let i = 0; i < Math.ceil(options.devices / perDepot); i++) {
    depots.push((await createDepot(db, { name: `Fleet depot ${i + 1}` })).depotId)
  }
  const fleet: FleetDevice[] = Array.from({ length: options.devices }, (_, i) => ({
    deviceId: newId('dev'),
    deviceToken: issueToken('device'),
    depotId: depots[Math.floor(i / perDepot)]!,
    intents: [],
  }))
  await db.transaction().execute(async (trx) => {
    await insertChunked(fleet, (chunk) =>
      trx
        .insertInto('devices')
        .values(
          chunk.map((d, i) =>
            newDeviceRow({
              id: d.deviceId,
              depotId: d.depotId,
              label: `Fleet ${i + 1}`,
              token: d.deviceToken,
              enrolledAt: at,
              lastContactMs: now,
            }),
          ),
        )
        .execute(),
    )

    const payable = fleet.filter((_, i) => i % payableEvery === 0)
    // Consecutive staff IDs from a random start: another fleet in the same database is unlikely to overlap.
    const firstStaff = randomInt(0, 100_000_000 - payable.length)
    const couriers = payable.map((device, i) => ({
      device,
      courierId: newId('cou'),
      routeId: newId('rte'),
      staffId: `FL${String(firstStaff + i).padStart(8, '0')}`,
    }))
    await insertChunked(couriers, (chunk) =>
      trx
        .insertInto('couriers')
        .values(
          chunk.map((c) => ({
            id: c.courierId,
            depot_id: c.device.depotId,
            staff_id: c.staffId,
            name: '李强',
            pin_hash: pinHash,
            failed_pins: 0,
            locked_until_ms: null,
            created_at: at,
          })),
        )
        .execute(),
    )
    await insertChunked(couriers, (chunk) =>
      trx
        .insertInto('routes')
        .values(
          chunk.map((c) => ({
            id: c.routeId,
            depot_id: c.device.depotId,
            courier_id: c.courierId,
            route_date: routeDate,
            version: 1,
            created_at: at,
          })),
        )
        .execute(),
    )
    const orders = couriers.flatMap((c) =>
      Array.from({ length: intentsPerDevice }, (_, o) => ({
        ...c,
        position: o + 1,
        stopId: newId('stp'),
        orderId: newId('ord'),
        intentId: newId('pi'),
        amountFen: 1000 + ((o * 37) % 9000),
      })),
    )
    await insertChunked(orders, (chunk) =>
      trx
        .insertInto('stops')
        .values(chunk.map((o) => ({ id: o.stopId, route_id: o.routeId, sequence: o.position, address: '嘉元路' })))
        .execute(),
    )
    await insertChunked(orders, (chunk) =>
      trx
        .insertInto('orders')
        .values(
          chunk.map((o) => ({
            id: o.orderId,
            depot_id: o.device.depotId,
            route_id: o.routeId,
            stop_id: o.stopId,
            position: o.position,
            courier_id: o.courierId,
            route_date: routeDate,
            waybill: freshWaybill(),
            cod_fen: o.amountFen,
            recipient_name: '吴磊',
            recipient_phone: '13812345678',
            address: '嘉元路',
            status: 'pending' as const,
            attempt: 1,
            intent_attempts: 1,
            delivered_method: null,
            collected_cash_fen: 0,
            closed_at: null,
            closed_ms: null,
            failure_reason: null,
          })),
        )
        .execute(),
    )
    await insertChunked(orders, (chunk) =>
      trx
        .insertInto('payment_intents')
        .values(
          chunk.map((o) => ({
            id: o.intentId,
            order_id: o.orderId,
            depot_id: o.device.depotId,
            attempt: 1,
            acquirer_key: `cod:${o.orderId}:1`,
            amount_fen: o.amountFen,
            qr_payload: `fleet:${o.intentId}`,
            status: 'pending' as const,
            expires_at: new Date(now + 86_400_000).toISOString(),
            expires_ms: now + 86_400_000,
            paid_at: null,
            transaction_id: null,
            device_id: o.device.deviceId,
            created_at: at,
            checked_ms: now,
          })),
        )
        .execute(),
    )
    for (const o of orders) o.device.intents.push({ intentId: o.intentId, amountFen: o.amountFen })
  })
  return fleet
}

/**
 * Posts the acquirer's signed `payment.succeeded` for an intent, as the acquirer would, and answers the status.
 */
export async function postPaymentNotification(
  baseUrl: string,
  secret: string,
  intent: { intentId: string; amountFen: number },
): Promise<number> {
  const body = JSON.stringify({
    notificationId: `ntf_${randomBytes(10).toString('hex')}`,
    type: 'payment.succeeded',
    intentId: intent.intentId,
    transactionId: `tx_${randomBytes(10).toString('hex')}`,
    amountFen: intent.amountFen,
    occurredAt: new Date().toISOString(),
  })
  const seconds = Math.floor(Date.now() / 1000)
  const response = await fetch(`${baseUrl}${API_PREFIX}/acquirer/notifications`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      [ACQUIRER_TIMESTAMP_HEADER]: String(seconds),
      [ACQUIRER_SIGNATURE_HEADER]: signNotification(secret, seconds, body),
    },
    body,
  })
  await response.arrayBuffer()
  return response.status
}

/** What a light stream client saw of one stream message. */
export interface FleetMessage {
  deviceId: string
  id: number
  event: string
  /** The message's data, parsed. */
  data: unknown
  /** `performance.now()` when it was read. */
  at: number
}

/** One device's stream as a light client holds it. */
export interface HeldStream {
  readonly device: FleetDevice
  /** The last message id read: what a reconnect sends as `Last-Event-ID`. */
  lastId: number
  /** Messages read, and ids that did not follow the one before (a gap: something was missed). */
  received: number
  gaps: number
  duplicates: number
  /** Closes the backend did (or the network), not this client. */
  unexpectedCloses: number
  connected: boolean
}

export interface StreamFleetOptions {
  /** `http://127.0.0.1:<port>`; or a function asked at every attempt, as a load balancer picks an instance. */
  baseUrl: string | (() => string)
  onMessage?: (message: FleetMessage) => void
  /** When a stream that was open is lost, or an attempt fails: the wait before the `failures`-th retry.
   * Without it, a lost stream stays closed. */
  retryDelay?: (failures: number) => number
  /** When an attempt to open is answered 200, `performance.now()`. */
  onOpen?: (stream: HeldStream, at: number) => void
  /** An attempt not answered within this is given up (and retried), as the core does. Default 10 s. */
  answerTimeoutMs?: number
}

type Held = HeldStream & { socket: Socket | null; failures: number; closing: boolean; cut: boolean }

/**
 * Light clients for the device stream, thousands to a process: a raw socket each, the HTTP request written by
 * hand, the chunked answer decoded and the events read with the one SSE parser. Each resumes with
 * `Last-Event-ID` and checks that ids follow one another, so a missed message shows as a gap.
 */
export class StreamFleet {
  private readonly held = new Map<string, Held>()

  constructor(private readonly options: StreamFleetOptions) {}

  /** Every stream held or being reopened. */
  streams(): HeldStream[] {
    return [...this.held.values()]
  }

  connectedCount(): number {
    let n = 0
    for (const stream of this.held.values()) if (stream.connected) n++
    return n
  }

  /** Opens a device's stream (after `lastEventId` when given) and resolves once it is answered 200. */
  open(device: FleetDevice, lastEventId?: number): Promise<void> {
    let stream = this.held.get(device.deviceId)
    if (!stream) {
      stream = {
        device,
        lastId: lastEventId ?? 0,
        received: 0,
        gaps: 0,
        duplicates: 0,
        unexpectedCloses: 0,
        connected: false,
        socket: null,
        failures: 0,
        closing: false,
        cut: false,
      }
      this.held.set(device.deviceId, stream)
    }
    stream.closing = false
    return this.attempt(stream, lastEventId !== undefined || stream.received > 0)
  }

  /** Cuts every stream at once, as a network blip does; with `retryDelay` each comes back by itself. */
  dropAll(): void {
    for (const stream of this.held.values()) {
      if (!stream.socket) continue
      stream.cut = true
      stream.connected = false
      stream.socket.destroy()
    }
  }

  /** Closes every stream for good. */
  close(): void {
    for (const stream of this.held.values()) {
      stream.closing = true
      stream.socket?.destroy()
    }
  }

  private attempt(stream: Held, resume: boolean): Promise<void> {
    const base = typeof this.options.baseUrl === 'string' ? this.options.baseUrl : this.options.baseUrl()
    const { hostname: host, port } = new URL(base)
    return new Promise<void>((resolve, reject) => {
      const socket = connect({ host, port: Number(port) })
      stream.socket = socket
      socket.setEncoding('latin1')
      socket.setNoDelay(true)
      const path = `${API_PREFIX}/devices/${stream.device.deviceId}/stream`
      socket.write(
        `GET ${path} HTTP/1.1\r\nhost: ${host}:${port}\r\naccept: text/event-stream\r\n` +
          `authorization: Bearer ${stream.device.deviceToken}\r\n` +
          (resume ? `last-event-id: ${stream.lastId}\r\n` : '') +
          '\r\n',
      )
      let answered = false
      const timer = setTimeout(() => {
        if (!answered) socket.destroy(new Error('no answer in time'))
      }, this.options.answerTimeoutMs ?? 10_000)
      timer.unref()
      let buffer = ''
      let state: 'head' | 'size' | 'data' | 'crlf' = 'head'
      let remaining = 0
      const parser = createSseParser()
      const read = (text: string): void => {
        for (const message of parser.push(text)) {
          if (message.id === null) continue
          const id = Number(message.id)
          if (id <= stream.lastId) stream.duplicates++
          else if (id !== stream.lastId + 1) stream.gaps++
          stream.lastId = Math.max(stream.lastId, id)
          stream.received++
          this.options.onMessage?.({
            deviceId: stream.device.deviceId,
            id,
            event: message.event,
            data: JSON.parse(Buffer.from(message.data, 'latin1').toString('utf8')),
            at: performance.now(),
          })
        }
      }
      socket.on('data', (chunk: string) => {
        buffer += chunk
        for (;;) {
          if (state === 'head') {
            const end = buffer.indexOf('\r\n\r\n')
            if (end === -1) return
            const status = Number(buffer.slice(9, 12))
            buffer = buffer.slice(end + 4)
            if (status !== 200) {
              socket.destroy(new Error(`stream answered ${status}`))
              return
            }
            answered = true
            clearTimeout(timer)
            stream.connected = true
            stream.failures = 0
            this.options.onOpen?.(stream, performance.now())
            resolve()
            state = 'size'
          } else if (state === 'size') {
            const end = buffer.indexOf('\r\n')
            if (end === -1) return
            remaining = parseInt(buffer.slice(0, end), 16)
            buffer = buffer.slice(end + 2)
            if (remaining === 0) return void socket.end()
            state = 'data'
          } else if (state === 'data') {
            if (buffer.length === 0) return
            const take = buffer.slice(0, remaining)
            buffer = buffer.slice(take.length)
            remaining -= take.length
            read(take)
            if (remaining === 0) state = 'crlf'
          } else {
            if (buffer.length < 2) return
            buffer = buffer.slice(2)
            state = 'size'
          }
        }
      })
      socket.on('error', () => undefined)
      socket.on('close', () => {
        clearTimeout(timer)
        if (stream.socket === socket) stream.socket = null
        const wasOpen = stream.connected
        stream.connected = false
        if (stream.closing) return answered ? undefined : reject(new Error('closed'))
        if (wasOpen && !stream.cut) stream.unexpectedCloses++
        stream.cut = false
        const retry = this.options.retryDelay
        if (!retry) return answered ? undefined : reject(new Error('the stream could not be opened'))
        stream.failures++
        setTimeout(() => {
          if (!stream.closing) this.attempt(stream, true).then(resolve, reject)
        }, retry(stream.failures)).unref()
      })
    })
  }
}
