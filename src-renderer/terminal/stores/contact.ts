import { acceptHMRUpdate, defineStore } from 'pinia'
import { ref } from 'vue'
import type { CallBinding } from '../../../shared/ipc/contract'
import { bridge, IpcError } from '../../bridge'

/**
 * Reaching the customer through a virtual number (隐私号): the core asks the backend to bind one for the order in
 * hand and records the attempt. Only the virtual number ever reaches the device, never the customer's own.
 */
export const useContactStore = defineStore('contact', () => {
  const binding = ref<CallBinding | null>(null)
  const error = ref<IpcError | null>(null)
  const busy = ref(false)

  async function call(orderId: string): Promise<CallBinding | null> {
    busy.value = true
    error.value = null
    try {
      binding.value = await bridge.callCustomer({ orderId })
      return binding.value
    } catch (caught) {
      if (!(caught instanceof IpcError)) throw caught
      error.value = caught
      return null
    } finally {
      busy.value = false
    }
  }

  /** Another order on the card: what was bound for the last one is not shown for it. */
  function forget(): void {
    binding.value = null
    error.value = null
  }

  return { binding, error, busy, call, forget }
})

if (import.meta.hot) import.meta.hot.accept(acceptHMRUpdate(useContactStore, import.meta.hot))
