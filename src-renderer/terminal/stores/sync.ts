import { acceptHMRUpdate, defineStore } from 'pinia'
import { ref } from 'vue'
import type { SyncStatus } from '../../../shared/ipc/contract'
import { bridge } from '../../bridge'

/** Whether what the courier did has reached the depot: coverage, the queue, and what blocks it. */
export const useSyncStore = defineStore('sync', () => {
  const status = ref<SyncStatus | null>(null)
  const syncing = ref(false)
  /** The details sheet is open (the header chip and the shift summary both open it). */
  const detailsOpen = ref(false)

  async function load(): Promise<void> {
    status.value = await bridge.getSyncStatus({})
  }

  async function syncNow(): Promise<void> {
    syncing.value = true
    try {
      status.value = await bridge.syncNow({})
    } finally {
      syncing.value = false
    }
  }

  function showDetails(open = true): void {
    detailsOpen.value = open
  }

  function subscribe(): () => void {
    return bridge.onSyncStatus((next) => {
      status.value = next
    })
  }

  return { status, syncing, detailsOpen, load, syncNow, showDetails, subscribe }
})

if (import.meta.hot) import.meta.hot.accept(acceptHMRUpdate(useSyncStore, import.meta.hot))
