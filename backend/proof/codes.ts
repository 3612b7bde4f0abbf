import { z } from 'zod'
import { DELIVERY_CODE_MAX_ATTEMPTS, DeliveryCodeCheck } from '../../shared/api/proof'
import { deliveryCodeCheck, newDeliveryCode } from '../../shared/delivery-code'
import type { BackendContext } from '../context'
import type { OrderTable } from '../db/schema'

/** Codes are hashed a few at a time (scrypt is slow on purpose), off the event loop in libuv's pool. */
const CODE_CONCURRENCY = 2

/**
 * The delivery code check of each order's current attempt, issuing one where there is none yet: a fresh code is
 * hashed with its own salt, stored as the hash alone, and sent to the recipient by SMS once stored. Of two
 * manifests built at once, the first insert wins and only it sends, so a recipient gets one code per attempt.
 */
export async function deliveryCodeChecks(
  context: BackendContext,
  orders: readonly OrderTable[],
): Promise<Map<string, DeliveryCodeCheck>> {
  const result = new Map<string, DeliveryCodeCheck>()
  if (orders.length === 0) return result
  const stored = await context.db
    .selectFrom('delivery_codes')
    .selectAll()
    .where(
      'order_id',
      'in',
      orders.map((o) => o.id),
    )
    .execute()
  const byKey = new Map(stored.map((row) => [`${row.order_id}:${Number(row.attempt)}`, row]))
  const checkOf = (row: { salt: string; hash: string }): DeliveryCodeCheck | null =>
    DeliveryCodeCheck.safeParse({
      algorithm: 'scrypt',
      salt: row.salt,
      hash: row.hash,
      N: 32_768,
      r: 8,
      p: 1,
      maxAttempts: DELIVERY_CODE_MAX_ATTEMPTS,
    }).data ?? null
  const missing: OrderTable[] = []
  for (const order of orders) {
    const row = byKey.get(`${order.id}:${order.attempt}`)
    const check = row ? checkOf(row) : null
    if (check) result.set(order.id, check)
    else if (!row) missing.push(order)
  }
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < missing.length) {
      const order = missing[next++]!
      const code = newDeliveryCode()
      const check = await deliveryCodeCheck(code, DELIVERY_CODE_MAX_ATTEMPTS)
      const inserted = await context.db
        .insertInto('delivery_codes')
        .values({
          order_id: order.id,
          attempt: order.attempt,
          salt: check.salt,
          hash: check.hash,
          created_ms: context.now(),
        })
        .onConflict((oc) => oc.columns(['order_id', 'attempt']).doNothing())
        .executeTakeFirst()
      if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 1) {
        result.set(order.id, check)
        await context.sms?.send({
          to: order.recipient_phone,
          orderId: order.id,
          waybill: order.waybill,
          text: `【妥投】您的快递 ${order.waybill} 签收码 ${code}，请在快递员送达时出示。Your delivery code: ${code}`,
        })
      } else {
        const row = await context.db
          .selectFrom('delivery_codes')
          .select(['salt', 'hash'])
          .where('order_id', '=', order.id)
          .where('attempt', '=', order.attempt)
          .executeTakeFirst()
        const won = row ? checkOf(row) : null
        if (won) result.set(order.id, won)
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(CODE_CONCURRENCY, missing.length) }, worker))
  return result
}

const CodeChecked = z.object({ attempt: z.number().int().min(1), ok: z.boolean(), tries: z.number().int().min(1) })

/**
 * The delivery-code tries the backend holds for each order's current attempt (applied `proof.code_checked`
 * events from any terminal): the most tries counted and whether one was right. An unreadable stored event is
 * left out.
 */
export async function codeTriesHeld(
  context: BackendContext,
  orders: readonly OrderTable[],
): Promise<Map<string, { used: number; verified: boolean }>> {
  const result = new Map<string, { used: number; verified: boolean }>()
  if (orders.length === 0) return result
  const attempts = new Map(orders.map((o) => [o.id, o.attempt]))
  const rows = await context.db
    .selectFrom('device_events')
    .select(['order_id', 'payload'])
    .where('type', '=', 'proof.code_checked')
    .where('status', '=', 'applied')
    .where('order_id', 'in', [...attempts.keys()])
    .execute()
  for (const row of rows) {
    if (!row.order_id) continue
    let body: z.infer<typeof CodeChecked> | null
    try {
      body = CodeChecked.safeParse(JSON.parse(row.payload)).data ?? null
    } catch {
      body = null
    }
    if (!body || body.attempt !== attempts.get(row.order_id)) continue
    const seen = result.get(row.order_id) ?? { used: 0, verified: false }
    result.set(row.order_id, {
      used: Math.min(10, Math.max(seen.used, body.tries)),
      verified: seen.verified || body.ok,
    })
  }
  return result
}
