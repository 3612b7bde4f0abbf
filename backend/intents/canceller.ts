import type { BackendContext } from '../context'
import { withdrawIntent } from './service'

/** Cancellations in flight at once: enough to keep up, few enough that ingest never queues behind them. */
const CONCURRENCY = 2

export interface IntentCanceller {
  /** Queues an intent to withdraw at the acquirer; one it says was paid is recorded as paid instead. */
  cancelLater(intentId: string): void
  /** Resolves once the queue is empty; for tests. */
  idle(): Promise<void>
  /** Drops what is still queued and waits for the cancellations in flight; for shutdown. */
  stop(): Promise<void>
}

/**
 * Cancels, in the background and a couple at a time, the intents couriers moved on from (cash taken, or
 * cancelled while offline). A batch of 500 events can close hundreds of orders: cancelling them all at once
 * would put hundreds of acquirer calls and transactions ahead of the next device's push. Losing the queue in
 * a crash is harmless: the intent expires, and a late payment on it is still recorded and flagged.
 */
export function startIntentCanceller(context: () => BackendContext): IntentCanceller {
  const queue: string[] = []
  const queued = new Set<string>()
  let running = 0
  let waiters: (() => void)[] = []

  const next = (): void => {
    while (running < CONCURRENCY && queue.length > 0) {
      const intentId = queue.shift()!
      running++
      void cancelOne(intentId).finally(() => {
        queued.delete(intentId)
        running--
        if (running === 0 && queue.length === 0) {
          for (const resolve of waiters) resolve()
          waiters = []
        }
        next()
      })
    }
  }

  const cancelOne = async (intentId: string): Promise<void> => {
    const ctx = context()
    try {
      const intent = await ctx.db
        .selectFrom('payment_intents')
        .select('status')
        .where('id', '=', intentId)
        .executeTakeFirst()
      if (intent && intent.status !== 'paid') await withdrawIntent(ctx, intentId)
    } catch (error) {
      ctx.log.info({ err: error, intentId }, 'intent not cancelled after the courier moved on')
    }
  }

  return {
    cancelLater(intentId) {
      if (queued.has(intentId)) return
      queued.add(intentId)
      queue.push(intentId)
      next()
    },
    idle() {
      if (running === 0 && queue.length === 0) return Promise.resolve()
      return new Promise((resolve) => waiters.push(resolve))
    },
    stop() {
      for (const intentId of queue.splice(0)) queued.delete(intentId)
      return this.idle()
    },
  }
}
