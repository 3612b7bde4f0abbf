import type { PaymentWatcher } from '../context'

export interface PaymentWatcherOptions {
  /** Asks the backend about one intent; resolves to whether it is still worth asking again. */
  poll(orderId: string, intentId: string): Promise<boolean>
  /** The steady interval once the first seconds are past: each wait is drawn from it to 5/3 of it (3–5 s). */
  intervalMs: number
  /** The quick interval while the customer is most likely paying, right after the QR went up. */
  fastMs: number
  /** How long the quick interval lasts after the QR went up. */
  fastForMs: number
  random?: () => number
}

/**
 * The poll fallback while a QR is on screen: one timer per order, each poll scheduled after the previous one
 * answered, so a slow backend never piles requests up. The first poll goes at once (a QR the backend withdrew
 * while the device was down is found and renewed before the customer scans it), then about every second while
 * the customer is most likely paying, then every 3–5 s. The stream usually wins; the poll covers a stream that
 * dropped or notifications that lag.
 */
export function createPaymentWatcher(options: PaymentWatcherOptions): PaymentWatcher & { stopAll(): void } {
  const random = options.random ?? Math.random
  const watched = new Map<string, { intentId: string; timer: NodeJS.Timeout | null; since: number }>()

  const schedule = (orderId: string, delay: number): void => {
    const entry = watched.get(orderId)
    if (!entry) return
    entry.timer = setTimeout(() => {
      entry.timer = null
      void options
        .poll(orderId, entry.intentId)
        .catch(() => true)
        .then((again) => {
          if (watched.get(orderId) !== entry) return
          if (!again) {
            watched.delete(orderId)
            return
          }
          const quick = performance.now() - entry.since < options.fastForMs
          schedule(orderId, quick ? options.fastMs : options.intervalMs * (1 + (2 / 3) * random()))
        })
    }, delay)
    entry.timer.unref()
  }

  const stop = (orderId: string): void => {
    const entry = watched.get(orderId)
    if (entry?.timer) clearTimeout(entry.timer)
    watched.delete(orderId)
  }

  return {
    watch(orderId, intentId) {
      stop(orderId)
      watched.set(orderId, { intentId, timer: null, since: performance.now() })
      schedule(orderId, 0)
    },
    stop,
    stopAll() {
      for (const orderId of [...watched.keys()]) stop(orderId)
    },
  }
}
