import { createPublicKey, verify, type KeyObject } from 'node:crypto'
import type { AcquirerKeys } from '../../shared/api/acquirer'
import type { DeviceEvent } from '../../shared/api/events'
import { parseReceiptToken } from '../../shared/receipt'
import type {
  DeliveryAttemptTable,
  DepotTable,
  EvidenceTable,
  OrderTable,
  ParcelTable,
  PaymentIntentTable,
  PaymentTable,
  SettlementTable,
  ShiftTable,
} from '../db/schema'
import type { CourierTime } from './courier-time'

/**
 * What the backend knows while it judges one batch, loaded up front and updated event by event, so the third
 * event of a batch sees what the first did. Nothing here touches the database; `ingest.ts` writes the result.
 */
export interface BatchState {
  deviceId: string
  shifts: Map<string, ShiftTable>
  depots: Map<string, DepotTable>
  orders: Map<string, OrderTable>
  parcels: Map<string, ParcelTable>
  intents: Map<string, PaymentIntentTable>
  /** `${orderId}:${attempt}` of each recorded completion or failure the batch's events name (`delivery.*`). */
  attempts: Set<string>
  /** The recorded completions and failures themselves, by the same key: an undo is judged against them. */
  attemptRows: Map<string, DeliveryAttemptTable>
  /** How long, by the courier's clock, a prepaid, cash or failed completion may be undone. */
  undoWindowMs: number
  /** The stops of each route the batch reorders, in their current order (loaded for `stop.moved` only). */
  routeStops: Map<string, string[]>
  /** Virtual-number bindings the batch's call attempts name, by ID, with the order each was bound for. */
  callBindings: Map<string, { order_id: string }>
  /** Succeeded acquirer payments per order. */
  payments: Map<string, PaymentTable[]>
  settlements: Map<string, Pick<SettlementTable, 'intent_id' | 'status'>>
  /** "Paid, to be verified" already claimed per shift, fen. */
  unverifiedByShift: Map<string, number>
  receiptKey: KeyObject | null
  /** The business ceiling on one order's amount (`config.maxOrderFen`). */
  maxOrderFen: number
  /** Evidence IDs already announced (stored, or earlier in the batch): each names one file, once. */
  evidenceIds: Set<string>
}

/** What applying the batch must write, beyond the event rows themselves. */
export interface BatchEffects {
  changedOrders: Set<string>
  attempts: DeliveryAttemptTable[]
  cashDeclarations: { seq: number; shift: ShiftTable; declaredFen: number; declaredAt: string; declaredMs: number }[]
  closedShifts: Map<string, string>
  settlements: Omit<SettlementTable, 'id'>[]
  flags: {
    depotId: string
    orderId: string
    courierId: string
    kind: 'late_payment_after_cash' | 'double_payment'
    intentId: string | null
    transactionId: string | null
    amountFen: number
    dedupeKey: string
    note: string
  }[]
  /** Intents to cancel with the acquirer after the commit (the courier took cash or cancelled offline). */
  cancelIntents: Set<string>
  /** Completions and failures recorded before this batch that an undo in it took back. */
  undone: DeliveryAttemptTable[]
  /** Routes whose stops the courier reordered, the new order, and a stop skipped with its reason. */
  stopOrders: Map<string, { order: string[]; stopId: string; skippedReason: string | null }>
  /** Evidence files announced: their uploads are accepted from now on, checked against these hashes. */
  evidence: EvidenceTable[]
}

export type Verdict = { status: 'applied' } | { status: 'rejected'; reason: string }

const applied: Verdict = { status: 'applied' }
const reject = (reason: string): Verdict => ({ status: 'rejected', reason })

/** The Ed25519 public key object from the acquirer's raw key, or null when it is not known yet. */
export function receiptKeyFrom(keys: AcquirerKeys | null): KeyObject | null {
  if (!keys) return null
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: keys.receiptPublicKey }, format: 'jwk' })
}

