import { acceptHMRUpdate, defineStore } from 'pinia'
import { ref } from 'vue'
import type { SandboxPayResponse, SandboxPreviewResponse } from '../../../shared/api/sandbox'
import { payPayment, previewPayment, WalletError } from '../acquirer'

/** A wallet of its own per browser, so two testers' payments are told apart in the acquirer's records. */
export function walletId(): string {
  const key = 'tuotou.sandbox.walletId'
  let id = localStorage.getItem(key)
  if (!id) {
    id = `wallet-${crypto.randomUUID().slice(0, 8)}`
    localStorage.setItem(key, id)
  }
  return id
}

/** The customer's side of one payment: read a code, see what it asks, pay, show the receipt. */
export const useWalletStore = defineStore('wallet', () => {
  const payload = ref('')
  const preview = ref<SandboxPreviewResponse | null>(null)
  const receipt = ref<SandboxPayResponse | null>(null)
  const error = ref<{ code: string; message: string } | null>(null)
  const busy = ref(false)

  function fail(reason: unknown): void {
    error.value =
      reason instanceof WalletError
        ? { code: reason.code, message: reason.message }
        : { code: 'other', message: reason instanceof Error ? reason.message : String(reason) }
  }

  async function read(code: string): Promise<void> {
    payload.value = code.trim()
    preview.value = null
    receipt.value = null
    error.value = null
    busy.value = true
    try {
      preview.value = await previewPayment(payload.value)
    } catch (reason) {
      fail(reason)
    } finally {
      busy.value = false
    }
  }

  async function pay(): Promise<void> {
    if (!preview.value) return
    busy.value = true
    error.value = null
    try {
      receipt.value = await payPayment(payload.value, walletId())
    } catch (reason) {
      fail(reason)
    } finally {
      busy.value = false
    }
  }

  function reset(): void {
    payload.value = ''
    preview.value = null
    receipt.value = null
    error.value = null
  }

  return { payload, preview, receipt, error, busy, read, pay, reset, fail }
})

if (import.meta.hot) import.meta.hot.accept(acceptHMRUpdate(useWalletStore, import.meta.hot))
