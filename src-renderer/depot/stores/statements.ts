import { acceptHMRUpdate, defineStore } from 'pinia'
import { ref } from 'vue'
import type { ImportStatementResponse } from '../../../shared/api/closure'
import { DepotApiError, failureOf, fetchStatements, importStatement } from '../api'
import { useDayStore } from './day'
import { useDayView } from './day-view'
import { useSessionStore } from './session'

/** What the last import did: imported (or already had been), or refused at a line. */
export type ImportOutcome =
  | { kind: 'done'; answer: ImportStatementResponse }
  | { kind: 'refused'; code: string; message: string; line: number | null }

/** The day's imported statements matched three ways (statement, backend, devices), and importing one. */
export const useStatementsStore = defineStore('statements', () => {
  const day = useDayStore()
  const session = useSessionStore()
  const { data, loading, error, load } = useDayView((token) => fetchStatements(token, day.date))
  const outcome = ref<ImportOutcome | null>(null)
  const importing = ref(false)

  async function importCsv(csv: string): Promise<void> {
    const token = session.token
    if (!token || importing.value) return
    importing.value = true
    try {
      const answer = await importStatement(token, csv)
      outcome.value = { kind: 'done', answer }
      await load()
    } catch (reason) {
      const failure = failureOf(reason)
      if (failure.status === 401) session.expire(failure.code)
      const line = reason instanceof DepotApiError ? reason.details.line : undefined
      outcome.value = {
        kind: 'refused',
        code: failure.code,
        message: failure.message,
        line: typeof line === 'number' ? line : null,
      }
    } finally {
      importing.value = false
    }
  }

  return { data, loading, error, load, outcome, importing, importCsv }
})

if (import.meta.hot) import.meta.hot.accept(acceptHMRUpdate(useStatementsStore, import.meta.hot))
