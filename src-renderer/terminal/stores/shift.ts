import { acceptHMRUpdate, defineStore } from 'pinia'
import { ref } from 'vue'
import type { ShiftSummary } from '../../../shared/ipc/contract'
import { bridge } from '../../bridge'

/** The shift summary: totals, cash to hand in, the cash declaration. */
export const useShiftStore = defineStore('shift', () => {
  const summary = ref<ShiftSummary | null>(null)
  /** False from when the screen opens until the core has answered: a summary kept from a visit ago is stale. */
  const fresh = ref(false)
  const busy = ref(false)

  function markStale(): void {
    fresh.value = false
  }

  async function load(): Promise<void> {
    summary.value = await bridge.getShiftSummary({})
    fresh.value = true
  }

  async function declareCash(declaredFen: number): Promise<void> {
    busy.value = true
    try {
      summary.value = await bridge.declareCash({ declaredFen })
    } finally {
      busy.value = false
    }
  }

  function subscribe(): () => void {
    const reload = (): void => {
      if (summary.value) void load().catch(() => undefined)
    }
    const disposers = [bridge.onRouteChanged(reload), bridge.onSyncStatus(reload), bridge.onOrderFlagged(reload)]
    return () => disposers.forEach((dispose) => dispose())
  }

  return { summary, fresh, busy, markStale, load, declareCash, subscribe }
})

if (import.meta.hot) import.meta.hot.accept(acceptHMRUpdate(useShiftStore, import.meta.hot))
