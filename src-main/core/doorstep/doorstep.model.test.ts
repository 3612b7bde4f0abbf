import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fc, test } from '@fast-check/vitest'
import Database from 'better-sqlite3'
import { expect } from 'vitest'
import type { FailureReason } from '../../../shared/api/events'
import type { ScanOutcome } from '../../../shared/ipc/contract'
import { propertyParameters, propertyTimeout } from '../../../shared/testing/property'
import { createDeviceCore, type DeviceCore } from '..'
import { FAST_SYNC, until } from '../testing/device'
import { startScriptedBackend, type ScriptedBackend } from '../testing/scripted-backend'

/**
 * A model-based property test of the doorstep (issue 10): random sequences of scans (any code on the manifest, or
 * junk), taps, cash amounts, payments arriving by push, by poll, by receipt, late or twice, coverage cuts and core
 * restarts on the same data folder, run against the real core and a scripted backend, and checked after every
 * step against a small model of what the courier has in hand and against invariants read from the device's own
 * database:
 * - money is recorded only against the order whose QR or cash panel was open;
 * - each order attempt completes at most once (a completion, an undo, a completion again);
 * - the outbox holds exactly the events of the committed changes, with contiguous sequence numbers (the orders'
 *   and parcels' state is what their events say);
 * - what the core offers the renderer never offers collection for an order other than the last accepted scan.
 * A fixed seed and a small budget in `npm test`; `TUOTOU_PROPERTY_RUNS` / `TUOTOU_PROPERTY_SEED` run it longer.
 */

interface OrderSpec {
  orderId: string
  codFen: number
  parcels: string[]
  waybill: string
}

const ORDERS: OrderSpec[] = [
  { orderId: 'ord_test0001', codFen: 6660, parcels: ['JDVA00000000001-1-1-'], waybill: 'JDVA00000000001' },
  { orderId: 'ord_test0002', codFen: 0, parcels: ['JDVA00000000002-1-1-'], waybill: 'JDVA00000000002' },
  {
    orderId: 'ord_test0003',
    codFen: 12_800,
    parcels: ['JDVA00000000003-1-2-', 'JDVA00000000003-2-2-'],
    waybill: 'JDVA00000000003',
  },
  { orderId: 'ord_test0004', codFen: 500, parcels: ['JDVA00000000004-1-1-'], waybill: 'JDVA00000000004' },
]
const byId = new Map(ORDERS.map((o) => [o.orderId, o]))

type Status = 'pending' | 'delivered' | 'failed'

/** What the courier has at the door and how each order stands, as the rules say it must be. */
interface Model {
  inHand: string | null
  collecting: 'qr' | 'cash' | null
  held: { code: string; orderId: string } | null
  undo: string | null
  status: Map<string, Status>
  method: Map<string, string | null>
  scanned: Set<string>
  /** The intent a QR was last shown from, per order. */
  current: Map<string, string>
  /** Intents whose QR a customer saw: only those can be paid. */
  shown: Set<string>
  /** Withdrawn at the acquirer (cash taken with coverage): no longer payable. */
  withdrawn: Set<string>
  /** Paid at the acquirer, and whether the device knows yet. */
  paid: Set<string>
  known: Set<string>
  /** "Paid, to be verified" claims, per intent. */
  claimed: Set<string>
  online: boolean
}

interface Real {
  backend: ScriptedBackend
  dataDir: string
  core: DeviceCore
  read: Database.Database
}

function openCore(backend: ScriptedBackend, dataDir: string): DeviceCore {
  return createDeviceCore({
    dataDir,
    host: 'browser',
    version: '0.0.0-model',
    backendUrl: backend.url,
    sync: { ...FAST_SYNC, paymentPollMs: 60 },
  })
}

const order = (orderId: string): OrderSpec => byId.get(orderId)!
/** A tap is for the order on the card (the one in hand, or the undo's), unless the step names another. */
const pick = (m: Model, target: string | null): string => target ?? m.inHand ?? m.undo ?? ORDERS[0]!.orderId
const allScanned = (m: Model, o: OrderSpec): boolean => o.parcels.every((code) => m.scanned.has(code))
const settle = () => new Promise((resolve) => setTimeout(resolve, 20))

