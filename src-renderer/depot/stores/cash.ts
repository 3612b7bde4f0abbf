import { acceptHMRUpdate, defineStore } from 'pinia'
import { ref } from 'vue'
import type { CashDenominations, CashRow } from '../../../shared/api/dashboard'
import { failureOf, fetchCash, recordCash } from '../api'
import { useDayStore } from './day'
import { useDayView } from './day-view'
import { useSessionStore } from './session'

export type RecordOutcome = { ok: true; changed: boolean } | { ok: false; code: string; message: string }

/** Cash reconciliation of the chosen day, and the supervisor recording what they received. */
export const useCashStore = defineStore('cash', () => {
  const session = useSessionStore()
  const day = useDayStore()
  const saving = ref(false)
  const { data, loading, error, load } = useDayView((token) => fetchCash(token, day.date))

  /**
   * Records the cash received from a courier for the day shown, naming the version the supervisor saw. A
   * refusal (a note missing, someone else changed it) comes back to the dialog; a conflict also reloads.
   */
  async function record(
    row: CashRow,
    receivedFen: number,
    note: string,
    denominations: CashDenominations | null = null,
  ): Promise<RecordOutcome> {
    const token = session.token
    const date = data.value?.date
    if (!token || !date) return { ok: false, code: 'auth.missing', message: 'not logged in' }
    saving.value = true
    try {
      const answer = await recordCash(token, row.courier.courierId, {
        date,
        receivedFen,
        note: note.trim() === '' ? undefined : note.trim(),
        version: row.version,
        ...(denominations ? { denominations } : {}),
      })
      await load()
      return { ok: true, changed: answer.audit !== null }
    } catch (reason) {
      const failure = failureOf(reason)
      if (failure.status === 401) session.expire(failure.code)
      if (failure.code === 'cash.version_conflict') await load()
      return { ok: false, code: failure.code, message: failure.message }
    } finally {
      saving.value = false
    }
  }

  return { data, loading, saving, error, load, record }
})

if (import.meta.hot) import.meta.hot.accept(acceptHMRUpdate(useCashStore, import.meta.hot))
