import type { FastifyBaseLogger } from 'fastify'
import type { BackendDb, Trx } from './connect'

/** Registers work to run once the transaction has committed (stream wake-ups, acquirer calls). */
export type AfterCommit = (work: () => unknown) => void

// PostgreSQL's deadlock and serialization failures: the transaction did nothing and may simply run again.
const RETRYABLE = new Set(['40P01', '40001'])

function retryable(error: unknown): boolean {
  return typeof error === 'object' && error !== null && RETRYABLE.has((error as { code?: string }).code ?? '')
}

/**
 * Runs `work` in one transaction. What it registers with `after` runs only after the commit, so nobody is told
 * about a change that then rolls back; a PostgreSQL deadlock or serialization failure reruns the whole work.
 */
export async function inTransaction<T>(
  database: BackendDb,
  log: Pick<FastifyBaseLogger, 'error'>,
  work: (trx: Trx, after: AfterCommit) => Promise<T>,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const pending: (() => unknown)[] = []
    try {
      const result = await database.db.transaction().execute((trx) => work(trx, (job) => pending.push(job)))
      for (const job of pending) {
        try {
          const outcome = job()
          if (outcome instanceof Promise) outcome.catch((error: unknown) => log.error({ err: error }, 'after-commit'))
        } catch (error) {
          log.error({ err: error }, 'after-commit work failed')
        }
      }
      return result
    } catch (error) {
      if (attempt < 4 && retryable(error)) continue
      throw error
    }
  }
}
