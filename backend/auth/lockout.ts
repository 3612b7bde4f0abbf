import type { BackendContext } from '../context'
import type { Trx } from '../db/connect'
import type { LoginAttemptTable } from '../db/schema'
import { inTransaction, type AfterCommit } from '../db/transaction'

/** Whose attempts are counted together: `courier:<depotId>` and a staff ID, or `supervisor` and a login. */
export interface LockoutKey {
  scope: string
  subject: string
}

export type LoginOutcome<T> =
  | { kind: 'accepted'; value: T }
  | { kind: 'refused'; attemptsLeft: number }
  /** `lockedNow`: this attempt is the one that locked the account (the others found it locked). */
  | { kind: 'locked'; lockedUntilMs: number; lockedNow: boolean }

/** An attempt still "in flight" after this long belongs to a process that died mid-check. */
const IN_FLIGHT_MS = 60_000
/** A name without an attempt for this long is forgotten, wrong attempts and all (unless locked). */
const FORGET_MS = 24 * 60 * 60_000

async function rowOf(context: Pick<BackendContext, 'database'>, trx: Trx, key: LockoutKey, nowMs: number) {
  await trx
    .insertInto('login_attempts')
    .values({ ...key, attempts: 0, in_flight: 0, locked_until_ms: null, updated_ms: nowMs })
    .onConflict((c) => c.columns(['scope', 'subject']).doNothing())
    .execute()
  return trx
    .selectFrom('login_attempts')
    .selectAll()
    .where('scope', '=', key.scope)
    .where('subject', '=', key.subject)
    .$if(context.database.kind === 'postgres', (query) => query.forUpdate())
    .executeTakeFirstOrThrow()
}

async function save(trx: Trx, row: LoginAttemptTable): Promise<void> {
  await trx
    .updateTable('login_attempts')
    .set({
      attempts: row.attempts,
      in_flight: row.in_flight,
      locked_until_ms: row.locked_until_ms,
      updated_ms: row.updated_ms,
    })
    .where('scope', '=', row.scope)
    .where('subject', '=', row.subject)
    .execute()
}

/**
 * One login attempt under the lockout (`config.lockout`: `maxAttempts` in a row lock for `lockMs`), for any
 * name, known or not, so the answers never say which names exist:
 * 1. the attempt is counted in the database before the slow check, in one transaction with the row locked; once
 *    `maxAttempts` are counted (finished or still running), any further attempt is refused unchecked and locks
 *    the account, so attempts sent at once are checked at most `maxAttempts` times;
 * 2. `check` runs (the scrypt hash: a real one, or a decoy for an unknown name);
 * 3. a wrong secret stays counted, and the one that reaches `maxAttempts` locks; a right one is refused while
 *    the account is locked, and otherwise `accept` runs in the same transaction that clears the count (only
 *    when no other attempt is still being checked: those already count against the limit).
 */
export async function attemptLogin<T>(
  context: Pick<BackendContext, 'database' | 'log' | 'now' | 'config'>,
  key: LockoutKey,
  check: () => Promise<boolean>,
  accept: (trx: Trx, after: AfterCommit) => Promise<T>,
): Promise<LoginOutcome<T>> {
  const { maxAttempts, lockMs } = context.config.lockout
  const reserved = await inTransaction(context.database, context.log, async (trx) => {
    const now = context.now()
    await trx
      .deleteFrom('login_attempts')
      .where('updated_ms', '<', now - FORGET_MS)
      .where((eb) => eb.or([eb('locked_until_ms', 'is', null), eb('locked_until_ms', '<', now)]))
      .execute()
    const row = await rowOf(context, trx, key, now)
    if (row.locked_until_ms !== null && row.locked_until_ms > now) {
      return { kind: 'locked' as const, lockedUntilMs: row.locked_until_ms, lockedNow: false }
    }
    if (row.locked_until_ms !== null) Object.assign(row, { attempts: 0, in_flight: 0, locked_until_ms: null })
    if (row.in_flight > 0 && row.updated_ms < now - IN_FLIGHT_MS) row.in_flight = 0
    if (row.attempts >= maxAttempts) {
      // The limit is taken by attempts still being checked: this one is refused unchecked, and locks.
      await save(trx, { ...row, locked_until_ms: now + lockMs, in_flight: 0, updated_ms: now })
      return { kind: 'locked' as const, lockedUntilMs: now + lockMs, lockedNow: true }
    }
    await save(trx, { ...row, attempts: row.attempts + 1, in_flight: row.in_flight + 1, updated_ms: now })
    return null
  })
  if (reserved) return reserved

  let right: boolean
  try {
    right = await check()
  } catch (error) {
    // Not an attempt after all (the check itself failed): it no longer counts.
    await inTransaction(context.database, context.log, async (trx) => {
      const row = await rowOf(context, trx, key, context.now())
      await save(trx, { ...row, attempts: Math.max(0, row.attempts - 1), in_flight: Math.max(0, row.in_flight - 1) })
    })
    throw error
  }

  return inTransaction(context.database, context.log, async (trx, after): Promise<LoginOutcome<T>> => {
    const now = context.now()
    const row = await rowOf(context, trx, key, now)
    const inFlight = Math.max(0, row.in_flight - 1)
    const locked = row.locked_until_ms !== null && row.locked_until_ms > now
    if (right && !locked) {
      await save(trx, { ...row, in_flight: inFlight, attempts: inFlight === 0 ? 0 : row.attempts, updated_ms: now })
      return { kind: 'accepted', value: await accept(trx, after) }
    }
    if (locked) {
      await save(trx, { ...row, in_flight: inFlight, updated_ms: now })
      return { kind: 'locked', lockedUntilMs: row.locked_until_ms!, lockedNow: false }
    }
    if (row.attempts >= maxAttempts) {
      await save(trx, { ...row, in_flight: 0, locked_until_ms: now + lockMs, updated_ms: now })
      return { kind: 'locked', lockedUntilMs: now + lockMs, lockedNow: true }
    }
    await save(trx, { ...row, in_flight: inFlight, updated_ms: now })
    return { kind: 'refused', attemptsLeft: maxAttempts - row.attempts }
  })
}
