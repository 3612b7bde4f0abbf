import { acceptHMRUpdate, defineStore } from 'pinia'
import { ref } from 'vue'
import { failureOf, fetchCouriers, setCourierTarget } from '../api'
import { useDayStore } from './day'
import { useDayView } from './day-view'
import { useSessionStore } from './session'

/** The per-courier view of the chosen day, and which courier's hours the chart shows. */
export const useCouriersStore = defineStore('couriers', () => {
  const day = useDayStore()
  const session = useSessionStore()
  /** The courier whose hours the chart shows besides the depot's; null for the depot alone. */
  const selected = ref<string | null>(null)
  const { data, loading, error, load } = useDayView(
    (token) => fetchCouriers(token, day.date, day.target),
    (answer) => {
      day.timeZone = answer.depot.timeZone
      day.shownDate = answer.date
      if (selected.value && !answer.couriers.some((c) => c.courier.courierId === selected.value)) selected.value = null
    },
  )

  /** Sets (or, with null, clears) a courier's own target for the shown day, then reloads. */
  async function setTarget(
    courierId: string,
    value: number | null,
  ): Promise<{ ok: true } | { ok: false; code: string; message: string }> {
    const token = session.token
    if (!token) return { ok: false, code: 'auth.missing', message: 'not logged in' }
    try {
      await setCourierTarget(token, courierId, { date: data.value?.date ?? day.date ?? '', target: value })
      await load()
      return { ok: true }
    } catch (reason) {
      const failure = failureOf(reason)
      if (failure.status === 401) session.expire(failure.code)
      return { ok: false, code: failure.code, message: failure.message }
    }
  }

  function select(courierId: string | null): void {
    selected.value = selected.value === courierId ? null : courierId
  }

  return { data, loading, error, load, selected, select, setTarget }
})

if (import.meta.hot) import.meta.hot.accept(acceptHMRUpdate(useCouriersStore, import.meta.hot))