/** The code carries a rejection code when it fails; a refusal the model did not expect fails the run. */
async function attempt<T>(work: () => Promise<T>): Promise<{ ok: true; value: T } | { ok: false; code: string }> {
  try {
    return { ok: true, value: await work() }
  } catch (error) {
    return { ok: false, code: (error as { code?: string }).code ?? String(error) }
  }
}

/** Lets go as a refusal does: unless a QR or the cash panel is open for the order in hand. */
function refused(m: Model, aboutOrder: string | null): void {
  if (m.collecting === null) m.inHand = null
  if (m.undo !== aboutOrder) m.undo = null
}

/** The model's side of a scan of a parcel label or waybill: what the core must answer, and the new state. */
function modelScan(m: Model, code: string): ScanOutcome['outcome'] {
  const target = ORDERS.find((o) => o.parcels.includes(code) || o.waybill === code)
  if (!target) {
    refused(m, null)
    return 'refused'
  }
  if (m.status.get(target.orderId) !== 'pending') {
    refused(m, target.orderId)
    return 'refused'
  }
  if (m.collecting !== null && m.inHand !== target.orderId) {
    m.held = { code, orderId: target.orderId }
    return 'conflict'
  }
  m.undo = null
  m.held = null
  const parcel = target.parcels.includes(code) ? code : target.parcels.length === 1 ? target.parcels[0]! : null
  if (parcel) m.scanned.add(parcel)
  if (target.codFen === 0 && allScanned(m, target)) {
    m.status.set(target.orderId, 'delivered')
    m.method.set(target.orderId, 'prepaid')
    m.inHand = null
    m.collecting = null
    m.undo = target.orderId
    return 'accepted'
  }
  if (m.inHand !== target.orderId) m.collecting = null
  m.inHand = target.orderId
  return 'accepted'
}

/** The device learned an intent was paid: a completion, a confirmed claim, or a flag on a closed order. */
function modelPaymentKnown(m: Model, intentId: string): void {
  m.known.add(intentId)
  const orderId = [...m.current.entries()].find(([, i]) => i === intentId)?.[0] ?? orderOfIntent(intentId)
  if (m.claimed.has(intentId)) return
  if (m.status.get(orderId) === 'pending') {
    m.status.set(orderId, 'delivered')
    m.method.set(orderId, 'digital')
    if (m.inHand === orderId) {
      m.inHand = null
      m.collecting = null
      m.held = null
    }
  }
}

const orderOfIntent = (intentId: string): string => `ord_test${intentId.slice('pi_test'.length, 'pi_test'.length + 4)}`

/** Waits until the device holds the payment of `intentId`, as the core's own database shows it. */
async function untilKnown(r: Real, intentId: string): Promise<void> {
  await until(
    () =>
      (r.read.prepare('SELECT paid_at FROM intents WHERE intent_id = ?').get(intentId) as { paid_at: string | null })
        ?.paid_at != null,
    `the device to learn ${intentId} was paid`,
  )
}

type Cmd = fc.AsyncCommand<Model, Real>

class Scan implements Cmd {
  constructor(readonly code: string) {}
  check = () => true
  async run(m: Model, r: Real): Promise<void> {
    const predicted = modelScan(m, this.code)
    const outcome = await r.core.handlers.scanBarcode({ code: this.code, source: 'wedge' })
    expect(outcome.outcome, `scan ${this.code}`).toBe(predicted)
  }
  toString = () => `scan(${JSON.stringify(this.code)})`
}

