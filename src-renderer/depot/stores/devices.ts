import { acceptHMRUpdate, defineStore } from 'pinia'
import { ref } from 'vue'
import type { DevicesStatusResponse } from '../../../shared/api/dashboard'
import { failureOf, fetchDevices } from '../api'
import { useDayStore } from './day'
import { useSessionStore } from './session'

/** The depot's devices: backlog from their heartbeats, last contact. */
export const useDevicesStore = defineStore('devices', () => {
  const session = useSessionStore()
  const day = useDayStore()
  const data = ref<DevicesStatusResponse | null>(null)
  const loading = ref(false)
  const error = ref<{ code: string; message: string } | null>(null)
  // Answers to older requests (an earlier day, a slower refresh) never overwrite a newer one.
  let generation = 0

  async function load(): Promise<void> {
    const token = session.token
    if (!token) return
    const mine = ++generation
    loading.value = true
    try {
      const answer = await fetchDevices(token, day.date)
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

  return { data, loading, error, load }
})

if (import.meta.hot) import.meta.hot.accept(acceptHMRUpdate(useDevicesStore, import.meta.hot))
