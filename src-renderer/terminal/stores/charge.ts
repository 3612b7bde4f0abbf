import { acceptHMRUpdate, defineStore } from 'pinia'
import { ref } from 'vue'
import type { ScanSource } from '../../../shared/api/events'
import type { ChargeView } from '../../../shared/ipc/contract'
import { bridge, IpcError } from '../../bridge'

/**
 * The charge of the customer's payment code (付款码) for the order in hand: the core sends it and follows it to
 * its end; this store keeps the latest view for the screen and follows the core's `chargeUpdated` pushes.
 */
export const useChargeStore = defineStore('charge', () => {
  const charge = ref<ChargeView | null>(null)
  /** The order whose charge the screen follows; set before the first answer, so "sending" shows at once. */
  const watching = ref<string | null>(null)
  const error = ref<IpcError | null>(null)
  const busy = ref(false)

  /** Sends a code read by the camera after "scan customer's code"; a wedge scan goes through the scan instead. */
  async function chargeCode(orderId: string, code: string, source: ScanSource): Promise<ChargeView | null> {
    busy.value = true
    error.value = null
    watching.value = orderId
    try {
      charge.value = await bridge.chargePaymentCode({ orderId, code, source })
      return charge.value
    } catch (caught) {
      if (caught instanceof IpcError) {
        error.value = caught
        return null
      }
      throw caught
    } finally {
      busy.value = false
    }
  }

  /** A charge the scan started (a wedge scan of the customer's code). */
  function show(view: ChargeView): void {
    error.value = null
    watching.value = view.orderId
    charge.value = view
  }

  /** The screen is about to follow this order's charge (a wedge scan of a code is on its way to the core). */
  function follow(orderId: string): void {
    error.value = null
    watching.value = orderId
    if (charge.value?.orderId !== orderId) charge.value = null
  }

  /** The order's latest charge, for a reloaded screen. */
  async function load(orderId: string): Promise<void> {
    watching.value = orderId
    try {
      charge.value = await bridge.getCharge({ orderId })
    } catch {
      charge.value = null
    }
  }

  function clear(): void {
    charge.value = null
    watching.value = null
    error.value = null
  }

  function subscribe(): () => void {
    return bridge.onChargeUpdated((view) => {
      // Only the order on screen: a charge of an order the courier left still ends, and its payment is announced.
      if (watching.value === view.orderId) charge.value = view
    })
  }

  return { charge, watching, error, busy, chargeCode, show, follow, load, clear, subscribe }
})

if (import.meta.hot) import.meta.hot.accept(acceptHMRUpdate(useChargeStore, import.meta.hot))