class Resolve implements Cmd {
  constructor(readonly choice: 'keep' | 'switch') {}
  check = () => true
  async run(m: Model, r: Real): Promise<void> {
    const held = m.held
    const result = await attempt(() => r.core.handlers.resolveScanConflict({ choice: this.choice }))
    if (!held) {
      expect(result).toEqual({ ok: false, code: 'doorstep.no_conflict' })
      return
    }
    m.held = null
    if (this.choice === 'keep') {
      expect(result).toMatchObject({ ok: true, value: { outcome: 'refused', reason: 'collection_in_progress' } })
      return
    }
    m.collecting = null
    const predicted = modelScan(m, held.code)
    expect(result).toMatchObject({ ok: true, value: { outcome: predicted } })
  }
  toString = () => `resolve(${this.choice})`
}

class ShowQr implements Cmd {
  constructor(readonly target: string | null) {}
  private orderId = ''
  check = () => true
  async run(m: Model, r: Real): Promise<void> {
    this.orderId = pick(m, this.target)
    const o = order(this.orderId)
    const allowed = m.inHand === o.orderId && m.status.get(o.orderId) === 'pending' && o.codFen > 0 && allScanned(m, o)
    const result = await attempt(() => r.core.handlers.showPaymentQr({ orderId: o.orderId }))
    if (!allowed) {
      expect(result.ok, `showPaymentQr ${o.orderId} must be refused`).toBe(false)
      return
    }
    if (!result.ok) {
      // Only a withdrawn QR needs the network to renew; nothing else may stop it.
      expect(['payment.renew_offline', 'backend.unreachable']).toContain(result.code)
      expect(m.online).toBe(false)
      return
    }
    const view = result.value
    m.current.set(o.orderId, view.intentId)
    m.shown.add(view.intentId)
    if (view.status === 'paid') {
      modelPaymentKnown(m, view.intentId)
      return
    }
    m.collecting = 'qr'
  }
  toString = () => `showQr(${this.target ?? 'in hand'})`
}

class Leave implements Cmd {
  constructor(readonly target: string | null) {}
  private orderId = ''
  check = () => true
  async run(m: Model, r: Real): Promise<void> {
    this.orderId = pick(m, this.target)
    await r.core.handlers.leavePayment({ orderId: this.orderId })
    if (m.inHand === this.orderId) m.collecting = null
  }
  toString = () => `leave(${this.target ?? 'in hand'})`
}

class StartCash implements Cmd {
  constructor(readonly target: string | null) {}
  private orderId = ''
  check = () => true
  async run(m: Model, r: Real): Promise<void> {
    this.orderId = pick(m, this.target)
    const o = order(this.orderId)
    const allowed = m.inHand === o.orderId && m.status.get(o.orderId) === 'pending' && o.codFen > 0 && allScanned(m, o)
    const result = await attempt(() => r.core.handlers.startCash({ orderId: o.orderId }))
    if (!allowed) {
      expect(result.ok, `startCash ${o.orderId} must be refused`).toBe(false)
      return
    }
    expect(result.ok, `startCash ${o.orderId}: ${JSON.stringify(result)}`).toBe(true)
    if (!result.ok) return
    const intentId = result.value.order.payment?.intentId
    if (result.value.alreadyPaid && intentId) {
      modelPaymentKnown(m, intentId)
      return
    }
    if (intentId && result.value.intentCancellation === 'cancelled') m.withdrawn.add(intentId)
    m.collecting = 'cash'
  }
  toString = () => `startCash(${this.target ?? 'in hand'})`
}

class TakeCash implements Cmd {
  constructor(
    readonly target: string | null,
    readonly short: boolean,
    readonly confirm: boolean,
  ) {}
  private orderId = ''
  check = () => true
  async run(m: Model, r: Real): Promise<void> {
    this.orderId = pick(m, this.target)
    const o = order(this.orderId)
    const takenFen = this.short ? Math.max(0, o.codFen - 100) : o.codFen
    const open = m.inHand === o.orderId && m.collecting === 'cash' && m.status.get(o.orderId) === 'pending'
    const result = await attempt(() =>
      r.core.handlers.recordCash({ orderId: o.orderId, takenFen, confirmMismatch: this.confirm }),
    )
    const allowed = open && o.codFen > 0 && (takenFen === o.codFen || this.confirm)
    // Money is recorded only against the order whose cash panel is open.
    expect(result.ok, `recordCash ${o.orderId} (panel open: ${open}): ${JSON.stringify(result)}`).toBe(allowed)
    if (!result.ok) return
    m.status.set(o.orderId, 'delivered')
    m.method.set(o.orderId, 'cash')
    m.inHand = null
    m.collecting = null
    m.held = null
    m.undo = o.orderId
  }
  toString = () => `cash(${this.target ?? 'in hand'}${this.short ? ', short' : ''}${this.confirm ? ', confirmed' : ''})`
}

