import type { AcquirerIntentRecord } from '../../shared/api/acquirer'
import { settleWaitingClaim } from '../acquirer/payments'
import type { BackendContext } from '../context'
import type { SettlementTable } from '../db/schema'
import { inTransaction } from '../db/transaction'
import { pastDeadline, slicedPass, startBackgroundLoop } from '../background'
import { ApiError } from '../http/errors'
import { applyAcquirerRecord } from '../intents/service'

/** How long one instance holds a settlement it is working on before another may take it over. */
const CLAIM_MS = 30_000
const BATCH = 20

export interface SettlementWorker {
  /** Look for due work now. */
  wake(): void
  /** Works through everything due, once; for tests that want the verdict before they look. */
  drain(): Promise<number>
  stop(): Promise<void>
}

/**
 * Settles device claims about digital payments ("paid, to be verified", or a confirmation the backend had not
 * seen) against the acquirer's query API, the only source digital money is counted from. Each verdict is
 * pushed to the device as `settlement`; "not found" is also flagged for the depot. While the acquirer cannot
 * be reached, a claim waits and is retried with exponential backoff. Several instances may run: each claims
 * a settlement before working on it.
 */
export function startSettlementWorker(context: BackendContext): SettlementWorker {
  const settleOne = async (settlement: SettlementTable): Promise<void> => {
    let record: AcquirerIntentRecord | null
    try {
      record = await context.acquirer.getIntent(settlement.intent_id)
    } catch (error) {
      const unknownThere =
        error instanceof ApiError && error.code === 'acquirer.refused' && error.details.acquirerStatus === 404
      if (!unknownThere) throw error
      record = null
    }
    if (record) await applyAcquirerRecord(context, record)
    const succeeded = record?.payments.find((payment) => payment.outcome === 'succeeded') ?? null
    await inTransaction(context.database, context.log, async (trx, after) => {
      await settleWaitingClaim(context, trx, after, settlement.intent_id, {
        verdict: succeeded ? 'verified' : 'not_found',
        transactionId: succeeded?.transactionId ?? null,
        amountFen: succeeded?.amountFen ?? null,
      })
    })
  }

  // Without a deadline (tests, `drain()`) it works through everything due; a pass stops at its slice.
  const drain = async (deadline = Number.POSITIVE_INFINITY): Promise<number> => {
    let settled = 0
    for (let batch = 0; ; batch++) {
      if (batch > 0 && pastDeadline(deadline)) return settled
      const now = context.now()
      const due = await context.db
        .selectFrom('settlements')
        .selectAll()
        .where('status', '=', 'pending')
        .where('next_attempt_ms', '<=', now)
        .where((eb) => eb.or([eb('claimed_until_ms', 'is', null), eb('claimed_until_ms', '<', now)]))
        .orderBy('next_attempt_ms')
        .limit(BATCH)
        .execute()
      if (due.length === 0) return settled
      let progressed = false
      for (const settlement of due) {
        const claimed = await context.db
          .updateTable('settlements')
          .set({ claimed_until_ms: now + CLAIM_MS })
          .where('id', '=', settlement.id)
          .where('status', '=', 'pending')
          .where((eb) => eb.or([eb('claimed_until_ms', 'is', null), eb('claimed_until_ms', '<', now)]))
          .executeTakeFirst()
        if (Number(claimed.numUpdatedRows) === 0) continue
        try {
          await settleOne(settlement)
          settled++
          progressed = true
        } catch (error) {
          const attempts = settlement.attempts + 1
          const { retryBaseMs, retryMaxMs } = context.config.settlement
          const delay = Math.min(retryMaxMs, retryBaseMs * 2 ** Math.min(attempts - 1, 16))
          await context.db
            .updateTable('settlements')
            .set({
              attempts,
              next_attempt_ms: context.now() + delay,
              claimed_until_ms: null,
              last_error: error instanceof Error ? error.message.slice(0, 500) : String(error),
            })
            .where('id', '=', settlement.id)
            .execute()
          context.log.warn({ err: error, intentId: settlement.intent_id, attempts }, 'settlement will be retried')
        }
      }
      if (!progressed) return settled
    }
  }

  const loop = startBackgroundLoop(
    context.log,
    'settlement pass failed',
    context.config.settlement.pollMs,
    slicedPass(drain, () => context.config.settlement.pollMs),
    context.listening,
  )
  return { wake: loop.wake, drain, stop: loop.stop }
}
