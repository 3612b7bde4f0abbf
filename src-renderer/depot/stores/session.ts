import { acceptHMRUpdate, defineStore } from 'pinia'
import { computed, ref } from 'vue'
import type { SupervisorLoginResponse } from '../../../shared/api/depot'
import { DepotApiError, logIn, logOut } from '../api'

const STORAGE_KEY = 'tuotou.depot.session'

/** The session survives a reload of the tab (sessionStorage), not the tab itself: a shared PC stays safe. */
function restored(): SupervisorLoginResponse | null {
  try {
    const saved = JSON.parse(sessionStorage.getItem(STORAGE_KEY) ?? 'null') as SupervisorLoginResponse | null
    return saved && Date.parse(saved.expiresAt) > Date.now() ? saved : null
  } catch {
    return null
  }
}

/** The supervisor's login: their token, name and depot, or nothing. */
export const useSessionStore = defineStore('session', () => {
  const session = ref<SupervisorLoginResponse | null>(restored())
  const busy = ref(false)
  const error = ref<{ code: string; message: string } | null>(null)

  const token = computed(() => session.value?.supervisorToken ?? null)
  const depotName = computed(() => session.value?.depot.name ?? '')
  const supervisorName = computed(() => session.value?.supervisor.name ?? '')

  async function login(login: string, password: string): Promise<boolean> {
    busy.value = true
    error.value = null
    try {
      session.value = await logIn(login.trim(), password)
      sessionStorage.setItem(STORAGE_KEY, JSON.stringify(session.value))
      return true
    } catch (reason) {
      error.value =
        reason instanceof DepotApiError
          ? { code: reason.code, message: reason.message }
          : { code: 'other', message: String(reason) }
      return false
    } finally {
      busy.value = false
    }
  }

  /** Forgets the session here, and ends it at the backend when it still can. */
  async function logout(): Promise<void> {
    const current = token.value
    expire()
    if (current) await logOut(current).catch(() => undefined)
  }

  /** The backend refused the token (expired, logged out elsewhere): back to the login form. */
  function expire(code?: string): void {
    session.value = null
    sessionStorage.removeItem(STORAGE_KEY)
    if (code) error.value = { code, message: code }
  }

  return { session, busy, error, token, depotName, supervisorName, login, logout, expire }
})

if (import.meta.hot) import.meta.hot.accept(acceptHMRUpdate(useSessionStore, import.meta.hot))
