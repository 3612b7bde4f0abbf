import { acceptHMRUpdate, defineStore } from 'pinia'
import { fetchClosure } from '../api'
import { useDayView } from './day-view'

/** Intents and charges past the bound with no final state yet (the target is none), as the backend holds them. */
export const useClosureStore = defineStore('closure', () => {
  const { data, loading, error, load } = useDayView((token) => fetchClosure(token))
  return { data, loading, error, load }
})

if (import.meta.hot) import.meta.hot.accept(acceptHMRUpdate(useClosureStore, import.meta.hot))
