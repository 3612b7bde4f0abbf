import { acceptHMRUpdate, defineStore } from 'pinia'
import { ref } from 'vue'
import { fetchCouriers } from '../api'
import { useDayStore } from './day'
import { useDayView } from './day-view'

/** The per-courier view of the chosen day, and which courier's hours the chart shows. */
export const useCouriersStore = defineStore('couriers', () => {
  const day = useDayStore()
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

  function select(courierId: string | null): void {
    selected.value = selected.value === courierId ? null : courierId
  }

  return { data, loading, error, load, selected, select }
})

if (import.meta.hot) import.meta.hot.accept(acceptHMRUpdate(useCouriersStore, import.meta.hot))