/** Whether a receipt token's Ed25519 signature is the acquirer's. Throws `receipt.malformed` on a garbled token. */
export function receiptSignatureValid(token: string, key: KeyObject): boolean {
  const parsed = parseReceiptToken(token)
  return verify(null, Buffer.from(parsed.signedText), key, Buffer.from(parsed.signature))
}

/** The amounts an event states for one order: none of them may be over the ceiling. */
function orderAmountsOf(event: DeviceEvent): number[] {
  switch (event.type) {
    case 'payment.confirmed':
    case 'payment.unverified':
      return [event.payload.amountFen]
    case 'delivery.completed':
      return [event.payload.dueFen, event.payload.collectedFen]
    default:
      return []
  }
}

type OrderCheck = { order: OrderTable } | { verdict: Verdict }

/** The order must be on this courier's manifest for the shift's day (DESIGN: "say the parcel was reassigned"). */
function orderOnManifest(state: BatchState, shift: ShiftTable, orderId: string): OrderCheck {
  const order = state.orders.get(orderId)
  if (!order) return { verdict: reject('order.not_on_manifest') }
  if (order.courier_id !== shift.courier_id) {
    return { verdict: reject(order.route_id === shift.route_id ? 'order.reassigned' : 'order.not_on_manifest') }
  }
  if (order.route_date !== shift.route_date) return { verdict: reject('order.not_on_manifest') }
  return { order }
}

function intentOfOrder(state: BatchState, order: OrderTable, intentId: string): PaymentIntentTable | null {
  const intent = state.intents.get(intentId)
  return intent && intent.order_id === order.id ? intent : null
}

function ensureSettlement(
  state: BatchState,
  effects: BatchEffects,
  shift: ShiftTable,
  intent: PaymentIntentTable,
  kind: 'unverified' | 'confirmed',
  claimedFen: number,
  nowMs: number,
): void {
  if (state.settlements.has(intent.id)) return
  state.settlements.set(intent.id, { intent_id: intent.id, status: 'pending' })
  effects.settlements.push({
    intent_id: intent.id,
    order_id: intent.order_id,
    device_id: state.deviceId,
    shift_id: shift.id,
    depot_id: shift.depot_id,
    claimed_fen: claimedFen,
    kind,
    status: 'pending',
    transaction_id: null,
    attempts: 0,
    next_attempt_ms: nowMs,
    claimed_until_ms: null,
    last_error: null,
    created_ms: nowMs,
    settled_ms: null,
  })
}

/**
 * Judges one new event, at the courier's time (`courier-time.ts`: corrected and bounded, never the device's raw
 * reading), against what the backend knows: it is applied (its effects recorded in `effects` and
 * `state`), or rejected with a reason the device shows the courier. A rejection never touches the rest of the
 * batch. Digital money is never counted here: a device's word about a payment only opens a settlement, and
 * only the acquirer's records (notification or query) mark an intent paid.
 */
