import type { FastifyBaseLogger } from 'fastify'
import { ACQUIRER_SIGNATURE_HEADER, ACQUIRER_TIMESTAMP_HEADER } from '../../shared/api/acquirer'
import { signNotification } from '../acquirer/signature'
import { startBackgroundLoop, type BackgroundLoop } from '../background'
import type { SandboxNotificationRow, SandboxStore } from './store'

/** Attempts before a notification is given up on (about an hour and a half with the backoff below). */
const MAX_ATTEMPTS = 200
const RETRY_BASE_MS = 250
const RETRY_MAX_MS = 30_000
/** With `outOfOrder`, how long a lone notification waits for company before it goes out anyway. */
const OUT_OF_ORDER_WINDOW_MS = 1_000

export type Notifier = BackgroundLoop

/**
 * Delivers the sandbox acquirer's notifications the way a real acquirer does: signed, retried with backoff
 * until a 2xx comes back, and, as its behaviour says, late, more than once, newest first, or held back.
 * Duplicate copies are signed at slightly earlier seconds (within the 300 s tolerance) so each is a distinct
 * delivery of the same notification ID, as a retry that crossed a lost response would be.
 */
export function startNotifier(store: SandboxStore, log: FastifyBaseLogger, now: () => number = Date.now): Notifier {
  const deliver = async (row: SandboxNotificationRow, signedAtSeconds: number): Promise<string | null> => {
    const secret = store.identity().webhookSecret
    try {
      const response = await fetch(row.notify_url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          [ACQUIRER_TIMESTAMP_HEADER]: String(signedAtSeconds),
          [ACQUIRER_SIGNATURE_HEADER]: signNotification(secret, signedAtSeconds, row.body),
        },
        body: row.body,
        signal: AbortSignal.timeout(5_000),
      })
      await response.arrayBuffer()
      return response.ok ? null : `HTTP ${response.status}`
    } catch (error) {
      return error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : 'failed'
    }
  }

  const send = async (row: SandboxNotificationRow, copies: number): Promise<void> => {
    const seconds = Math.floor(now() / 1000)
    const outcomes = await Promise.all(Array.from({ length: copies }, (_, k) => deliver(row, seconds - k)))
    const attempts = row.attempts + copies
    if (outcomes.some((outcome) => outcome === null)) {
      store.markDelivered(row.notification_id, attempts, now())
      return
    }
    const failures = row.attempts + 1
    const delay = Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** Math.min(failures - 1, 16))
    store.markRetry(row.notification_id, attempts, now() + delay, outcomes[0]!, failures >= MAX_ATTEMPTS)
    log.warn({ event: 'sandbox.notify_retry', notificationId: row.notification_id, error: outcomes[0] }, 'retrying')
  }

  /** One pass: sends what is due, and says when to look again. */
  const pass = async (stopping: () => boolean): Promise<number> => {
    const behaviour = store.behaviour()
    if (behaviour.holdNotifications) return 60_000
    const pending = store.pendingNotifications()
    const at = now()
    const due = pending.filter((row) => row.next_attempt_ms <= at)
    let wait = Math.min(60_000, ...pending.filter((row) => row.next_attempt_ms > at).map((r) => r.next_attempt_ms - at))
    if (due.length > 0) {
      if (behaviour.outOfOrder) {
        const oldest = Math.min(...due.map((row) => row.next_attempt_ms))
        if (due.length < 2 && at - oldest < OUT_OF_ORDER_WINDOW_MS) return Math.min(wait, OUT_OF_ORDER_WINDOW_MS)
        due.reverse()
      }
      for (const row of due) {
        if (stopping()) break
        // Copies only on the first delivery: a retry is already a second copy.
        await send(row, row.attempts === 0 ? 1 + behaviour.duplicates : 1)
      }
      wait = 0
    }
    return wait
  }

  return startBackgroundLoop(log, 'sandbox notifier pass failed', 1_000, pass)
}
