import { acceptHMRUpdate, defineStore } from 'pinia'
import { fetchDevices } from '../api'
import { useDayStore } from './day'
import { useDayView } from './day-view'

/** The depot's devices: backlog from their heartbeats, last contact. */
export const useDevicesStore = defineStore('devices', () => {
  const day = useDayStore()
  const { data, loading, error, load } = useDayView((token) => fetchDevices(token, day.date))
  return { data, loading, error, load }
})

if (import.meta.hot) import.meta.hot.accept(acceptHMRUpdate(useDevicesStore, import.meta.hot))
