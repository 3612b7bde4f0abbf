import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import { API_PREFIX } from '../../shared/api/common'
import { DeliveryMethod, FailureReason } from '../../shared/api/events'
import { ShiftId, Timestamp } from '../../shared/api/ids'
import { policyFor, policyNeedsCode, type ManifestProof, type ProofPolicy } from '../../shared/api/proof'
import { RefundState, SettlementVerdict } from '../../shared/api/closure'
import { Manifest, type ManifestOrder, type ManifestStop } from '../../shared/api/shift'
import type { BackendContext } from '../context'
import type { Kysely } from 'kysely'
import type { BackendSchema, OrderTable, PaymentIntentTable, ShiftTable } from '../db/schema'
import { defineRoute, type RouteTable } from '../http/routes'
import { ensureOrderIntent, toPaymentIntent } from '../intents/service'
import { codeTriesHeld, deliveryCodeChecks } from '../proof/codes'
import { depotProofRules } from '../proof/rules'
import { requireOwnShift } from '../shifts/auth'
import { maskName, maskPhone } from './masking'

const ManifestParams = z.object({ shiftId: ShiftId })

/** Intents are created with the acquirer a few at a time: fast at shift start, gentle on the acquirer. */
const INTENT_CONCURRENCY = 4

async function eachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < items.length) await work(items[next++]!)
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
}

/**
 * How a delivered or failed order was closed, as recorded (by whichever of the courier's terminals did it): a
 * device that did not see it shows it closed and counts its money the same way.
 */
function closedOutcome(order: OrderTable): ManifestOrder['outcome'] {
  if (order.status !== 'delivered' && order.status !== 'failed') return null
  const method = order.status === 'delivered' ? (DeliveryMethod.safeParse(order.delivered_method).data ?? null) : null
  return {
    method,
    // A split counts its cash part here, as the device records it; its digital part is its intent's payment.
    collectedFen:
      method === 'cash' || method === 'split' ? order.collected_cash_fen : method === 'digital' ? order.cod_fen : 0,
    failureReason: order.status === 'failed' ? (FailureReason.safeParse(order.failure_reason).data ?? null) : null,
    // A stored time the schema would refuse must not take the whole manifest down with it.
    closedAt: Timestamp.safeParse(order.closed_at).success ? order.closed_at : null,
  }
}

/**
 * The money after the door for the courier's orders: their refunds, and the verdict on a "paid, to be verified"
 * claim once the acquirer's records settled it. A row whose stored state the contract refuses is left out rather
 * than taking the manifest down.
 */
async function orderMoney(
  db: Kysely<BackendSchema>,
  orderIds: readonly string[],
): Promise<Map<string, NonNullable<ManifestOrder['money']>>> {
  const result = new Map<string, NonNullable<ManifestOrder['money']>>()
  if (orderIds.length === 0) return result
  const [refunds, settlements] = await Promise.all([
    db
      .selectFrom('refunds')
      .select(['order_id', 'intent_id', 'refund_no', 'amount_fen', 'status'])
      .where('order_id', 'in', orderIds)
      .orderBy('created_ms')
      .execute(),
    db
      .selectFrom('settlements')
      .select(['order_id', 'intent_id', 'status'])
      .where('order_id', 'in', orderIds)
      .where('kind', '=', 'unverified')
      .orderBy('created_ms')
      .execute(),
  ])
  const of = (orderId: string): NonNullable<ManifestOrder['money']> => {
    let entry = result.get(orderId)
    if (!entry) result.set(orderId, (entry = { refunds: [], settlement: null }))
    return entry
  }
  for (const refund of refunds) {
    const status = RefundState.safeParse(refund.status)
    if (!status.success) continue
    const entry = of(refund.order_id)
    if (entry.refunds.length >= 20) continue
    entry.refunds.push({
      orderId: refund.order_id,
      intentId: refund.intent_id,
      refundNo: refund.refund_no,
      amountFen: Number(refund.amount_fen),
      status: status.data,
    })
  }
  for (const settlement of settlements) {
    const verdict = SettlementVerdict.safeParse(settlement.status)
    if (verdict.success) of(settlement.order_id).settlement = { intentId: settlement.intent_id, verdict: verdict.data }
  }
  return result
}

const asksNothing = (policy: ProofPolicy): boolean =>
  Object.values(policy.handover).every((reqs) => reqs.length === 0) &&
  policy.notHome.requires.length === 0 &&
  !policy.notHome.call

/**
 * Each open order's proof policy from the depot's rules, with its delivery code's check where the policy can ask
 * for one (issued and sent now if the attempt has none). An order that needs nothing carries nothing.
 */
async function orderProofs(
  context: BackendContext,
  depotId: string,
  open: readonly OrderTable[],
): Promise<Map<string, ManifestProof>> {
  const { rules } = await depotProofRules(context.db, depotId)
  const policies = new Map(open.map((order) => [order.id, policyFor(rules, order.cod_fen)]))
  const codes = await deliveryCodeChecks(
    context,
    open.filter((order) => policyNeedsCode(policies.get(order.id)!)),
  )
  const tries = await codeTriesHeld(context, open)
  const result = new Map<string, ManifestProof>()
  for (const [orderId, policy] of policies) {
    if (asksNothing(policy)) continue
    const held = tries.get(orderId)
    result.set(orderId, { policy, code: codes.get(orderId) ?? null, ...(held ? { codeTries: held } : {}) })
  }
  return result
}

/**
 * Everything the courier needs at the door for one shift: the stops in route order, each order's parcels and
 * masked recipient, the amount due, a payable intent for every open COD order (created here, ahead of time),
 * and the acquirer's receipt key for checking receipts offline.
 */
