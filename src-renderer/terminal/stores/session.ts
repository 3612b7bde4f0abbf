import { acceptHMRUpdate, defineStore } from 'pinia'
import { computed, ref } from 'vue'
import type { DeviceStatus, ManifestProgress } from '../../../shared/ipc/contract'
import { bridge } from '../../bridge'

/** Which first-run step the terminal is at, from enrollment to a route ready on the device. */
export type SessionStage = 'loading' | 'enroll' | 'retired' | 'login' | 'manifest' | 'ready'

/** The device and the courier: enrollment, login, and the manifest download with its progress. */
export const useSessionStore = defineStore('session', () => {
  const status = ref<DeviceStatus | null>(null)
  const progress = ref<ManifestProgress | null>(null)
  const busy = ref(false)
  /** The courier chose to log in here to take back a shift that moved to another terminal. */
  const takingBack = ref(false)

  const stage = computed<SessionStage>(() => {
    const current = status.value
    if (!current) return 'loading'
    if (!current.enrolled) return 'enroll'
    if (current.retired) return 'retired'
    if (!current.shift || current.needsLogin || (takingBack.value && current.shift.movedTo)) return 'login'
    if (!current.shift.manifestLoaded) return 'manifest'
    return 'ready'
  })

  async function load(): Promise<void> {
    status.value = await bridge.getDeviceStatus({})
  }

  async function run<T>(action: () => Promise<T>): Promise<T> {
    busy.value = true
    try {
      return await action()
    } finally {
      busy.value = false
    }
  }

  async function enroll(code: string): Promise<void> {
    status.value = await run(() => bridge.enrollDevice({ code }))
  }

  async function login(staffId: string, pin: string): Promise<void> {
    status.value = await run(() => bridge.login({ staffId, pin }))
    takingBack.value = false
  }

  function takeBack(): void {
    takingBack.value = true
  }

  async function downloadManifest(): Promise<void> {
    progress.value = await run(() => bridge.downloadManifest({}))
    await load()
  }

  /** Ends the shift; with something still open the core refuses (`shift.open_items`) unless `confirmOpen`. */
  async function closeShift(confirmOpen: boolean): Promise<void> {
    status.value = await run(() => bridge.closeShift({ confirmOpen }))
    progress.value = null
  }

  function subscribe(): () => void {
    const disposers = [
      bridge.onDeviceStatus((next) => {
        status.value = next
      }),
      bridge.onManifestProgress((next) => {
        progress.value = next
      }),
    ]
    return () => disposers.forEach((dispose) => dispose())
  }

  return {
    status,
    progress,
    busy,
    takingBack,
    stage,
    load,
    enroll,
    login,
    takeBack,
    downloadManifest,
    closeShift,
    subscribe,
  }
})

if (import.meta.hot) import.meta.hot.accept(acceptHMRUpdate(useSessionStore, import.meta.hot))
