import { acceptHMRUpdate, defineStore } from 'pinia'
import { ref } from 'vue'
import type { ResolveAttentionRequest } from '../../../shared/api/attention'
import { failureOf, fetchAttention, resolveAttention } from '../api'
import { useDayStore } from './day'
import { useDayView } from './day-view'
import { useSessionStore } from './session'

export type ResolveOutcome = { ok: true } | { ok: false; code: string; message: string }

/** What needs a supervisor on the chosen day: the work queue with its actions, and the lists by source. */
export const useAttentionStore = defineStore('attention', () => {
  const session = useSessionStore()
  const day = useDayStore()
  const resolving = ref(false)
  const { data, loading, error, load } = useDayView((token) => fetchAttention(token, day.date))

  /** Closes one item of the queue; a refusal comes back to the dialog, and the queue is reloaded either way. */
  async function resolve(itemId: string, body: ResolveAttentionRequest): Promise<ResolveOutcome> {
    const token = session.token
    if (!token) return { ok: false, code: 'auth.missing', message: 'not logged in' }
    resolving.value = true
    try {
      await resolveAttention(token, itemId, body)
      await load()
      return { ok: true }
    } catch (reason) {
      const failure = failureOf(reason)
      if (failure.status === 401) session.expire(failure.code)
      else await load()
      return { ok: false, code: failure.code, message: failure.message }
    } finally {
      resolving.value = false
    }
  }

  return { data, loading, error, resolving, load, resolve }
})

if (import.meta.hot) import.meta.hot.accept(acceptHMRUpdate(useAttentionStore, import.meta.hot))