export async function buildManifest(context: BackendContext, shift: ShiftTable): Promise<Manifest> {
  const orders = await context.db
    .selectFrom('orders')
    .selectAll()
    .where((eb) =>
      eb.or([
        ...(shift.route_id ? [eb('route_id', '=', shift.route_id)] : []),
        eb.and([eb('courier_id', '=', shift.courier_id), eb('route_date', '=', shift.route_date)]),
      ]),
    )
    .orderBy('position')
    .execute()
  const orderIds = orders.map((order) => order.id)
  const stopIds = [...new Set(orders.map((order) => order.stop_id))]
  const [stops, parcels, intents, route] = await Promise.all([
    stopIds.length ? context.db.selectFrom('stops').selectAll().where('id', 'in', stopIds).execute() : [],
    orderIds.length
      ? context.db.selectFrom('parcels').selectAll().where('order_id', 'in', orderIds).orderBy('idx').execute()
      : [],
    orderIds.length
      ? context.db.selectFrom('payment_intents').selectAll().where('order_id', 'in', orderIds).execute()
      : [],
    shift.route_id
      ? context.db.selectFrom('routes').select('version').where('id', '=', shift.route_id).executeTakeFirst()
      : undefined,
  ])

  const latest = new Map<string, PaymentIntentTable>()
  for (const intent of intents) {
    const seen = latest.get(intent.order_id)
    if (!seen || intent.attempt > seen.attempt) latest.set(intent.order_id, intent)
  }
  const mine = (order: OrderTable): boolean => order.courier_id === shift.courier_id
  await eachLimited(
    orders.filter((order) => mine(order) && order.cod_fen > 0 && order.status === 'pending'),
    INTENT_CONCURRENCY,
    async (order) => {
      const intent = await ensureOrderIntent(context, order, shift.device_id, latest.get(order.id))
      if (intent) latest.set(order.id, intent)
    },
  )
  const keys = await context.acquirer.keys()
  const proofs = await orderProofs(
    context,
    shift.depot_id,
    orders.filter((o) => mine(o) && o.status === 'pending'),
  )

  const money = await orderMoney(
    context.db,
    orders.filter(mine).map((order) => order.id),
  )

  const parcelsByOrder = new Map<string, typeof parcels>()
  for (const parcel of parcels)
    parcelsByOrder.set(parcel.order_id, [...(parcelsByOrder.get(parcel.order_id) ?? []), parcel])
  const now = context.now()
  const toOrder = (order: OrderTable): ManifestOrder => {
    const intent = mine(order) ? latest.get(order.id) : undefined
    return {
      orderId: order.id,
      waybill: order.waybill,
      codFen: order.cod_fen,
      recipient: { maskedName: maskName(order.recipient_name), maskedPhone: maskPhone(order.recipient_phone) },
      address: order.address,
      parcels: (parcelsByOrder.get(order.id) ?? []).map((parcel) => ({
        parcelId: parcel.id,
        barcode: parcel.barcode,
        index: parcel.idx,
        count: parcel.count,
      })),
      // An order taken off this courier stays listed as reassigned, so the device drops it knowingly.
      status: mine(order) ? order.status : 'reassigned',
      attempt: order.attempt,
      intent: order.cod_fen > 0 && intent ? toPaymentIntent(intent, now) : null,
      outcome: closedOutcome(order),
      ...(proofs.has(order.id) ? { proof: proofs.get(order.id)! } : {}),
      ...(mine(order) && money.has(order.id) ? { money: money.get(order.id)! } : {}),
    }
  }

  const stopById = new Map(stops.map((stop) => [stop.id, stop]))
  const own = stops.filter((stop) => orders.some((o) => o.stop_id === stop.id && o.route_id === shift.route_id))
  own.sort((a, b) => a.sequence - b.sequence)
  const result: ManifestStop[] = own.map((stop) => ({
    stopId: stop.id,
    sequence: stop.sequence,
    address: stop.address,
    orders: orders.filter((o) => o.stop_id === stop.id).map(toOrder),
  }))
  // Orders reassigned to this courier from another route follow at the end, in their old route's order.
  let sequence = result.at(-1)?.sequence ?? 0
  const transferred = orders.filter((o) => o.route_id !== shift.route_id && mine(o))
  for (const stopId of [...new Set(transferred.map((o) => o.stop_id))]) {
    const stop = stopById.get(stopId)!
    result.push({
      stopId: stop.id,
      sequence: ++sequence,
      address: stop.address,
      orders: transferred.filter((o) => o.stop_id === stopId).map(toOrder),
    })
  }

  return {
    shiftId: shift.id,
    courierId: shift.courier_id,
    depotId: shift.depot_id,
    routeDate: shift.route_date,
    version: route?.version ?? 1,
    generatedAt: new Date(now).toISOString(),
    acquirer: { acquirerId: keys.acquirerId, receiptPublicKey: keys.receiptPublicKey },
    stops: result,
  }
}

/** `GET /api/v1/shifts/:shiftId/manifest` (that shift's token). */
export function registerManifestRoutes(app: FastifyInstance, routes: RouteTable, context: BackendContext): void {
  defineRoute(app, routes, {
    method: 'GET',
    url: `${API_PREFIX}/shifts/:shiftId/manifest`,
    summary: "The shift's manifest: stops, parcels, masked recipients, amounts, intents created ahead, receipt key",
    tag: 'shifts',
    auth: 'shift',
    params: ManifestParams,
    response: Manifest,
    errors: [
      { status: 401, code: 'auth.missing' },
      { status: 401, code: 'auth.expired' },
      { status: 403, code: 'auth.forbidden' },
      { status: 503, code: 'acquirer.unavailable' },
    ],
    handler: async ({ params, caller }) => {
      const shift = requireOwnShift(caller, params.shiftId)
      return buildManifest(context, shift)
    },
  })
}
