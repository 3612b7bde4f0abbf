import { pastDeadline, slicedPass, startBackgroundLoop, type BackgroundLoop } from '../background'
import type { BackendContext } from '../context'
import type { ChargeTable } from '../db/schema'
import { ApiError } from '../http/errors'
import { applyChargeRecord, nextQueryAt } from './service'

/** How long one instance holds a charge it is asking about before another may take it over. */
const CLAIM_MS = 30_000
const BATCH = 20

/**
 * Takes every charge of a customer's code to a final state, by the acquirer's rules: while it is neither paid nor
 * failed (the customer is typing their PIN, or the charge had no answer) it is queried every 3 to 5 s; at its
 * deadline (60 s by default) it is revoked (撤销), and a revoke that finds it paid keeps the payment. While the
 * acquirer cannot be reached it keeps trying, backing off; the reconciliation list shows it meanwhile. Its
 * schedule is in the charge's row, so a backend killed mid-charge picks up where it stopped. Several instances
 * may run: each claims a charge before asking about it.
 */
export function startChargeWorker(context: BackendContext): BackgroundLoop & { drain(): Promise<number> } {
  const later = (charge: ChargeTable, error: unknown, at: number): Promise<unknown> =>
    context.db
      .updateTable('charges')
      .set({
        next_query_ms: at,
        claimed_until_ms: null,
        last_error: error instanceof Error ? error.message.slice(0, 500) : String(error),
        updated_ms: context.now(),
      })
      .where('charge_no', '=', charge.charge_no)
      .where('final_ms', 'is', null)
      .execute()

  const revoke = async (charge: ChargeTable): Promise<void> => {
    try {
      const record = await context.acquirer.revokeCharge(charge.charge_no, charge.intent_id)
      await applyChargeRecord(context, charge.charge_no, record)
    } catch (error) {
      // The charge must not stay unknown: ask again, less often the longer the acquirer is away.
      const overdue = context.now() - charge.deadline_ms
      const { retryBaseMs, retryMaxMs } = context.config.closure
      await later(charge, error, context.now() + Math.min(retryMaxMs, Math.max(retryBaseMs, overdue)))
      context.log.warn({ err: error, chargeNo: charge.charge_no }, 'charge revoke will be retried')
    }
  }

  const work = async (charge: ChargeTable): Promise<void> => {
    await context.db
      .updateTable('charges')
      .set((eb) => ({ queries: eb('queries', '+', 1) }))
      .where('charge_no', '=', charge.charge_no)
      .execute()
    if (context.now() >= charge.deadline_ms) return revoke(charge)
    let after: ChargeTable
    try {
      after = await applyChargeRecord(context, charge.charge_no, await context.acquirer.getCharge(charge.charge_no))
    } catch (error) {
      const neverArrived =
        error instanceof ApiError && error.code === 'acquirer.refused' && error.details.acquirerStatus === 404
      // Never received (the request was lost on its way), or no answer: asked again until the deadline, then revoked.
      await later(
        charge,
        neverArrived ? new Error('the acquirer has no such charge (yet)') : error,
        nextQueryAt(context),
      )
      return
    }
    if (after.final_ms === null && context.now() >= after.deadline_ms) await revoke(after)
  }

  // Without a deadline (tests, `drain()`) it works through everything due; a pass stops at its slice.
  const drain = async (deadline = Number.POSITIVE_INFINITY): Promise<number> => {
    let done = 0
    for (let batch = 0; ; batch++) {
      if (batch > 0 && pastDeadline(deadline)) return done
      const now = context.now()
      const due = await context.db
        .selectFrom('charges')
        .selectAll()
        .where('final_ms', 'is', null)
        .where('next_query_ms', '<=', now)
        .where((eb) => eb.or([eb('claimed_until_ms', 'is', null), eb('claimed_until_ms', '<', now)]))
        .orderBy('next_query_ms')
        .limit(BATCH)
        .execute()
      if (due.length === 0) return done
      let progressed = false
      await Promise.all(
        due.map(async (charge) => {
          const claimed = await context.db
            .updateTable('charges')
            .set({ claimed_until_ms: now + CLAIM_MS })
            .where('charge_no', '=', charge.charge_no)
            .where('final_ms', 'is', null)
            .where((eb) => eb.or([eb('claimed_until_ms', 'is', null), eb('claimed_until_ms', '<', now)]))
            .executeTakeFirst()
          if (Number(claimed.numUpdatedRows) === 0) return
          await work(charge).catch((error: unknown) => later(charge, error, nextQueryAt(context)))
          done++
          progressed = true
        }),
      )
      if (!progressed) return done
    }
  }

  const loop = startBackgroundLoop(
    context.log,
    'charge worker pass failed',
    context.config.charge.pollMs,
    slicedPass(drain, () => context.config.charge.pollMs),
    context.listening,
  )
  return { ...loop, drain }
}
