import type { FastifyBaseLogger } from 'fastify'
import { startBackgroundLoop, type BackgroundLoop } from '../background'
import { payDueCharges } from './charges'
import { settleDueRefunds } from './refunds'
import type { SandboxStore } from './store'

/**
 * What the sandbox does by itself as time passes, as the real acquirer would: a customer confirming a charge on
 * the phone after a while, a PIN that raced a revoke landing, an accepted refund reaching its result. Each pass
 * answers how long until the next thing is due; a new charge or refund wakes it.
 */
export function startSandboxClock(
  store: SandboxStore,
  log: FastifyBaseLogger,
  now: () => number,
  notify: () => void,
): BackgroundLoop {
  return startBackgroundLoop(log, 'sandbox clock pass failed', 1_000, () => {
    const at = now()
    const charges = payDueCharges(store, at)
    const refunds = settleDueRefunds(store, at)
    notify()
    const next = Math.min(charges ?? Infinity, refunds ?? Infinity)
    return Promise.resolve(next === Infinity ? 60_000 : Math.max(10, next - now()))
  })
}
