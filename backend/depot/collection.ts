import type { Kysely } from 'kysely'
import { FINAL_CHARGE_STATES } from '../../shared/api/charges'
import type { CollectionInProgress } from '../../shared/api/depot-routes'
import type { BackendSchema } from '../db/schema'

/**
 * Whether a collection is in progress for an open order, as the backend knows it: a customer's code being
 * charged (not yet paid, failed or revoked), a payment the acquirer confirmed that no delivery closed yet, or a QR
 * the courier showed whose intent can still be paid. Such an order must not change hands: the money is on its way
 * to the courier who has it. Null when none. Read inside the caller's transaction.
 */
export async function collectionInProgress(
  db: Kysely<BackendSchema>,
  orderId: string,
  nowMs: number,
): Promise<CollectionInProgress | null> {
  const charge = await db
    .selectFrom('charges')
    .select('charge_no')
    .where('order_id', '=', orderId)
    .where('status', 'not in', [...FINAL_CHARGE_STATES])
    .executeTakeFirst()
  if (charge) return 'charge_open'
  const paid = await db
    .selectFrom('payments')
    .select('transaction_id')
    .where('order_id', '=', orderId)
    .where('outcome', '=', 'succeeded')
    .executeTakeFirst()
  if (paid) return 'paid_not_completed'
  const shown = await db
    .selectFrom('device_events')
    .innerJoin('payment_intents', 'payment_intents.order_id', 'device_events.order_id')
    .select('device_events.seq')
    .where('device_events.order_id', '=', orderId)
    .where('device_events.type', '=', 'payment.qr_shown')
    .where('device_events.status', '=', 'applied')
    .where('payment_intents.status', '=', 'pending')
    .where('payment_intents.expires_ms', '>', nowMs)
    .executeTakeFirst()
  return shown ? 'qr_shown' : null
}
