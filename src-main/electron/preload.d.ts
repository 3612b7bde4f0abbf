import type { PreloadApi } from '../../shared/ipc/bridge'

declare global {
  interface Window {
    /** Present only inside Electron, where the preload exposes it. */
    tuotou?: PreloadApi
  }
}

export {}
