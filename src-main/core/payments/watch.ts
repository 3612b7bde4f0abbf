import type { PaymentWatcher } from '../context'

export interface PaymentWatcherOptions {
  /** Asks the backend about one intent; resolves to whether it is still worth asking again. */
  poll(orderId: string, intentId: string): Promise<boolean>
  /** DESIGN: the stream pushes confirmations; this poll is the fallback. */
  intervalMs: number
}

/**
 * The poll fallback while a QR is on screen: one timer per order, each poll scheduled after the previous one
 * answered, so a slow backend never piles requests up. The stream usually wins; the poll covers a dropped stream.
 */
export function createPaymentWatcher(options: PaymentWatcherOptions): PaymentWatcher & { stopAll(): void } {
  const watched = new Map<string, { intentId: string; timer: NodeJS.Timeout | null }>()

  const schedule = (orderId: string): void => {
    const entry = watched.get(orderId)
    if (!entry) return
    entry.timer = setTimeout(() => {
      entry.timer = null
      void options
        .poll(orderId, entry.intentId)
        .catch(() => true)
        .then((again) => {
          if (watched.get(orderId) !== entry) return
          if (again) schedule(orderId)
          else watched.delete(orderId)
        })
    }, options.intervalMs)
  }

  const stop = (orderId: string): void => {
    const entry = watched.get(orderId)
    if (entry?.timer) clearTimeout(entry.timer)
    watched.delete(orderId)
  }

  return {
    watch(orderId, intentId) {
      stop(orderId)
      watched.set(orderId, { intentId, timer: null })
      schedule(orderId)
    },
    stop,
    stopAll() {
      for (const orderId of [...watched.keys()]) stop(orderId)
    },
  }
}