export function judgeEvent(
  state: BatchState,
  effects: BatchEffects,
  event: DeviceEvent,
  time: Pick<CourierTime, 'at' | 'ms'>,
  nowMs: number,
): Verdict {
  const occurredAt = time.at
  const occurredMs = time.ms
  const shift = state.shifts.get(event.shiftId)
  if (!shift) return reject('shift.unknown')
  if (shift.device_id !== state.deviceId) return reject('shift.not_on_device')
  if (orderAmountsOf(event).some((fen) => fen > state.maxOrderFen)) return reject('amount.over_ceiling')

  switch (event.type) {
    case 'scan.refused':
      return applied

    case 'shift.cash_declared':
      effects.cashDeclarations.push({
        seq: event.seq,
        shift,
        declaredFen: event.payload.declaredFen,
        declaredAt: occurredAt,
        declaredMs: occurredMs,
      })
      return applied

    case 'shift.closed':
      effects.closedShifts.set(shift.id, occurredAt)
      return applied

    case 'parcel.scanned': {
      const check = orderOnManifest(state, shift, event.payload.orderId)
      if ('verdict' in check) return check.verdict
      const parcel = state.parcels.get(event.payload.parcelId)
      if (!parcel || parcel.order_id !== check.order.id) return reject('parcel.not_on_order')
      if (parcel.barcode !== event.payload.barcode.trim().toUpperCase()) return reject('parcel.barcode_mismatch')
      return applied
    }

    case 'payment.qr_shown': {
      const check = orderOnManifest(state, shift, event.payload.orderId)
      if ('verdict' in check) return check.verdict
      return intentOfOrder(state, check.order, event.payload.intentId) ? applied : reject('intent.not_for_order')
    }

    case 'intent.cancelled': {
      const check = orderOnManifest(state, shift, event.payload.orderId)
      if ('verdict' in check) return check.verdict
      const intent = intentOfOrder(state, check.order, event.payload.intentId)
      if (!intent) return reject('intent.not_for_order')
      if (intent.status === 'pending') {
        effects.cancelIntents.add(intent.id)
        intent.status = 'cancelled'
      }
      return applied
    }

    case 'payment.confirmed': {
      const check = orderOnManifest(state, shift, event.payload.orderId)
      if ('verdict' in check) return check.verdict
      const intent = intentOfOrder(state, check.order, event.payload.intentId)
      if (!intent) return reject('intent.not_for_order')
      const { amountFen, transactionId, receipt, via } = event.payload
      if (amountFen !== intent.amount_fen) return reject('amount.mismatch')
      if (via === 'receipt') {
        if (!receipt) return reject('receipt.missing')
        let claims
        try {
          claims = parseReceiptToken(receipt).receipt
        } catch {
          return reject('receipt.malformed')
        }
        if (claims.intentId !== intent.id || claims.amountFen !== amountFen || claims.transactionId !== transactionId) {
          return reject('receipt.mismatch')
        }
        // Without the key (acquirer never reached yet) the signature waits for settlement, which asks the
        // acquirer itself; a bad signature is refused at once.
        if (state.receiptKey && !receiptSignatureValid(receipt, state.receiptKey))
          return reject('receipt.bad_signature')
      }
      if (intent.status === 'paid') {
        return intent.transaction_id === transactionId ? applied : reject('payment.transaction_mismatch')
      }
      ensureSettlement(state, effects, shift, intent, 'confirmed', amountFen, nowMs)
      return applied
    }

    case 'payment.unverified': {
      const check = orderOnManifest(state, shift, event.payload.orderId)
      if ('verdict' in check) return check.verdict
      const intent = intentOfOrder(state, check.order, event.payload.intentId)
      if (!intent) return reject('intent.not_for_order')
      const amount = event.payload.amountFen
      if (amount !== intent.amount_fen) return reject('amount.mismatch')
      const depot = state.depots.get(shift.depot_id)!
      if (amount > depot.unverified_per_order_fen) return reject('unverified.over_order_limit')
      const used = state.unverifiedByShift.get(shift.id) ?? 0
      if (used + amount > depot.unverified_per_shift_fen) return reject('unverified.over_shift_limit')
      state.unverifiedByShift.set(shift.id, used + amount)
      ensureSettlement(state, effects, shift, intent, 'unverified', amount, nowMs)
      return applied
    }

    case 'stop.moved': {
      if (!shift.route_id) return reject('stop.no_route')
      const current = state.routeStops.get(shift.route_id)
      if (!current || !current.includes(event.payload.stopId)) return reject('stop.not_on_route')
      // The device lists every stop it holds; the route's own must all be there, each once (stops taken over from
      // another route keep their place at the end).
      const own = event.payload.order.filter((id) => current.includes(id))
      if (own.length !== current.length || new Set(own).size !== own.length) return reject('stop.order_mismatch')
      state.routeStops.set(shift.route_id, own)
      effects.stopOrders.set(shift.route_id, {
        order: own,
        stopId: event.payload.stopId,
        skippedReason: event.payload.move === 'skip' ? event.payload.reason : null,
      })
      return applied
    }

    case 'call.attempted': {
      const check = orderOnManifest(state, shift, event.payload.orderId)
      if ('verdict' in check) return check.verdict
      const binding = state.callBindings.get(event.payload.bindingId)
      return binding && binding.order_id === check.order.id ? applied : reject('call.binding_unknown')
    }

    case 'proof.code_checked':
    case 'proof.overridden': {
      const check = orderOnManifest(state, shift, event.payload.orderId)
      if ('verdict' in check) return check.verdict
      return event.payload.attempt === check.order.attempt ? applied : reject('delivery.attempt_mismatch')
    }

    case 'proof.evidence_captured': {
      const check = orderOnManifest(state, shift, event.payload.orderId)
      if ('verdict' in check) return check.verdict
      if (event.payload.attempt !== check.order.attempt) return reject('delivery.attempt_mismatch')
      if (state.evidenceIds.has(event.payload.evidenceId)) return reject('evidence.id_reused')
      state.evidenceIds.add(event.payload.evidenceId)
      effects.evidence.push({
        id: event.payload.evidenceId,
        device_id: state.deviceId,
        depot_id: shift.depot_id,
        order_id: check.order.id,
        attempt: event.payload.attempt,
        kind: event.payload.kind,
        mime: event.payload.mime,
        sha256: event.payload.sha256,
        bytes: event.payload.bytes,
        // Captured when the courier acted: the event's time, corrected and bounded like every courier time.
        captured_at: occurredAt,
        captured_ms: occurredMs,
        event_id: event.eventId,
        created_ms: nowMs,
        stored_ms: null,
        deleted_ms: null,
      })
      return applied
    }

    case 'delivery.undone': {
      const check = orderOnManifest(state, shift, event.payload.orderId)
      if ('verdict' in check) return check.verdict
      const order = check.order
      const key = `${order.id}:${event.payload.attempt}`
      const inBatch = effects.attempts.findIndex((a) => `${a.order_id}:${a.attempt}` === key)
      const attempt = inBatch >= 0 ? effects.attempts[inBatch]! : state.attemptRows.get(key)
      if (!attempt || order.attempt !== event.payload.attempt) return reject('undo.nothing_to_undo')
      if (attempt.device_id !== state.deviceId) return reject('undo.other_device')
      if (attempt.outcome !== event.payload.outcome || attempt.method !== event.payload.method) {
        return reject('undo.outcome_mismatch')
      }
      // A digital payment the acquirer confirmed goes the refund way; only what the courier alone decided undoes.
      if (attempt.method === 'digital' || attempt.method === 'split') return reject('undo.digital')
      const elapsed = occurredMs - attempt.occurred_ms
      if (elapsed < 0 || elapsed > state.undoWindowMs) return reject('undo.window_passed')
      state.attempts.delete(key)
      state.attemptRows.delete(key)
      if (inBatch >= 0) effects.attempts.splice(inBatch, 1)
      else effects.undone.push(attempt)
      Object.assign(order, {
        status: 'pending',
        delivered_method: null,
        collected_cash_fen: 0,
        failure_reason: null,
        closed_at: null,
        closed_ms: null,
      })
      effects.changedOrders.add(order.id)
      return applied
    }

    case 'delivery.completed':
    case 'delivery.failed': {
      const check = orderOnManifest(state, shift, event.payload.orderId)
      if ('verdict' in check) return check.verdict
      const order = check.order
      const attemptKey = `${order.id}:${event.payload.attempt}`
      if (state.attempts.has(attemptKey)) return reject('delivery.already_recorded')
      if (order.status === 'cancelled') return reject('order.cancelled')
      if (event.payload.attempt !== order.attempt) return reject('delivery.attempt_mismatch')
      if (order.status !== 'pending') return reject('delivery.already_recorded')

      if (event.type === 'delivery.failed') {
        state.attempts.add(attemptKey)
        effects.attempts.push({
          order_id: order.id,
          attempt: event.payload.attempt,
          outcome: 'failed',
          method: null,
          due_fen: order.cod_fen,
          collected_fen: 0,
          intent_id: null,
          failure_reason: event.payload.reason,
          occurred_at: occurredAt,
          occurred_ms: occurredMs,
          device_id: state.deviceId,
          shift_id: shift.id,
          seq: event.seq,
        })
        Object.assign(order, {
          status: 'failed',
          failure_reason: event.payload.reason,
          closed_at: occurredAt,
          closed_ms: occurredMs,
        })
        effects.changedOrders.add(order.id)
        return applied
      }

      const { method, dueFen, collectedFen, intentId } = event.payload
      if (dueFen !== order.cod_fen) return reject('amount.due_mismatch')
      let intent: PaymentIntentTable | null = null
      if (method === 'prepaid') {
        if (order.cod_fen !== 0) return reject('delivery.method_mismatch')
        if (collectedFen !== 0) return reject('amount.collected_mismatch')
      } else {
        if (order.cod_fen === 0) return reject('delivery.method_mismatch')
        // Cash short or over the amount due is the courier's confirmed statement of what the customer handed
        // over: it is recorded as taken, and the depot reconciles it. Digital money must match the intent.
        if (method === 'digital' && collectedFen !== dueFen) return reject('amount.collected_mismatch')
        if (method === 'digital') {
          if (!intentId) return reject('intent.missing')
          intent = intentOfOrder(state, order, intentId)
          if (!intent) return reject('intent.not_for_order')
          if (intent.amount_fen !== dueFen) return reject('amount.mismatch')
        }
        if (method === 'split') {
          // Two collections on one order: the digital part through its own intent, the rest counted in cash.
          if (!intentId) return reject('intent.missing')
          intent = intentOfOrder(state, order, intentId)
          if (!intent) return reject('intent.not_for_order')
          if (intent.split_key === null || intent.amount_fen >= dueFen) return reject('split.not_a_part')
          if (collectedFen !== dueFen - intent.amount_fen) return reject('amount.collected_mismatch')
        }
      }

      state.attempts.add(attemptKey)
      effects.attempts.push({
        order_id: order.id,
        attempt: event.payload.attempt,
        outcome: 'delivered',
        method,
        due_fen: dueFen,
        collected_fen: collectedFen,
        intent_id: intent?.id ?? null,
        failure_reason: null,
        occurred_at: occurredAt,
        occurred_ms: occurredMs,
        device_id: state.deviceId,
        shift_id: shift.id,
        seq: event.seq,
      })
      Object.assign(order, {
        status: 'delivered',
        delivered_method: method,
        collected_cash_fen: method === 'cash' || method === 'split' ? collectedFen : 0,
        closed_at: occurredAt,
        closed_ms: occurredMs,
      })
      effects.changedOrders.add(order.id)

      if (method === 'digital' && intent && intent.status !== 'paid') {
        ensureSettlement(state, effects, shift, intent, 'confirmed', collectedFen, nowMs)
      }
      if (method === 'split' && intent) {
        if (intent.status !== 'paid')
          ensureSettlement(state, effects, shift, intent, 'confirmed', intent.amount_fen, nowMs)
        // The rest was taken in cash: no other intent of the order may be paid from now on.
        for (const open of state.intents.values()) {
          if (open.order_id === order.id && open.id !== intent.id && open.status === 'pending') {
            effects.cancelIntents.add(open.id)
            open.status = 'cancelled'
          }
        }
      }
      if (method === 'cash') {
        // Cash was taken: stop the QR from being paid later, and flag money that already moved digitally.
        for (const open of state.intents.values()) {
          if (open.order_id === order.id && open.status === 'pending') {
            effects.cancelIntents.add(open.id)
            open.status = 'cancelled'
          }
        }
        for (const payment of state.payments.get(order.id) ?? []) {
          const late = payment.paid_ms >= occurredMs
          effects.flags.push({
            depotId: order.depot_id,
            orderId: order.id,
            courierId: order.courier_id,
            kind: late ? 'late_payment_after_cash' : 'double_payment',
            intentId: payment.intent_id,
            transactionId: payment.transaction_id,
            amountFen: payment.amount_fen,
            dedupeKey: payment.transaction_id,
            note: late ? 'paid digitally after cash was taken' : 'paid digitally, then cash was taken as well',
          })
        }
      }
      return applied
    }
  }
}
