import { acceptHMRUpdate, defineStore } from 'pinia'
import { ref } from 'vue'
import { DEFAULT_DAILY_TARGET } from '../../../shared/api/dashboard'

/** The day the dashboard shows (null: the depot's today) and the daily target projections are held to. */
export const useDayStore = defineStore('day', () => {
  const date = ref<string | null>(null)
  const target = ref(DEFAULT_DAILY_TARGET)
  /** The depot's time zone, as the backend reports it; times are shown in it. */
  const timeZone = ref('Asia/Shanghai')
  /** The day the backend answered for, once it did (today's date when `date` is null). */
  const shownDate = ref<string | null>(null)

  function choose(day: string | null): void {
    date.value = day
  }

  function setTarget(value: number): void {
    if (Number.isInteger(value) && value >= 1 && value <= 1000) target.value = value
  }

  return { date, target, timeZone, shownDate, choose, setTarget }
})

if (import.meta.hot) import.meta.hot.accept(acceptHMRUpdate(useDayStore, import.meta.hot))
