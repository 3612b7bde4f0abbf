import { acceptHMRUpdate, defineStore } from 'pinia'
import { fetchAttention } from '../api'
import { useDayStore } from './day'
import { useDayView } from './day-view'

/** What needs a supervisor on the chosen day: settlements, flags, rejected events. */
export const useAttentionStore = defineStore('attention', () => {
  const day = useDayStore()
  const { data, loading, error, load } = useDayView((token) => fetchAttention(token, day.date))
  return { data, loading, error, load }
})

if (import.meta.hot) import.meta.hot.accept(acceptHMRUpdate(useAttentionStore, import.meta.hot))
