import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { electronChannel } from '../../shared/ipc/bridge'
import { ipcChannelNames } from '../../shared/ipc/contract'

type Listener = (...args: unknown[]) => void

const electron = vi.hoisted(() => {
  const state = {
    lock: true,
    handlers: new Map<string, unknown>(),
    appEvents: new Map<string, Listener>(),
    windows: [] as { options: Record<string, unknown>; url?: string }[],
    permission: null as null | ((contents: unknown, permission: string, callback: (ok: boolean) => void) => void),
    ready: null as null | Promise<void>,
    userData: '',
  }
  class BrowserWindow {
    options: Record<string, unknown>
    url?: string
    webContents = { isDestroyed: () => false, send: () => undefined }
    constructor(options: Record<string, unknown>) {
      this.options = options
      state.windows.push(this)
    }
    once(): void {}
    on(): void {}
    show(): void {}
    loadURL(url: string): Promise<void> {
      this.url = url
      return Promise.resolve()
    }
  }
  return {
    state,
    app: {
      isPackaged: false,
      requestSingleInstanceLock: vi.fn(() => state.lock),
      quit: vi.fn(),
      on: vi.fn((name: string, listener: Listener) => state.appEvents.set(name, listener)),
      whenReady: vi.fn(() => {
        state.ready = Promise.resolve()
        return state.ready
      }),
      getPath: () => state.userData,
      getAppPath: () => '/nonexistent-app',
      getVersion: () => '9.9.9',
      exit: vi.fn(),
    },
    dialog: { showErrorBox: vi.fn() },
    shell: { openExternal: vi.fn(() => Promise.resolve()) },
    BrowserWindow,
    ipcMain: {
      handle: (channel: string, handler: unknown) => state.handlers.set(channel, handler),
      removeHandler: (channel: string) => state.handlers.delete(channel),
    },
    safeStorage: { isEncryptionAvailable: () => false, getSelectedStorageBackend: () => 'basic_text' },
    session: {
      defaultSession: {
        setPermissionRequestHandler: (handler: typeof state.permission) => {
          state.permission = handler
        },
      },
    },
  }
})
vi.mock('electron', () => ({ ...electron, default: electron }))

beforeEach(() => {
  vi.resetModules()
  electron.state.handlers.clear()
  electron.state.windows.length = 0
  electron.state.userData = mkdtempSync(join(tmpdir(), 'tuotou-main-'))
  electron.app.quit.mockClear()
})

async function startMain(): Promise<void> {
  await import('./main')
  await electron.state.ready
  await new Promise((resolve) => setTimeout(resolve, 0))
}

describe('Electron main process', () => {
  it('takes the single-instance lock, registers every channel and opens one secure window', async () => {
    electron.state.lock = true
    await startMain()
    expect(electron.app.requestSingleInstanceLock).toHaveBeenCalled()
    expect([...electron.state.handlers.keys()].sort()).toEqual(ipcChannelNames.map(electronChannel).sort())
    expect(electron.state.windows).toHaveLength(1)
    const [win] = electron.state.windows
    expect(win!.options.webPreferences).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false })
    expect(win!.url).toMatch(/renderer\/terminal\/index\.html$/)
  })

  it('grants the camera and nothing else', async () => {
    electron.state.lock = true
    await startMain()
    const answers: Record<string, boolean> = {}
    for (const permission of ['media', 'geolocation', 'notifications', 'clipboard-read']) {
      electron.state.permission!(null, permission, (ok) => (answers[permission] = ok))
    }
    expect(answers).toEqual({ media: true, geolocation: false, notifications: false, 'clipboard-read': false })
  })

  it('blocks new windows and navigation away from the app', async () => {
    electron.state.lock = true
    await startMain()
    const handlers: Record<string, Listener> = {}
    let openHandler: ((details: { url: string }) => unknown) | null = null
    const contents = {
      setWindowOpenHandler: (handler: (details: { url: string }) => unknown) => (openHandler = handler),
      on: (name: string, listener: Listener) => (handlers[name] = listener),
    }
    electron.state.appEvents.get('web-contents-created')!({}, contents)
    expect(openHandler!({ url: 'https://phish.example/' })).toEqual({ action: 'deny' })
    const prevented = vi.fn()
    handlers['will-navigate']!({ preventDefault: prevented }, 'https://phish.example/')
    expect(prevented).toHaveBeenCalled()
    expect(electron.shell.openExternal).not.toHaveBeenCalled()
  })

  it('hands a call link to the dialer, and only a well-formed one', async () => {
    electron.state.lock = true
    await startMain()
    const handlers: Record<string, Listener> = {}
    const contents = {
      setWindowOpenHandler: () => undefined,
      on: (name: string, listener: Listener) => (handlers[name] = listener),
    }
    electron.state.appEvents.get('web-contents-created')!({}, contents)
    electron.shell.openExternal.mockClear()
    for (const url of ['tel:17100001234,5678', 'tel:+8617100001234', 'tel:1;phone-context=x', 'tel:', 'sms:10086']) {
      const prevented = vi.fn()
      handlers['will-navigate']!({ preventDefault: prevented }, url)
      expect(prevented).toHaveBeenCalled()
    }
    expect(electron.shell.openExternal.mock.calls).toEqual([['tel:17100001234,5678'], ['tel:+8617100001234']])
  })

  it('quits at once when another instance holds the lock', async () => {
    electron.state.lock = false
    await import('./main')
    expect(electron.app.quit).toHaveBeenCalled()
    expect(electron.state.windows).toHaveLength(0)
    expect(electron.state.handlers.size).toBe(0)
  })

  it('refuses a data folder another terminal holds: an error box, exit at once, no window', async () => {
    electron.state.lock = true
    const { createDeviceCore } = await import('../core')
    const other = createDeviceCore({ dataDir: electron.state.userData, host: 'browser', version: '0' })
    try {
      await startMain()
      expect(electron.dialog.showErrorBox).toHaveBeenCalledWith('Tuotou', expect.stringMatching(/in use by another/))
      expect(electron.app.exit).toHaveBeenCalledWith(3)
      expect(electron.state.windows).toHaveLength(0)
    } finally {
      other.close()
    }
  })
})
