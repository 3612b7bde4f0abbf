import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { app, BrowserWindow, dialog, ipcMain, safeStorage, session, shell } from 'electron'
import { createDeviceCore, type DeviceCore } from '../core'
import { createIpcDispatcher } from '../core/ipc'
import { createElectronCredentialStore } from './credentials'
import { forwardEvents, registerIpc } from './ipc'
import { isAppUrl, isDialUrl, terminalWindowOptions } from './window'

const { values: args } = parseArgs({
  args: process.argv.slice(app.isPackaged ? 1 : 2),
  options: {
    kiosk: { type: 'boolean', default: false },
    backend: { type: 'string' },
    data: { type: 'string' },
  },
  strict: false,
})

// One terminal per device: a second launch focuses the first instead of opening the database twice.
if (!app.requestSingleInstanceLock()) {
  app.quit()
} else {
  let win: BrowserWindow | null = null
  let core: DeviceCore | null = null
  const appUrl = process.env.ELECTRON_RENDERER_URL
    ? `${process.env.ELECTRON_RENDERER_URL}/terminal/index.html`
    : `file://${join(import.meta.dirname, '../renderer/terminal/index.html')}`

  app.on('second-instance', () => {
    if (win) {
      if (win.isMinimized()) win.restore()
      win.focus()
    }
  })

  app.on('web-contents-created', (_event, contents) => {
    // A "call customer" link goes to the operating system's dialer; nothing else leaves the app.
    const dial = (url: string): void => {
      if (isDialUrl(url)) void shell.openExternal(url).catch(() => undefined)
    }
    contents.setWindowOpenHandler(({ url }) => {
      dial(url)
      return { action: 'deny' }
    })
    contents.on('will-navigate', (event, url) => {
      if (isAppUrl(url, appUrl)) return
      event.preventDefault()
      dial(url)
    })
    contents.on('will-attach-webview', (event) => event.preventDefault())
  })

  app.on('window-all-closed', () => app.quit())
  app.on('will-quit', () => core?.close())

  void app.whenReady().then(() => {
    // The camera is the only permission the terminal needs.
    session.defaultSession.setPermissionRequestHandler((_contents, permission, callback) =>
      callback(permission === 'media'),
    )
    const dataDir = typeof args.data === 'string' ? args.data : app.getPath('userData')
    const nativeBinding = join(app.getAppPath(), '.electron-native', 'better_sqlite3.node')
    try {
      core = createDeviceCore({
        dataDir,
        backendUrl: typeof args.backend === 'string' ? args.backend : process.env.TUOTOU_BACKEND_URL,
        host: 'electron',
        version: app.getVersion(),
        kiosk: args.kiosk === true,
        credentials: createElectronCredentialStore(join(dataDir, 'credentials'), safeStorage),
        nativeBinding: existsSync(nativeBinding) ? nativeBinding : undefined,
      })
    } catch (error) {
      // Another terminal (a browser host) holds this data folder, or the folder cannot be used: say so, and stop
      // before anything could act on the device's records twice.
      dialog.showErrorBox('Tuotou', error instanceof Error ? error.message : String(error))
      app.exit(3)
      return
    }
    const dispatch = createIpcDispatcher(core.handlers)
    registerIpc(ipcMain, dispatch, (event) => isAppUrl(event.senderFrame?.url ?? '', appUrl))

    win = new BrowserWindow(
      terminalWindowOptions(join(import.meta.dirname, '../preload/index.cjs'), args.kiosk === true),
    )
    forwardEvents(core.events, () => win?.webContents ?? null)
    win.once('ready-to-show', () => win?.show())
    win.on('closed', () => {
      win = null
    })
    void win.loadURL(appUrl)
  })
}
