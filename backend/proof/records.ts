import type { Kysely } from 'kysely'
import { DeliveryMethod } from '../../shared/api/events'
import { z } from 'zod'
import {
  Handover,
  OverrideReason,
  ProofKind,
  policyFor,
  type ProofRecord,
  type ProofsResponse,
} from '../../shared/api/proof'
import { EvidenceKind, EvidenceMime, type EvidenceRecord } from '../../shared/api/evidence'
import { OrderId, StaffId, Timestamp } from '../../shared/api/ids'
import type { BackendSchema } from '../db/schema'
import { depotProofRules } from './rules'

const CodeChecked = z.object({ attempt: z.number().int().min(1), ok: z.boolean(), tries: z.number().int().min(1) })
const Overridden = z.object({
  attempt: z.number().int().min(1),
  reason: OverrideReason,
  note: z.string().max(200).nullable(),
  waived: z.array(ProofKind).max(3),
})
const Completed = z.object({ attempt: z.number().int().min(1), method: DeliveryMethod, handover: Handover.optional() })
const Failed = z.object({ attempt: z.number().int().min(1) })

const parse = <T>(schema: z.ZodType<T>, text: string): T | null => {
  try {
    return schema.safeParse(JSON.parse(text)).data ?? null
  } catch {
    return null
  }
}

/**
 * Each delivery of the depot's day whose policy asked for proof or that has proof events: what was asked, the
 * code tries and whether one was right, the override and its reason. Read from the applied device events (the
 * record of what the courier did), so nothing is kept twice; an unreadable stored event is left out, never a 500.
 */
