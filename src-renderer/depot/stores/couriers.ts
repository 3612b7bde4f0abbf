import { acceptHMRUpdate, defineStore } from 'pinia'
import { ref } from 'vue'
import type { CouriersDayResponse } from '../../../shared/api/dashboard'
import { failureOf, fetchCouriers } from '../api'
import { useDayStore } from './day'
import { useSessionStore } from './session'

/** The per-courier view of the chosen day, and which courier's hours the chart shows. */
export const useCouriersStore = defineStore('couriers', () => {
  const session = useSessionStore()
  const day = useDayStore()
  const data = ref<CouriersDayResponse | null>(null)
  const loading = ref(false)
  const error = ref<{ code: string; message: string } | null>(null)
  /** The courier whose hours the chart shows besides the depot's; null for the depot alone. */
  const selected = ref<string | null>(null)
  // Answers to older requests (an earlier day, a slower refresh) never overwrite a newer one.
  let generation = 0

  async function load(): Promise<void> {
    const token = session.token
    if (!token) return
    const mine = ++generation
    loading.value = true
    try {
      const answer = await fetchCouriers(token, day.date, day.target)
      if (mine !== generation) return
      data.value = answer
      error.value = null
      day.timeZone = answer.depot.timeZone
      day.shownDate = answer.date
      if (selected.value && !answer.couriers.some((c) => c.courier.courierId === selected.value)) selected.value = null
    } catch (reason) {
      if (mine !== generation) return
      const failure = failureOf(reason)
      if (failure.status === 401) session.expire(failure.code)
      else error.value = failure
    } finally {
      if (mine === generation) loading.value = false
    }
  }

  function select(courierId: string | null): void {
    selected.value = selected.value === courierId ? null : courierId
  }

  return { data, loading, error, load, selected, select }
})

if (import.meta.hot) import.meta.hot.accept(acceptHMRUpdate(useCouriersStore, import.meta.hot))
