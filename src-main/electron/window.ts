import type { BrowserWindowConstructorOptions } from 'electron'

/** The handheld's portrait screen, in logical pixels. */
export const HANDHELD_SIZE = { width: 720, height: 1280 } as const
/** The smallest screen the terminal is laid out for. */
export const HANDHELD_MIN_SIZE = { width: 480, height: 854 } as const

/**
 * Window options for the courier's terminal. The renderer is isolated and sandboxed and has no Node; it
 * reaches the core only through the preload's functions.
 */
export function terminalWindowOptions(preloadPath: string, kiosk: boolean): BrowserWindowConstructorOptions {
  return {
    width: HANDHELD_SIZE.width,
    height: HANDHELD_SIZE.height,
    minWidth: HANDHELD_MIN_SIZE.width,
    minHeight: HANDHELD_MIN_SIZE.height,
    kiosk,
    fullscreen: kiosk,
    autoHideMenuBar: true,
    backgroundColor: '#0b0f14',
    title: 'Tuotou',
    show: false,
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      spellcheck: false,
    },
  }
}

/** Only the app's own page may be shown; anything else (a link, a redirect) is refused. */
export function isAppUrl(url: string, appUrl: string): boolean {
  try {
    const target = new URL(url)
    const app = new URL(appUrl)
    if (app.protocol === 'file:') return target.protocol === 'file:' && target.pathname === app.pathname
    return target.origin === app.origin
  } catch {
    return false
  }
}

/** A dial link the terminal may hand to the operating system: `tel:` with digits, a leading +, and pauses. */
export function isDialUrl(url: string): boolean {
  return /^tel:\+?\d{3,20}(,\d{1,10})?$/.test(url)
}