export async function proofsOfDay(db: Kysely<BackendSchema>, depotId: string, date: string): Promise<ProofsResponse> {
  const { rules } = await depotProofRules(db, depotId)
  const orders = await db
    .selectFrom('orders')
    .innerJoin('couriers', 'couriers.id', 'orders.courier_id')
    .select([
      'orders.id',
      'orders.waybill',
      'orders.attempt',
      'orders.cod_fen',
      'orders.status',
      'couriers.staff_id',
      'couriers.name',
    ])
    .where('orders.depot_id', '=', depotId)
    .where('orders.route_date', '=', date)
    .orderBy('orders.waybill')
    .execute()
  const events = await db
    .selectFrom('device_events')
    .innerJoin('orders', 'orders.id', 'device_events.order_id')
    .select(['device_events.order_id', 'device_events.type', 'device_events.payload', 'device_events.occurred_at'])
    .where('orders.depot_id', '=', depotId)
    .where('orders.route_date', '=', date)
    .where('device_events.status', '=', 'applied')
    .where('device_events.type', 'in', [
      'proof.code_checked',
      'proof.overridden',
      'delivery.completed',
      'delivery.failed',
    ])
    .orderBy('device_events.occurred_ms')
    .execute()
  const evidenceRows = await db
    .selectFrom('evidence')
    .innerJoin('orders', 'orders.id', 'evidence.order_id')
    .select([
      'evidence.id',
      'evidence.order_id',
      'evidence.attempt',
      'evidence.kind',
      'evidence.mime',
      'evidence.bytes',
      'evidence.captured_at',
      'evidence.stored_ms',
      'evidence.deleted_ms',
    ])
    .where('orders.depot_id', '=', depotId)
    .where('orders.route_date', '=', date)
    .where('evidence.depot_id', '=', depotId)
    .orderBy('evidence.captured_ms')
    .execute()
  const evidenceByOrder = new Map<string, EvidenceRecord[]>()
  for (const row of evidenceRows) {
    const kind = EvidenceKind.safeParse(row.kind).data
    const mime = EvidenceMime.safeParse(row.mime).data
    if (!kind || !mime || !z.uuid().safeParse(row.id).success) continue
    const key = `${row.order_id}:${Number(row.attempt)}`
    evidenceByOrder.set(key, [
      ...(evidenceByOrder.get(key) ?? []),
      {
        evidenceId: row.id,
        kind,
        mime,
        bytes: Math.max(0, Math.min(Number(row.bytes) || 0, 1 << 30)),
        capturedAt: Timestamp.safeParse(row.captured_at).data ?? null,
        status: row.deleted_ms !== null ? 'deleted' : row.stored_ms !== null ? 'stored' : 'pending',
      },
    ])
  }
  const byOrder = new Map<string, typeof events>()
  for (const event of events) {
    if (event.order_id) byOrder.set(event.order_id, [...(byOrder.get(event.order_id) ?? []), event])
  }

  const proofs: ProofRecord[] = []
  for (const order of orders) {
    const attempt = Number(order.attempt)
    if (!Number.isSafeInteger(attempt) || attempt < 1) continue
    if (!OrderId.safeParse(order.id).success || !StaffId.safeParse(order.staff_id).success) continue
    const codFen = Math.max(0, Math.min(Number(order.cod_fen) || 0, 10_000_000_000))
    let handover: Handover | null = null
    let outcome: ProofRecord['outcome'] = 'open'
    let codeVerified = false
    let codeTries = 0
    let override: ProofRecord['override'] = null
    let at: string | null = null
    for (const event of byOrder.get(order.id) ?? []) {
      const time = Timestamp.safeParse(event.occurred_at).data ?? null
      if (event.type === 'proof.code_checked') {
        const body = parse(CodeChecked, event.payload)
        if (!body || body.attempt !== attempt) continue
        codeTries = Math.max(codeTries, Math.min(body.tries, 10))
        codeVerified ||= body.ok
      } else if (event.type === 'proof.overridden') {
        const body = parse(Overridden, event.payload)
        if (!body || body.attempt !== attempt || !time) continue
        override = { reason: body.reason, note: body.note, waived: body.waived, at: time }
      } else if (event.type === 'delivery.completed') {
        const body = parse(Completed, event.payload)
        if (!body || body.attempt !== attempt) continue
        outcome = 'delivered'
        handover = body.handover ?? 'recipient'
        at = time
      } else {
        const body = parse(Failed, event.payload)
        if (!body || body.attempt !== attempt) continue
        outcome = 'failed'
        at = time
      }
    }
    const policy = policyFor(rules, codFen)
    const required = outcome === 'failed' ? policy.notHome.requires : policy.handover[handover ?? 'recipient']
    const evidence = evidenceByOrder.get(`${order.id}:${attempt}`) ?? []
    if (
      required.length === 0 &&
      codeTries === 0 &&
      !override &&
      evidence.length === 0 &&
      (handover ?? 'recipient') === 'recipient'
    )
      continue
    const captured = new Set(evidence.map((e) => e.kind))
    const unmet =
      outcome === 'open' || override
        ? []
        : required.filter(
            (req) => !(req.includes('code') && codeVerified) && !req.some((k) => k !== 'code' && captured.has(k)),
          )
    proofs.push({
      orderId: order.id,
      waybill: String(order.waybill).slice(0, 64),
      attempt,
      staffId: order.staff_id,
      courierName: String(order.name).slice(0, 100),
      outcome,
      handover,
      codFen,
      required,
      codeVerified,
      codeTries,
      override,
      evidence,
      unmet,
      at,
    })
  }

  const byCourier = new Map<string, { staffId: string; withProof: number; overrides: number }>()
  for (const proof of proofs) {
    const entry = byCourier.get(proof.staffId) ?? { staffId: proof.staffId, withProof: 0, overrides: 0 }
    if (
      proof.outcome !== 'open' &&
      !proof.override &&
      proof.unmet.length === 0 &&
      (proof.codeVerified || proof.required.length > 0 || proof.evidence.length > 0)
    )
      entry.withProof++
    if (proof.override) entry.overrides++
    byCourier.set(proof.staffId, entry)
  }
  const couriers = [...byCourier.values()].sort((a, b) => a.staffId.localeCompare(b.staffId))
  return {
    date,
    proofs,
    totals: {
      withProof: couriers.reduce((sum, c) => sum + c.withProof, 0),
      overrides: couriers.reduce((sum, c) => sum + c.overrides, 0),
      byCourier: couriers,
    },
  }
}
