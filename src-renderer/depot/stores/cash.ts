import { acceptHMRUpdate, defineStore } from 'pinia'
import { ref } from 'vue'
import type { CashDayResponse, CashRow } from '../../../shared/api/dashboard'
import { failureOf, fetchCash, recordCash } from '../api'
import { useDayStore } from './day'
import { useSessionStore } from './session'

export type RecordOutcome = { ok: true; changed: boolean } | { ok: false; code: string; message: string }

/** Cash reconciliation of the chosen day, and the supervisor recording what they received. */
export const useCashStore = defineStore('cash', () => {
  const session = useSessionStore()
  const day = useDayStore()
  const data = ref<CashDayResponse | null>(null)
  const loading = ref(false)
  const saving = ref(false)
  const error = ref<{ code: string; message: string } | null>(null)
  let generation = 0

  async function load(): Promise<void> {
    const token = session.token
    if (!token) return
    const mine = ++generation
    loading.value = true
    try {
      const answer = await fetchCash(token, day.date)
      if (mine !== generation) return
      data.value = answer
      error.value = null
    } catch (reason) {
      if (mine !== generation) return
      const failure = failureOf(reason)
      if (failure.status === 401) session.expire(failure.code)
      else error.value = failure
    } finally {
      if (mine === generation) loading.value = false
    }
  }

  /**
   * Records the cash received from a courier for the day shown, naming the version the supervisor saw. A
   * refusal (a note missing, someone else changed it) comes back to the dialog; a conflict also reloads.
   */
  async function record(row: CashRow, receivedFen: number, note: string): Promise<RecordOutcome> {
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
