import { acceptHMRUpdate, defineStore } from 'pinia'
import { computed, ref } from 'vue'
import type { RefundView } from '../../../shared/api/closure'
import { approveRefund, failureOf, fetchRefunds, retryRefund } from '../api'
import { useDayStore } from './day'
import { useDayView } from './day-view'
import { useSessionStore } from './session'

export type RefundOutcome = { ok: true; refund: RefundView } | { ok: false; code: string; message: string }

/**
 * The chosen day's refunds and the supervisor approving one for a flagged double or late payment. Approved is
 * not paid back: each refund shows its state until the acquirer's signed result arrives.
 */
export const useRefundsStore = defineStore('refunds', () => {
  const session = useSessionStore()
  const day = useDayStore()
  const busy = ref<string | null>(null)
  const { data, loading, error, load } = useDayView((token) => fetchRefunds(token, day.date))
  const byFlag = computed(() => new Map((data.value?.refunds ?? []).map((r) => [r.flagId, r])))

  async function send(key: string, action: (token: string) => Promise<RefundView>): Promise<RefundOutcome> {
    const token = session.token
    if (!token) return { ok: false, code: 'auth.missing', message: 'not logged in' }
    busy.value = key
    try {
      const refund = await action(token)
      await load()
      return { ok: true, refund }
    } catch (reason) {
      const failure = failureOf(reason)
      if (failure.status === 401) session.expire(failure.code)
      return { ok: false, code: failure.code, message: failure.message }
    } finally {
      busy.value = null
    }
  }

  const approve = (flagId: string, note: string) =>
    send(flagId, (token) => approveRefund(token, { flagId, note: note.trim() }))
  const retry = (refund: RefundView) =>
    send(refund.flagId ?? refund.refundNo, (token) => retryRefund(token, refund.refundNo))

  return { data, loading, error, busy, byFlag, load, approve, retry }
})

if (import.meta.hot) import.meta.hot.accept(acceptHMRUpdate(useRefundsStore, import.meta.hot))
