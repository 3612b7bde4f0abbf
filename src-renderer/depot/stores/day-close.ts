import { acceptHMRUpdate, defineStore } from 'pinia'
import { ref } from 'vue'
import { closeDay, failureOf, fetchDayReport } from '../api'
import { useDayStore } from './day'
import { useDayView } from './day-view'
import { useSessionStore } from './session'

export type CloseOutcome = { ok: true; newlyClosed: number } | { ok: false; code: string; message: string }

/** The depot's today, `YYYY-MM-DD`, in its time zone. */
function todayIn(timeZone: string): string {
  try {
    return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(
      new Date(),
    )
  } catch {
    return new Date().toISOString().slice(0, 10)
  }
}

/** Day close (日结) of the chosen day: every courier's report, and closing one courier's day or the depot's. */
export const useDayCloseStore = defineStore('dayClose', () => {
  const session = useSessionStore()
  const day = useDayStore()
  const closing = ref<string | null>(null)
  const dateShown = (): string => day.date ?? day.shownDate ?? todayIn(day.timeZone)
  const { data, loading, error, load } = useDayView((token) => fetchDayReport(token, dateShown()))

  /** Closes one courier's day (`courierId`) or every courier's (null). A second close changes nothing. */
  async function close(courierId: string | null, note: string): Promise<CloseOutcome> {
    const token = session.token
    if (!token) return { ok: false, code: 'auth.missing', message: 'not logged in' }
    closing.value = courierId ?? 'depot'
    try {
      const answer = await closeDay(token, data.value?.date ?? dateShown(), {
        ...(courierId ? { courierId } : {}),
        ...(note.trim() ? { note: note.trim() } : {}),
      })
      await load()
      return { ok: true, newlyClosed: answer.newlyClosed.length }
    } catch (reason) {
      const failure = failureOf(reason)
      if (failure.status === 401) session.expire(failure.code)
      return { ok: false, code: failure.code, message: failure.message }
    } finally {
      closing.value = null
    }
  }

  return { data, loading, error, closing, load, close }
})

if (import.meta.hot) import.meta.hot.accept(acceptHMRUpdate(useDayCloseStore, import.meta.hot))
