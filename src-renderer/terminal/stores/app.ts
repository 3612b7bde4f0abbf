import { acceptHMRUpdate, defineStore } from 'pinia'
import { ref } from 'vue'
import type { AppInfo, BackendHealth, Settings, SettingsPatch } from '../../../shared/ipc/contract'
import { bridge, hostKind, IpcError } from '../../bridge'

/** The terminal itself: what host it runs in, its settings, and whether the backend answers. */
export const useAppStore = defineStore('app', () => {
  const info = ref<AppInfo | null>(null)
  const settings = ref<Settings | null>(null)
  const backendHealth = ref<BackendHealth | null>(null)
  const checkingBackend = ref(false)
  const lastError = ref<IpcError | null>(null)

  async function load(): Promise<void> {
    const [appInfo, current] = await Promise.all([bridge.getAppInfo({}), bridge.getSettings({})])
    info.value = appInfo
    settings.value = current
  }

  async function updateSettings(patch: SettingsPatch): Promise<void> {
    try {
      settings.value = await bridge.updateSettings(patch)
      lastError.value = null
    } catch (error) {
      lastError.value = error instanceof IpcError ? error : null
      throw error
    }
  }

  async function checkBackend(): Promise<BackendHealth> {
    checkingBackend.value = true
    try {
      backendHealth.value = await bridge.checkBackend({})
      return backendHealth.value
    } finally {
      checkingBackend.value = false
    }
  }

  /** Tells the core the battery, for the depot's device list; a refusal costs nothing but that figure. */
  function reportBattery(level: number, charging: boolean): void {
    bridge
      .reportBattery({ level: Math.min(100, Math.max(0, Math.round(level * 100))), charging })
      .catch(() => undefined)
  }

  /** Follows the core's pushes; returns the disposer for `onUnmounted`. */
  function subscribe(): () => void {
    const disposers = [
      bridge.onSettingsChanged((next) => {
        settings.value = next
      }),
      bridge.onBackendHealth((health) => {
        backendHealth.value = health
      }),
    ]
    return () => disposers.forEach((dispose) => dispose())
  }

  return {
    hostKind,
    info,
    settings,
    backendHealth,
    checkingBackend,
    lastError,
    load,
    reportBattery,
    updateSettings,
    checkBackend,
    subscribe,
  }
})

if (import.meta.hot) import.meta.hot.accept(acceptHMRUpdate(useAppStore, import.meta.hot))
