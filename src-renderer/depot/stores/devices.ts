import { acceptHMRUpdate, defineStore } from 'pinia'
import { ref } from 'vue'
import type { CreateEnrollmentCodeResponse } from '../../../shared/api/device'
import { failureOf, fetchDevices, issueEnrollmentCode, retireDevice } from '../api'
import { useDayStore } from './day'
import { useDayView } from './day-view'
import { useSessionStore } from './session'

export type DeviceActionOutcome = { ok: true } | { ok: false; code: string; message: string }

/** The depot's devices: backlog from their heartbeats, last contact; enrolling new ones and retiring old ones. */
export const useDevicesStore = defineStore('devices', () => {
  const session = useSessionStore()
  const day = useDayStore()
  const { data, loading, error, load } = useDayView((token) => fetchDevices(token, day.date))
  /** The code just issued (shown once: the backend keeps only its hash). */
  const issued = ref<CreateEnrollmentCodeResponse | null>(null)
  const busy = ref<string | null>(null)

  async function act(key: string, action: (token: string) => Promise<unknown>): Promise<DeviceActionOutcome> {
    const token = session.token
    if (!token) return { ok: false, code: 'auth.missing', message: 'not logged in' }
    busy.value = key
    try {
      await action(token)
      return { ok: true }
    } catch (reason) {
      const failure = failureOf(reason)
      if (failure.status === 401) session.expire(failure.code)
      return { ok: false, code: failure.code, message: failure.message }
    } finally {
      busy.value = null
    }
  }

  const issueCode = () =>
    act('enrollment', async (token) => {
      issued.value = await issueEnrollmentCode(token)
    })

  const retire = (deviceId: string) =>
    act(deviceId, async (token) => {
      await retireDevice(token, deviceId)
      await load()
    })

  return { data, loading, error, issued, busy, load, issueCode, retire }
})

if (import.meta.hot) import.meta.hot.accept(acceptHMRUpdate(useDevicesStore, import.meta.hot))
