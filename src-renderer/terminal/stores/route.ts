import { acceptHMRUpdate, defineStore } from 'pinia'
import { ref } from 'vue'
import type { StopMoveReason } from '../../../shared/api/events'
import type { RouteView } from '../../../shared/ipc/contract'
import { bridge, IpcError } from '../../bridge'

/** The route as the device holds it: stops in order, their state, and the shift's counters. */
export const useRouteStore = defineStore('route', () => {
  const route = ref<RouteView | null>(null)
  const error = ref<IpcError | null>(null)
  const busy = ref(false)
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

  /**
   * Moves a stop one place later, or skips it for now (to the end), with the courier's reason. The core records it
   * as a `stop.moved` outbox event and answers with the route in its new order.
   */
  async function moveStop(stopId: string, move: 'later' | 'skip', reason: StopMoveReason): Promise<boolean> {
    busy.value = true
    error.value = null
    try {
      route.value = await bridge.moveStop({ stopId, move, reason })
      return true
    } catch (caught) {
      if (!(caught instanceof IpcError)) throw caught
      error.value = caught
      return false
    } finally {
      busy.value = false
    }
  }

  function subscribe(): () => void {
    return bridge.onRouteChanged(() => void load().catch(() => undefined))
  }

  return { route, error, busy, load, moveStop, subscribe }
})

if (import.meta.hot) import.meta.hot.accept(acceptHMRUpdate(useRouteStore, import.meta.hot))