class Fail implements Cmd {
  constructor(
    readonly target: string | null,
    readonly reason: FailureReason,
  ) {}
  private orderId = ''
  check = () => true
  async run(m: Model, r: Real): Promise<void> {
    this.orderId = pick(m, this.target)
    const allowed = m.inHand === this.orderId && m.status.get(this.orderId) === 'pending' && m.collecting !== 'qr'
    const result = await attempt(() => r.core.handlers.recordFailure({ orderId: this.orderId, reason: this.reason }))
    expect(result.ok, `recordFailure ${this.orderId}: ${JSON.stringify(result)}`).toBe(allowed)
    if (!result.ok) return
    m.status.set(this.orderId, 'failed')
    m.method.set(this.orderId, null)
    m.inHand = null
    m.collecting = null
    m.held = null
    m.undo = this.orderId
  }
  toString = () => `fail(${this.target ?? 'in hand'}, ${this.reason})`
}

class Unverified implements Cmd {
  constructor(readonly target: string | null) {}
  private orderId = ''
  check = () => true
  async run(m: Model, r: Real): Promise<void> {
    this.orderId = pick(m, this.target)
    const o = order(this.orderId)
    const intentId = m.current.get(o.orderId)
    const allowed =
      m.inHand === o.orderId &&
      m.status.get(o.orderId) === 'pending' &&
      o.codFen > 0 &&
      allScanned(m, o) &&
      intentId !== undefined &&
      m.collecting === 'qr' &&
      !m.withdrawn.has(intentId)
    const result = await attempt(() => r.core.handlers.recordUnverified({ orderId: o.orderId }))
    if (!allowed) {
      expect(result.ok, `recordUnverified ${o.orderId} must be refused`).toBe(false)
      return
    }
    // Within the limits, only a QR withdrawn offline (cash panel opened, then left) can still refuse it.
    if (!result.ok) {
      expect(result.code).toBe('unverified.intent_closed')
      return
    }
    m.claimed.add(intentId)
    m.status.set(o.orderId, 'delivered')
    m.method.set(o.orderId, 'digital')
    m.inHand = null
    m.collecting = null
    m.held = null
  }
  toString = () => `unverified(${this.target ?? 'in hand'})`
}

class Undo implements Cmd {
  constructor(readonly target: string | null) {}
  private orderId = ''
  check = () => true
  async run(m: Model, r: Real): Promise<void> {
    this.orderId = this.target ?? m.undo ?? pick(m, null)
    const result = await attempt(() => r.core.handlers.undoDelivery({ orderId: this.orderId }))
    expect(result.ok, `undo ${this.orderId}: ${JSON.stringify(result)}`).toBe(m.undo === this.orderId)
    if (!result.ok) return
    m.status.set(this.orderId, 'pending')
    m.method.set(this.orderId, null)
    m.undo = null
    m.inHand = this.orderId
    m.collecting = null
    m.held = null
  }
  toString = () => `undo(${this.target ?? 'shown'})`
}

class DeliverPrepaid implements Cmd {
  constructor(readonly target: string | null) {}
  private orderId = ''
  check = () => true
  async run(m: Model, r: Real): Promise<void> {
    this.orderId = pick(m, this.target)
    const o = order(this.orderId)
    const allowed = m.inHand === o.orderId && m.status.get(o.orderId) === 'pending' && o.codFen === 0
    const result = await attempt(() => r.core.handlers.deliverPrepaid({ orderId: o.orderId }))
    expect(result.ok, `deliverPrepaid ${o.orderId}: ${JSON.stringify(result)}`).toBe(allowed && allScanned(m, o))
    if (!result.ok) return
    m.status.set(o.orderId, 'delivered')
    m.method.set(o.orderId, 'prepaid')
    m.inHand = null
    m.collecting = null
    m.held = null
    m.undo = o.orderId
  }
  toString = () => `deliverPrepaid(${this.target ?? 'in hand'})`
}

