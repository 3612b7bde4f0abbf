import type { BackendContext } from '../context'
import type { PaymentIntentTable } from '../db/schema'
import { refreshIntent } from './service'

/** The acquirer query in flight per intent, per backend: concurrent pollers of one intent share it. */
const inFlight = new WeakMap<BackendContext, Map<string, Promise<PaymentIntentTable>>>()

/**
 * Asks the acquirer about a pending intent at most once per `config.intentRecheckMs` (a second), however many
 * devices poll it at once and on however many instances: the query in flight here is shared, and across instances
 * the one whose UPDATE moves `checked_ms` on asks while the others answer what the database holds. Anything that
 * cannot be asked (not pending, asked just now) is answered as it stands.
 */
export async function refreshCoalesced(
  context: BackendContext,
  intent: PaymentIntentTable,
): Promise<PaymentIntentTable> {
  if (intent.status !== 'pending') return intent
  let running = inFlight.get(context)
  if (!running) {
    running = new Map<string, Promise<PaymentIntentTable>>()
    inFlight.set(context, running)
  }
  const shared = running.get(intent.id)
  if (shared) return shared
  const attempt = (async (): Promise<PaymentIntentTable> => {
    const now = context.now()
    const claimed = await context.db
      .updateTable('payment_intents')
      .set({ checked_ms: now })
      .where('id', '=', intent.id)
      .where('status', '=', 'pending')
      .where((eb) =>
        eb.or([eb('checked_ms', 'is', null), eb('checked_ms', '<=', now - context.config.intentRecheckMs)]),
      )
      .executeTakeFirst()
    if (Number(claimed.numUpdatedRows) > 0) return refreshIntent(context, intent)
    // Asked just now, here or on another instance: what the database holds is the answer.
    const stored = await context.db
      .selectFrom('payment_intents')
      .selectAll()
      .where('id', '=', intent.id)
      .executeTakeFirst()
    return stored ?? intent
  })().finally(() => running.delete(intent.id))
  running.set(intent.id, attempt)
  return attempt
}
