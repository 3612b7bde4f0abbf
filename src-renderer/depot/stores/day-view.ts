import { ref, type Ref } from 'vue'
import { failureOf } from '../api'
import { useSessionStore } from './session'

export interface DayView<T> {
  data: Ref<T | null>
  loading: Ref<boolean>
  error: Ref<{ code: string; message: string } | null>
  load: () => Promise<void>
}

/**
 * One of the dashboard's views of the chosen day, fetched with the supervisor's token. Answers to older requests
 * (an earlier day, a slower refresh) never overwrite a newer one; a 401 ends the session. Call it inside a setup
 * store, before any await.
 */
export function useDayView<T>(fetchView: (token: string) => Promise<T>, onAnswer?: (answer: T) => void): DayView<T> {
  const session = useSessionStore()
  const data = ref(null) as Ref<T | null>
  const loading = ref(false)
  const error = ref<{ code: string; message: string } | null>(null)
  let generation = 0

  async function load(): Promise<void> {
    const token = session.token
    if (!token) return
    const mine = ++generation
    loading.value = true
    try {
      const answer = await fetchView(token)
      if (mine !== generation) return
      data.value = answer
      error.value = null
      onAnswer?.(answer)
    } catch (reason) {
      if (mine !== generation) return
      const failure = failureOf(reason)
      if (failure.status === 401) session.expire(failure.code)
      else error.value = failure
    } finally {
      if (mine === generation) loading.value = false
    }
  }

  return { data, loading, error, load }
}
