import { sql, type Kysely } from 'kysely'
import { pastDeadline, slicedPass, startBackgroundLoop, type BackgroundLoop } from '../background'
import type { BackendContext } from '../context'
import type { BackendSchema } from '../db/schema'
import { applyAcquirerRecord } from '../intents/service'

const CLAIM_MS = 30_000
const BATCH = 20

/**
 * When the courier left the door for an intent: the order's close, else (the backend withdrew it: cash taken, the
 * order cancelled) its last check, else its expiry. Past this plus the bound, an intent must be final.
 */
export const doorLeftMs = sql<number>`case
  when orders.closed_ms is not null then orders.closed_ms
  when payment_intents.status = 'cancelled' then coalesce(payment_intents.checked_ms, payment_intents.expires_ms)
  else payment_intents.expires_ms end`

/** Intents with no final state whose bound has passed, oldest first (the depot's, or every depot's). */
export function intentsPastBound(db: Kysely<BackendSchema>, nowMs: number, afterMs: number, depotId?: string) {
  return db
    .selectFrom('payment_intents')
    .innerJoin('orders', 'orders.id', 'payment_intents.order_id')
    .leftJoin('intent_closure', 'intent_closure.intent_id', 'payment_intents.id')
    .select([
      'payment_intents.id',
      'payment_intents.order_id',
      'payment_intents.status',
      'payment_intents.amount_fen',
      'orders.waybill',
      'orders.courier_id',
      'intent_closure.attempts',
      'intent_closure.next_check_ms',
      'intent_closure.claimed_until_ms',
      'intent_closure.last_error',
      doorLeftMs.as('door_left_ms'),
    ])
    .where('payment_intents.final_ms', 'is', null)
    .$if(depotId !== undefined, (query) => query.where('payment_intents.depot_id', '=', depotId!))
    .where(sql<boolean>`${doorLeftMs} + ${afterMs} <= ${nowMs}`)
    .orderBy(doorLeftMs)
}

/**
 * The reconciliation worker (DESIGN section 4a): an intent that has not reached a final state N minutes after the
 * courier left the door is asked about at the acquirer and settled. A payment it holds is recorded (and flagged
 * where it conflicts) as if its notification had arrived; one still payable, for an order the courier has left,
 * is withdrawn, and a withdrawal that finds it paid keeps the payment. Nothing stays unknown: while the acquirer
 * cannot be reached it retries with backoff, and the depot's closure list shows the intent meanwhile.
 */
export function startClosureWorker(context: BackendContext): BackgroundLoop & { drain(): Promise<number> } {
  const settle = async (intentId: string): Promise<void> => {
    let intent = await applyAcquirerRecord(context, await context.acquirer.getIntent(intentId))
    if (intent.final_ms === null) {
      intent = await applyAcquirerRecord(context, await context.acquirer.cancelIntent(intentId))
    }
    if (intent.final_ms === null) throw new Error(`the acquirer still holds ${intentId} as ${intent.status}`)
  }

  // Without a deadline (tests, `drain()`) it works through everything due; a pass stops at its slice.
  const drain = async (deadline = Number.POSITIVE_INFINITY): Promise<number> => {
    const { afterMs, retryBaseMs, retryMaxMs } = context.config.closure
    let settled = 0
    for (let batch = 0; ; batch++) {
      if (batch > 0 && pastDeadline(deadline)) return settled
      const now = context.now()
      const due = await intentsPastBound(context.db, now, afterMs)
        .where((eb) =>
          eb.or([eb('intent_closure.next_check_ms', 'is', null), eb('intent_closure.next_check_ms', '<=', now)]),
        )
        .where((eb) =>
          eb.or([eb('intent_closure.claimed_until_ms', 'is', null), eb('intent_closure.claimed_until_ms', '<', now)]),
        )
        .limit(BATCH)
        .execute()
      if (due.length === 0) return settled
      let progressed = false
      for (const row of due) {
        // Claimed by writing its schedule: an instance that cannot move it on leaves it to the one that did.
        const attempts = (row.attempts ?? 0) + 1
        const claimed =
          row.attempts === null
            ? await context.db
                .insertInto('intent_closure')
                .values({
                  intent_id: row.id,
                  attempts,
                  next_check_ms: now,
                  claimed_until_ms: now + CLAIM_MS,
                  last_error: null,
                })
                .onConflict((c) => c.column('intent_id').doNothing())
                .executeTakeFirst()
                .then((r) => Number(r.numInsertedOrUpdatedRows ?? 0))
            : await context.db
                .updateTable('intent_closure')
                .set({ attempts, claimed_until_ms: now + CLAIM_MS })
                .where('intent_id', '=', row.id)
                .where((eb) => eb.or([eb('claimed_until_ms', 'is', null), eb('claimed_until_ms', '<', now)]))
                .executeTakeFirst()
                .then((r) => Number(r.numUpdatedRows))
        if (claimed === 0) continue
        progressed = true
        try {
          await settle(row.id)
          await context.db.deleteFrom('intent_closure').where('intent_id', '=', row.id).execute()
          settled++
        } catch (error) {
          const delay = Math.min(retryMaxMs, retryBaseMs * 2 ** Math.min(attempts - 1, 16))
          await context.db
            .updateTable('intent_closure')
            .set({
              next_check_ms: context.now() + delay,
              claimed_until_ms: null,
              last_error: error instanceof Error ? error.message.slice(0, 500) : String(error),
            })
            .where('intent_id', '=', row.id)
            .execute()
          context.log.warn({ err: error, intentId: row.id, attempts }, 'intent not settled yet; will ask again')
        }
      }
      if (!progressed) return settled
    }
  }

  const loop = startBackgroundLoop(
    context.log,
    'closure worker pass failed',
    context.config.closure.pollMs,
    slicedPass(drain, () => context.config.closure.pollMs),
    context.listening,
  )
  return { ...loop, drain }
}
