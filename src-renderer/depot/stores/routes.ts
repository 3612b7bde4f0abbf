import { acceptHMRUpdate, defineStore } from 'pinia'
import { ref } from 'vue'
import { failureOf, fetchCourierRoute, reassignRun } from '../api'
import { useDayStore } from './day'
import { useDayView } from './day-view'
import { useSessionStore } from './session'

export type ReassignOutcome =
  { ok: true; moved: number } | { ok: false; code: string; message: string; details: Record<string, unknown> }

/** One courier's route of the chosen day, and moving a run of its stops to another courier. */
export const useRoutesStore = defineStore('routes', () => {
  const session = useSessionStore()
  const day = useDayStore()
  /** The courier whose route is shown. */
  const courierId = ref<string | null>(null)
  const busy = ref(false)
  const { data, loading, error, load } = useDayView((token) =>
    courierId.value ? fetchCourierRoute(token, courierId.value, day.date) : Promise.resolve(null),
  )

  async function show(id: string | null): Promise<void> {
    courierId.value = id
    data.value = null
    await load()
  }

  async function reassign(orderIds: string[], toCourierId: string): Promise<ReassignOutcome> {
    const token = session.token
    const fromCourierId = courierId.value
    if (!token || !fromCourierId) return { ok: false, code: 'auth.missing', message: 'not logged in', details: {} }
    busy.value = true
    try {
      const answer = await reassignRun(token, { orderIds, fromCourierId, toCourierId })
      await load()
      return { ok: true, moved: answer.orders.length }
    } catch (reason) {
      const failure = failureOf(reason)
      if (failure.status === 401) session.expire(failure.code)
      await load()
      const details = reason instanceof Error && 'details' in reason ? (reason.details as Record<string, unknown>) : {}
      return { ok: false, code: failure.code, message: failure.message, details }
    } finally {
      busy.value = false
    }
  }

  return { courierId, data, loading, error, busy, load, show, reassign }
})

if (import.meta.hot) import.meta.hot.accept(acceptHMRUpdate(useRoutesStore, import.meta.hot))