/** The customer pays a QR they were shown; the device hears by push or by its poll, or later if offline. */
class CustomerPays implements Cmd {
  constructor(
    readonly pick: number,
    readonly via: 'push' | 'poll',
  ) {}
  check = (m: Readonly<Model>) => [...m.shown].some((i) => !m.paid.has(i) && !m.withdrawn.has(i))
  async run(m: Model, r: Real): Promise<void> {
    const payable = [...m.shown].filter((i) => !m.paid.has(i) && !m.withdrawn.has(i))
    const intentId = payable[this.pick % payable.length]!
    const paid = r.backend.pay(intentId)
    m.paid.add(intentId)
    if (!m.online) return
    const orderId = [...m.current.entries()].find(([, i]) => i === intentId)?.[0] ?? orderOfIntent(intentId)
    const watched = m.inHand === orderId && m.collecting === 'qr' && m.current.get(orderId) === intentId
    if (this.via === 'push' || !watched) {
      await until(() => r.backend.streamClients() > 0, 'the device stream')
      r.backend.send('payment', { ...paid, orderId })
    }
    await untilKnown(r, intentId)
    modelPaymentKnown(m, intentId)
  }
  toString = () => `pays(#${this.pick}, ${this.via})`
}

/** The same payment told twice (a duplicate push): nothing changes the second time. */
class PaymentAgain implements Cmd {
  constructor(readonly pick: number) {}
  check = (m: Readonly<Model>) => m.online && m.known.size > 0
  async run(m: Model, r: Real): Promise<void> {
    if (!m.online || m.known.size === 0) return
    const known = [...m.known]
    const intentId = known[this.pick % known.length]!
    const before = r.read.prepare('SELECT COUNT(*) AS n FROM outbox').get() as { n: number }
    await until(() => r.backend.streamClients() > 0, 'the device stream')
    r.backend.send('payment', { ...r.backend.intents.get(intentId)!, orderId: orderOfIntent(intentId) })
    await new Promise((resolve) => setTimeout(resolve, 60))
    expect(r.read.prepare('SELECT COUNT(*) AS n FROM outbox').get()).toEqual(before)
  }
  toString = () => `paymentAgain(#${this.pick})`
}

/** The customer shows the wallet's receipt QR of a paid intent, and the courier scans it. */
class ShowsReceipt implements Cmd {
  constructor(readonly pick: number) {}
  check = (m: Readonly<Model>) => m.paid.size > 0
  async run(m: Model, r: Real): Promise<void> {
    const paid = [...m.paid]
    const intentId = paid[this.pick % paid.length]!
    const orderId = orderOfIntent(intentId)
    const outcome = await r.core.handlers.scanBarcode({ code: r.backend.receipt(intentId), source: 'camera' })
    if (m.inHand !== null && m.inHand !== orderId) {
      expect(outcome).toMatchObject({ outcome: 'refused', reason: 'receipt_other_intent' })
      refused(m, null)
      return
    }
    expect(outcome.outcome).toBe('receipt')
    if (outcome.outcome !== 'receipt') return
    expect(outcome.alreadyKnown).toBe(m.known.has(intentId))
    if (!m.known.has(intentId)) modelPaymentKnown(m, intentId)
  }
  toString = () => `receipt(#${this.pick})`
}

class CoverageCut implements Cmd {
  check = (m: Readonly<Model>) => m.online
  async run(m: Model, r: Real): Promise<void> {
    await r.backend.close()
    m.online = false
  }
  toString = () => 'coverageCut'
}

