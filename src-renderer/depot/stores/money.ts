import { acceptHMRUpdate, defineStore } from 'pinia'
import { fetchMoney } from '../api'
import { useDayStore } from './day'
import { useDayView } from './day-view'

/** The chosen day's money as it truly stands: confirmed digital, cash, owed, refunds due and paid, net. */
export const useMoneyStore = defineStore('money', () => {
  const day = useDayStore()
  const { data, loading, error, load } = useDayView((token) => fetchMoney(token, day.date))
  return { data, loading, error, load }
})

if (import.meta.hot) import.meta.hot.accept(acceptHMRUpdate(useMoneyStore, import.meta.hot))
