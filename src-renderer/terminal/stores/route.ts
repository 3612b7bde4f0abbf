import { acceptHMRUpdate, defineStore } from 'pinia'
import { ref } from 'vue'
import type { RouteView } from '../../../shared/ipc/contract'
import { bridge } from '../../bridge'

/** The route as the device holds it: stops in order, their state, and the shift's counters. */
export const useRouteStore = defineStore('route', () => {
  const route = ref<RouteView | null>(null)
  let loading: Promise<void> | null = null
  let stale = false

  /** Reloads the route; calls that arrive while one is loading fold into one more load after it. */
  async function load(): Promise<void> {
    if (loading) {
      stale = true
      return loading
    }
    loading = (async () => {
      try {
        do {
          stale = false
          route.value = await bridge.getRoute({})
        } while (stale)
      } finally {
        loading = null
      }
    })()
    return loading
  }

  function subscribe(): () => void {
    return bridge.onRouteChanged(() => void load().catch(() => undefined))
  }

  return { route, load, subscribe }
})

if (import.meta.hot) import.meta.hot.accept(acceptHMRUpdate(useRouteStore, import.meta.hot))
