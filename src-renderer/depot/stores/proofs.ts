import { acceptHMRUpdate, defineStore } from 'pinia'
import { fetchProofs } from '../api'
import { useDayStore } from './day'
import { useDayView } from './day-view'

/** Each delivery's proof on the chosen day: what its policy asked, code tries, handover, override and reason. */
export const useProofsStore = defineStore('proofs', () => {
  const day = useDayStore()
  const { data, loading, error, load } = useDayView((token) => fetchProofs(token, day.date))
  return { data, loading, error, load }
})

if (import.meta.hot) import.meta.hot.accept(acceptHMRUpdate(useProofsStore, import.meta.hot))
