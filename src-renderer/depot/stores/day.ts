import { acceptHMRUpdate, defineStore } from 'pinia'
import { ref } from 'vue'

/**
 * The day the dashboard shows (null: the depot's today), the daily target projections are held to (null: each
 * courier's own route size), and how long a courier may go without an action before it is highlighted.
 */
export const useDayStore = defineStore('day', () => {
  const date = ref<string | null>(null)
  const target = ref<number | null>(null)
  const idleLimitMinutes = ref(20)
  /** The depot's time zone, as the backend reports it; times are shown in it. */
  const timeZone = ref('Asia/Shanghai')
  /** The day the backend answered for, once it did (today's date when `date` is null). */
  const shownDate = ref<string | null>(null)

  function choose(day: string | null): void {
    date.value = day
  }

  function setTarget(value: number | null): void {
    if (value === null || (Number.isInteger(value) && value >= 1 && value <= 1000)) target.value = value
  }

  function setIdleLimit(minutes: number): void {
    if (Number.isInteger(minutes) && minutes >= 1 && minutes <= 240) idleLimitMinutes.value = minutes
  }

  return { date, target, idleLimitMinutes, timeZone, shownDate, choose, setTarget, setIdleLimit }
})

if (import.meta.hot) import.meta.hot.accept(acceptHMRUpdate(useDayStore, import.meta.hot))