/** Coverage returns: what was paid meanwhile reaches the device (late), by the stream or its poll. */
class CoverageBack implements Cmd {
  check = (m: Readonly<Model>) => !m.online
  async run(m: Model, r: Real): Promise<void> {
    await r.backend.resume()
    m.online = true
    await until(() => r.backend.streamClients() > 0, 'the stream to reconnect', 8000)
    for (const intentId of [...m.paid].filter((i) => !m.known.has(i))) {
      r.backend.send('payment', { ...r.backend.intents.get(intentId)!, orderId: orderOfIntent(intentId) })
      await untilKnown(r, intentId)
      modelPaymentKnown(m, intentId)
    }
  }
  toString = () => 'coverageBack'
}

/** The core stops (a crash, an update) and starts again on the same folder: nothing is in hand, no undo open. */
class Restart implements Cmd {
  check = () => true
  async run(m: Model, r: Real): Promise<void> {
    r.core.close()
    r.core = openCore(r.backend, r.dataDir)
    m.inHand = null
    m.collecting = null
    m.held = null
    m.undo = null
    if (m.online) await until(() => r.backend.streamClients() > 0, 'the stream after the restart')
    await settle()
  }
  toString = () => 'restart'
}

interface OutboxRow {
  seq: number
  type: string
  payload: string
}

/** The invariants, read from the core's own database and its doorstep view after every step. */
async function checkInvariants(m: Model, r: Real): Promise<void> {
  const rows = r.read.prepare('SELECT seq, type, payload FROM outbox ORDER BY seq').all() as OutboxRow[]
  // Contiguous sequence numbers from 1.
  expect(rows.map((row) => row.seq)).toEqual(rows.map((_, i) => i + 1))
  const events = rows.map((row) => ({ ...row, payload: JSON.parse(row.payload) as Record<string, unknown> }))
  const shownIntents = new Set<string>()
  const folded = new Map<string, Status>()
  const scannedParcels = new Set<string>()
  for (const event of events) {
    const orderId = event.payload.orderId as string | undefined
    switch (event.type) {
      case 'payment.qr_shown':
        shownIntents.add(event.payload.intentId as string)
        break
      case 'parcel.scanned':
        scannedParcels.add(event.payload.parcelId as string)
        break
      case 'delivery.completed':
      case 'delivery.failed': {
        // Each attempt completes at most once: a second close needs an undo between.
        expect(folded.get(orderId!) ?? 'pending', `${orderId} closed twice at seq ${event.seq}`).toBe('pending')
        folded.set(orderId!, event.type === 'delivery.completed' ? 'delivered' : 'failed')
        if (event.payload.method === 'digital') {
          // Digital money only through an intent whose QR the customer was shown.
          expect(shownIntents.has(event.payload.intentId as string), `digital without a QR at ${event.seq}`).toBe(true)
        }
        break
      }
      case 'delivery.undone':
        expect(folded.get(orderId!), `undo of an open order at seq ${event.seq}`).not.toBe('pending')
        folded.set(orderId!, 'pending')
        break
      case 'payment.unverified':
        expect(shownIntents.has(event.payload.intentId as string)).toBe(true)
        break
    }
  }
  // The orders and parcels are what their events say, and what the model says.
  const orders = r.read.prepare('SELECT order_id, status FROM orders').all() as { order_id: string; status: Status }[]
  for (const row of orders) {
    expect(row.status, `${row.order_id} by its events`).toBe(folded.get(row.order_id) ?? 'pending')
    expect(row.status, `${row.order_id} by the model`).toBe(m.status.get(row.order_id))
  }
  const parcels = r.read.prepare('SELECT parcel_id FROM parcels WHERE scanned_at IS NOT NULL').all() as {
    parcel_id: string
  }[]
  expect(new Set(parcels.map((p) => p.parcel_id))).toEqual(scannedParcels)
  // The core offers collection only for the last accepted scan.
  const view = await r.core.handlers.getDoorstep({})
  expect(view.order?.orderId ?? null, 'the order in hand').toBe(m.inHand)
  expect(view.collecting, 'what is open').toBe(m.inHand ? m.collecting : null)
  expect(view.conflict?.orderId ?? null, 'the held scan').toBe(m.held?.orderId ?? null)
  expect(view.undo?.orderId ?? null, 'the undo window').toBe(m.undo)
}

