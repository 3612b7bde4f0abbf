import { acceptHMRUpdate, defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { openAttention, type Attention } from '../../../shared/ipc/contract'
import { bridge } from '../../bridge'

/**
 * The courier's "needs attention" list: events the depot refused, flags, and "paid, to be verified" payments with
 * the backend's verdict. The core pushes the whole list whenever it changes.
 */
export const useAttentionStore = defineStore('attention', () => {
  const attention = ref<Attention | null>(null)

  /** Items someone still has to act on; a verified unverified payment is settled and no longer counts. */
  const open = computed(() => (attention.value ? openAttention(attention.value) : 0))
  const empty = computed(() => {
    const list = attention.value
    return !list || list.rejected.length + list.flags.length + list.unverified.length === 0
  })

  async function load(): Promise<void> {
    attention.value = await bridge.getAttention({})
  }

  /** The courier has seen a refused event: it leaves the list; a refusal to do so is shown beside it. */
  const failure = ref<{ seq: number; message: string } | null>(null)
  async function acknowledge(seq: number): Promise<void> {
    try {
      attention.value = await bridge.acknowledgeRejected({ seq })
      failure.value = null
    } catch (error) {
      failure.value = { seq, message: (error as Error).message }
    }
  }

  function subscribe(): () => void {
    return bridge.onAttentionChanged((next) => {
      attention.value = next
    })
  }

  return { attention, open, empty, failure, load, acknowledge, subscribe }
})

if (import.meta.hot) import.meta.hot.accept(acceptHMRUpdate(useAttentionStore, import.meta.hot))
