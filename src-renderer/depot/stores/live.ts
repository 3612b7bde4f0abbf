import { acceptHMRUpdate, defineStore } from 'pinia'
import { ref } from 'vue'
import { followDashboard, type LiveState } from '../live'
import { useSessionStore } from './session'

type Listener = () => void

/**
 * The live link to the backend: while the dashboard is open it follows the depot's change stream, and every
 * `changed` calls the views' listeners, which refetch what they show. No reloads, no polling.
 */
export const useLiveStore = defineStore('live', () => {
  const session = useSessionStore()
  const state = ref<LiveState>('offline')
  const lastChangeAt = ref<string | null>(null)
  const listeners = new Set<Listener>()
  let stop: (() => void) | null = null

  /** Starts following the stream with the session's token; returns the function that stops it. */
  function start(): () => void {
    stop?.()
    const token = session.token
    if (!token) return () => undefined
    stop = followDashboard(token, {
      changed(message) {
        lastChangeAt.value = message.at
        for (const listener of listeners) listener()
      },
      state(next) {
        state.value = next
      },
      unauthorized() {
        session.expire('auth.expired')
      },
    })
    const mine = stop
    return () => {
      mine()
      if (stop === mine) {
        stop = null
        state.value = 'offline'
      }
    }
  }

  /** Calls `listener` on every change; returns the function that stops it (call it in `onUnmounted`). */
  function onChanged(listener: Listener): () => void {
    listeners.add(listener)
    return () => listeners.delete(listener)
  }

  return { state, lastChangeAt, start, onChanged }
})

if (import.meta.hot) import.meta.hot.accept(acceptHMRUpdate(useLiveStore, import.meta.hot))