/** Mostly the order on the card (null), sometimes another: a tap the screen could not make, which must be refused. */
const orderIds = fc.oneof(
  { weight: 4, arbitrary: fc.constant(null) },
  { weight: 1, arbitrary: fc.constantFrom(...ORDERS.map((o) => o.orderId)) },
)
const codes = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...ORDERS.flatMap((o) => [...o.parcels, o.waybill])) },
  { weight: 1, arbitrary: fc.constantFrom('JDXX99999999999-1-1-', 'JDVA00000000009-1-1-', '%%%', ' ') },
  { weight: 1, arbitrary: fc.string({ maxLength: 24 }) },
)
const commands = fc.commands(
  [
    codes.map((code) => new Scan(code)),
    codes.map((code) => new Scan(code)),
    fc.constantFrom('keep' as const, 'switch' as const).map((choice) => new Resolve(choice)),
    orderIds.map((id) => new ShowQr(id)),
    orderIds.map((id) => new ShowQr(id)),
    orderIds.map((id) => new Leave(id)),
    orderIds.map((id) => new StartCash(id)),
    fc.tuple(orderIds, fc.boolean(), fc.boolean()).map(([id, short, confirm]) => new TakeCash(id, short, confirm)),
    fc
      .tuple(orderIds, fc.constantFrom<FailureReason>('not_home', 'refused', 'damaged'))
      .map(([id, reason]) => new Fail(id, reason)),
    orderIds.map((id) => new Unverified(id)),
    orderIds.map((id) => new Undo(id)),
    orderIds.map((id) => new DeliverPrepaid(id)),
    fc.tuple(fc.nat(), fc.constantFrom('push' as const, 'poll' as const)).map(([n, via]) => new CustomerPays(n, via)),
    fc.nat().map((n) => new PaymentAgain(n)),
    fc.nat().map((n) => new ShowsReceipt(n)),
    fc.constant(new CoverageCut()),
    fc.constant(new CoverageBack()),
    fc.constant(new Restart()),
  ],
  { maxCommands: 40, size: 'large' },
)

/** Each step, then the invariants, so a failure names the step that broke one. */
function checked(command: Cmd): Cmd {
  return {
    check: (m) => command.check(m),
    run: async (m, r) => {
      await command.run(m, r)
      await checkInvariants(m, r)
    },
    toString: () => command.toString(),
  }
}

test.prop([commands], propertyParameters(30, 25_000))(
  'the doorstep keeps its promise under random scans, taps, payments, coverage cuts and restarts',
  async (cmds) => {
    const backend = await startScriptedBackend()
    const dataDir = mkdtempSync(join(tmpdir(), 'tuotou-model-'))
    let core = openCore(backend, dataDir)
    await core.handlers.enrollDevice({ code: 'ABCD2345' })
    await core.handlers.login({ staffId: 'SZ1001', pin: '1234' })
    await core.handlers.downloadManifest({})
    const read = new Database(join(dataDir, 'device.sqlite'), { readonly: true })
    const real: Real = { backend, dataDir, core, read }
    const model: Model = {
      inHand: null,
      collecting: null,
      held: null,
      undo: null,
      status: new Map(ORDERS.map((o) => [o.orderId, 'pending'])),
      method: new Map(),
      scanned: new Set(),
      current: new Map(ORDERS.filter((o) => o.codFen > 0).map((o) => [o.orderId, `pi_test${o.orderId.slice(-4)}`])),
      shown: new Set(),
      withdrawn: new Set(),
      paid: new Set(),
      known: new Set(),
      claimed: new Set(),
      online: true,
    }
    try {
      await until(() => backend.streamClients() > 0, 'the device stream')
      await fc.asyncModelRun(() => ({ model, real }), [...cmds].map(checked))
    } finally {
      core = real.core
      read.close()
      core.close()
      await backend.close()
    }
  },
  propertyTimeout(25_000),
)
