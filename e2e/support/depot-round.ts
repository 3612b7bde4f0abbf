import type { DeviceEvent } from '../../shared/api/events'
import type { FailureReason } from '../../shared/api/events'
import type { Manifest, ManifestOrder } from '../../shared/api/shift'
import { EventWriter, type BackendApi } from '../../backend/testing/api'

/** What the courier does at one order. */
export type DoorOutcome =
  | { kind: 'cash' }
  | { kind: 'digital' }
  | { kind: 'prepaid' }
  | { kind: 'failed'; reason: FailureReason }
  /** Out of coverage: "paid, to be verified"; the customer pays the QR when told. */
  | { kind: 'unverified'; customerPays: boolean }

export interface RoundCourier {
  deviceId: string
  deviceToken: string
  shiftId: string
  shiftToken: string
  manifest: Manifest
  /** This device's outbox sequence so far. */
  events?: EventWriter
}

/** What a round added up to, as the terminal's shift summary counts it. */
export interface RoundTotals {
  delivered: number
  failed: number
  /** Digital money the acquirer confirmed. */
  digitalFen: number
  /** Digital deliveries on the device's word, not confirmed by the acquirer (yet). */
  awaitingFen: number
  cashFen: number
  prepaid: number
  failedByReason: Partial<Record<FailureReason, number>>
  /** Stop durations in ms, first scan to completion, courier's clock. */
  stopMs: number[]
}

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Plays a courier's round through the backend's API exactly as a terminal's outbox would report it: scans,
 * the QR shown, the customer paying at the sandbox acquirer (and the confirmation the device then saw), cash,
 * prepaid, failures with a reason, and "paid, to be verified" when out of coverage. The courier's times run
 * from `startMs`, a stop every `stepMs`. Pushes one batch per stop, so the backend sees the round unfold.
 */
export async function playRound(
  api: BackendApi,
  courier: RoundCourier,
  plan: (order: ManifestOrder, index: number) => DoorOutcome | null,
  options: { startMs: number; stepMs: number; onStop?: (index: number) => Promise<void> },
): Promise<RoundTotals> {
  const writer = courier.events ?? new EventWriter(courier.shiftId)
  courier.events = writer
  const totals: RoundTotals = {
    delivered: 0,
    failed: 0,
    digitalFen: 0,
    awaitingFen: 0,
    cashFen: 0,
    prepaid: 0,
    failedByReason: {},
    stopMs: [],
  }
  const orders = courier.manifest.stops.flatMap((stop) => stop.orders)
  let clock = options.startMs
  const at = (offsetMs: number): string => new Date(clock + offsetMs).toISOString()
  for (const [index, order] of orders.entries()) {
    const outcome = plan(order, index)
    if (!outcome) continue
    const events: DeviceEvent[] = []
    let offset = 0
    for (const parcel of order.parcels) {
      events.push(
        writer.next(
          {
            type: 'parcel.scanned',
            payload: { orderId: order.orderId, parcelId: parcel.parcelId, barcode: parcel.barcode, source: 'wedge' },
          },
          at(offset),
        ),
      )
      offset += 20_000
    }
    const complete = (method: 'cash' | 'digital' | 'prepaid', intentId: string | null) =>
      writer.next(
        {
          type: 'delivery.completed',
          payload: {
            orderId: order.orderId,
            attempt: 1,
            method,
            dueFen: order.codFen,
            collectedFen: order.codFen,
            intentId,
          },
        },
        at(offset + 60_000),
      )
    switch (outcome.kind) {
      case 'failed':
        events.push(
          writer.next(
            { type: 'delivery.failed', payload: { orderId: order.orderId, attempt: 1, reason: outcome.reason } },
            at(offset + 45_000),
          ),
        )
        totals.failed++
        totals.failedByReason[outcome.reason] = (totals.failedByReason[outcome.reason] ?? 0) + 1
        totals.stopMs.push(offset + 45_000)
        break
      case 'prepaid':
        if (order.codFen !== 0) throw new Error(`order ${order.waybill} is not prepaid`)
        events.push(complete('prepaid', null))
        totals.delivered++
        totals.prepaid++
        totals.stopMs.push(offset + 60_000)
        break
      case 'cash':
        events.push(complete('cash', null))
        totals.delivered++
        totals.cashFen += order.codFen
        totals.stopMs.push(offset + 60_000)
        break
      case 'digital': {
        const intent = order.intent!
        events.push(
          writer.next(
            { type: 'payment.qr_shown', payload: { orderId: order.orderId, intentId: intent.intentId } },
            at(offset),
          ),
        )
        await api.pay(intent.qrPayload)
        let paid = await api.intent(courier.shiftToken, intent.intentId)
        for (let tries = 0; paid.status !== 'paid' && tries < 100; tries++) {
          await wait(50)
          paid = await api.intent(courier.shiftToken, intent.intentId)
        }
        if (paid.status !== 'paid') throw new Error(`intent ${intent.intentId} was never paid`)
        events.push(
          writer.next(
            {
              type: 'payment.confirmed',
              payload: {
                orderId: order.orderId,
                intentId: intent.intentId,
                amountFen: order.codFen,
                via: 'push',
                transactionId: paid.transactionId!,
                paidAt: paid.paidAt!,
                receipt: null,
              },
            },
            at(offset + 50_000),
          ),
        )
        events.push(complete('digital', intent.intentId))
        totals.delivered++
        totals.digitalFen += order.codFen
        totals.stopMs.push(offset + 60_000)
        break
      }
      case 'unverified': {
        const intent = order.intent!
        events.push(
          writer.next(
            {
              type: 'payment.unverified',
              payload: { orderId: order.orderId, intentId: intent.intentId, amountFen: order.codFen },
            },
            at(offset + 50_000),
          ),
        )
        events.push(complete('digital', intent.intentId))
        totals.delivered++
        if (outcome.customerPays) {
          await api.pay(intent.qrPayload)
          totals.digitalFen += order.codFen
        } else {
          totals.awaitingFen += order.codFen
        }
        totals.stopMs.push(offset + 60_000)
        break
      }
    }
    await api.push(courier.deviceToken, courier.deviceId, events)
    await options.onStop?.(index)
    clock += options.stepMs
  }
  return totals
}

/** Declares the round's cash, as the courier does on the terminal's shift summary. */
export async function declareCash(api: BackendApi, courier: RoundCourier, declaredFen: number, atMs: number) {
  const writer = courier.events ?? new EventWriter(courier.shiftId)
  courier.events = writer
  await api.push(courier.deviceToken, courier.deviceId, [
    writer.next({ type: 'shift.cash_declared', payload: { declaredFen } }, new Date(atMs).toISOString()),
  ])
}
