import { pastDeadline, slicedPass, startBackgroundLoop } from '../background'
import type { BackendContext } from '../context'
import type { Trx } from '../db/connect'
import type { IntentWithdrawalTable } from '../db/schema'
import { ApiError } from '../http/errors'
import { applyAcquirerRecord } from './service'

/**
 * How long one instance holds a withdrawal it is working on before another (or itself, restarted after a crash)
 * may take it over: longer than an acquirer call may take (its client gives up after 5 s).
 */
const CLAIM_MS = 15_000
const BATCH = 50
/** Withdrawals in flight at once: enough to keep up, few enough that ingest never queues behind them. */
const CONCURRENCY = 2

/**
 * Queues intents to withdraw at the acquirer, in the caller's transaction: the one that closed them (cash taken,
 * cancelled offline, the order cancelled or reassigned). Queuing one again changes nothing. Wake the worker
 * after the commit.
 */
export async function queueWithdrawals(
  trx: Trx,
  intents: readonly { intentId: string; depotId: string }[],
  nowMs: number,
): Promise<void> {
  for (let i = 0; i < intents.length; i += 100) {
    await trx
      .insertInto('intent_withdrawals')
      .values(
        intents.slice(i, i + 100).map(({ intentId, depotId }) => ({
          intent_id: intentId,
          depot_id: depotId,
          queued_ms: nowMs,
          attempts: 0,
          next_attempt_ms: nowMs,
          claimed_until_ms: null,
          done_ms: null,
          outcome: null,
          last_error: null,
        })),
      )
      .onConflict((c) => c.column('intent_id').doNothing())
      .execute()
  }
}

export interface WithdrawalWorker {
  /** Look for due withdrawals now. */
  wake(): void
  /** Works through everything due, once; for tests. */
  drain(): Promise<number>
  stop(): Promise<void>
}

/**
 * Drains the withdrawal queue: each due row is claimed (so another instance leaves it), the intent is
 * withdrawn at the acquirer (idempotent there, so a withdrawal interrupted by a crash is simply made again), and
 * the row is marked done once. If the acquirer says it was paid first, that payment is recorded (and flagged
 * where it conflicts) exactly as if its notification had arrived. While the acquirer cannot be reached, a row
 * waits with exponential backoff; one the acquirer refuses outright (it does not know the intent) is done, with
 * the refusal kept.
 */
export function startWithdrawalWorker(context: BackendContext): WithdrawalWorker {
  const withdraw = async (row: IntentWithdrawalTable): Promise<boolean> => {
    const now = context.now()
    const claimed = await context.db
      .updateTable('intent_withdrawals')
      .set({ claimed_until_ms: now + CLAIM_MS })
      .where('intent_id', '=', row.intent_id)
      .where('done_ms', 'is', null)
      .where((eb) => eb.or([eb('claimed_until_ms', 'is', null), eb('claimed_until_ms', '<', now)]))
      .executeTakeFirst()
    if (Number(claimed.numUpdatedRows) === 0) return false
    let outcome: IntentWithdrawalTable['outcome']
    let error: string | null = null
    try {
      const intent = await context.db
        .selectFrom('payment_intents')
        .select('status')
        .where('id', '=', row.intent_id)
        .executeTakeFirst()
      if (intent?.status === 'paid') {
        outcome = 'paid'
      } else {
        const record = await applyAcquirerRecord(context, await context.acquirer.cancelIntent(row.intent_id))
        outcome = record.status === 'paid' ? 'paid' : 'withdrawn'
      }
    } catch (failure) {
      if (!(failure instanceof ApiError && failure.code === 'acquirer.refused')) {
        const attempts = row.attempts + 1
        const { retryBaseMs, retryMaxMs } = context.config.withdrawals
        await context.db
          .updateTable('intent_withdrawals')
          .set({
            attempts,
            next_attempt_ms: context.now() + Math.min(retryMaxMs, retryBaseMs * 2 ** Math.min(attempts - 1, 16)),
            claimed_until_ms: null,
            last_error: failure instanceof Error ? failure.message.slice(0, 500) : String(failure),
          })
          .where('intent_id', '=', row.intent_id)
          .execute()
        context.log.info({ err: failure, intentId: row.intent_id, attempts }, 'intent withdrawal will be retried')
        return false
      }
      outcome = 'refused'
      error = failure.message.slice(0, 500)
    }
    await context.db
      .updateTable('intent_withdrawals')
      .set({
        attempts: row.attempts + 1,
        done_ms: context.now(),
        outcome,
        last_error: error,
        claimed_until_ms: null,
      })
      .where('intent_id', '=', row.intent_id)
      .where('done_ms', 'is', null)
      .execute()
    return true
  }

  // Without a deadline (tests, `drain()`) it works through everything due; a pass stops at its slice.
  const drain = async (deadline = Number.POSITIVE_INFINITY): Promise<number> => {
    let done = 0
    for (let batch = 0; ; batch++) {
      if (batch > 0 && pastDeadline(deadline)) return done
      const now = context.now()
      const due = await context.db
        .selectFrom('intent_withdrawals')
        .selectAll()
        .where('done_ms', 'is', null)
        .where('next_attempt_ms', '<=', now)
        .where((eb) => eb.or([eb('claimed_until_ms', 'is', null), eb('claimed_until_ms', '<', now)]))
        .orderBy('next_attempt_ms')
        .limit(BATCH)
        .execute()
      if (due.length === 0) return done
      let progressed = false
      const queue = [...due]
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          for (let row = queue.shift(); row; row = queue.shift()) {
            if (await withdraw(row)) {
              done++
              progressed = true
            }
          }
        }),
      )
      if (!progressed) return done
    }
  }

  const loop = startBackgroundLoop(
    context.log,
    'withdrawal pass failed',
    context.config.withdrawals.pollMs,
    slicedPass(drain, () => context.config.withdrawals.pollMs),
    context.listening,
  )
  return { wake: loop.wake, drain, stop: loop.stop }
}
