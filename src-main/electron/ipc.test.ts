import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { electronChannel, electronEventChannel, eventSubscriberName } from '../../shared/ipc/bridge'
import { ipcChannelNames, ipcEventNames } from '../../shared/ipc/contract'
import { createDeviceCore, type DeviceCore } from '../core'
import { createIpcDispatcher } from '../core/ipc'

type Handler = (event: { senderFrame: { url: string } | null }, request: unknown) => unknown

const electron = vi.hoisted(() => {
  const handlers = new Map<string, Handler>()
  const listeners = new Map<string, (...args: unknown[]) => void>()
  return {
    handlers,
    listeners,
    ipcMain: {
      handle: (channel: string, handler: Handler) => {
        if (handlers.has(channel)) throw new Error(`second handler for ${channel}`)
        handlers.set(channel, handler)
      },
      removeHandler: (channel: string) => handlers.delete(channel),
    },
    ipcRenderer: {
      invoke: vi.fn((channel: string, request: unknown) => Promise.resolve({ channel, request })),
      on: vi.fn((channel: string, listener: (...args: unknown[]) => void) => listeners.set(channel, listener)),
      removeListener: vi.fn((channel: string) => listeners.delete(channel)),
    },
    contextBridge: { exposeInMainWorld: vi.fn() },
  }
})
vi.mock('electron', () => electron)

const { registerIpc } = await import('./ipc')
const { terminalWindowOptions, isAppUrl } = await import('./window')

const APP_URL = 'file:///opt/tuotou/out/renderer/terminal/index.html'
let core: DeviceCore
let dispose: () => void

beforeEach(() => {
  core = createDeviceCore({
    dataDir: mkdtempSync(join(tmpdir(), 'tuotou-electron-')),
    host: 'electron',
    version: '0.0.0-test',
  })
  const ipcMain = electron.ipcMain as unknown as Parameters<typeof registerIpc>[0]
  dispose = registerIpc(ipcMain, createIpcDispatcher(core.handlers), (event) =>
    isAppUrl(event.senderFrame?.url ?? '', APP_URL),
  )
})
afterEach(() => {
  dispose()
  core.close()
})

const fromApp = { senderFrame: { url: APP_URL } }

describe('Electron main registration', () => {
  it('registers exactly the channels of the contract', () => {
    expect([...electron.handlers.keys()].sort()).toEqual(ipcChannelNames.map(electronChannel).sort())
  })

  it('answers a valid message through the core', async () => {
    const handler = electron.handlers.get(electronChannel('updateSettings'))!
    expect(await handler(fromApp, { locale: 'en' })).toMatchObject({ ok: true, value: { locale: 'en' } })
  })

  it('refuses a malformed message with a typed error before any handler runs', async () => {
    const handler = electron.handlers.get(electronChannel('updateSettings'))!
    for (const bad of [undefined, 42, { locale: 'xx' }, { backendUrl: 'javascript:alert(1)' }]) {
      expect(await handler(fromApp, bad)).toMatchObject({ ok: false, error: { code: 'ipc.bad_request' } })
    }
    expect(await core.handlers.getSettings({})).toMatchObject({ locale: 'system' })
  })

  it('refuses a message from a frame that is not the app', async () => {
    const handler = electron.handlers.get(electronChannel('updateSettings'))!
    const result = await handler({ senderFrame: { url: 'https://evil.example/' } }, { locale: 'en' })
    expect(result).toMatchObject({ ok: false, error: { code: 'ipc.untrusted_sender' } })
    expect(await core.handlers.getSettings({})).toMatchObject({ locale: 'system' })
  })

  it('removes every handler it registered when disposed', () => {
    dispose()
    expect(electron.handlers.size).toBe(0)
    dispose = () => undefined
  })
})

describe('Electron window', () => {
  it('is a portrait handheld, isolated, sandboxed and without Node', () => {
    const options = terminalWindowOptions('/preload.cjs', false)
    expect(options).toMatchObject({ width: 720, height: 1280, minWidth: 480, minHeight: 854, kiosk: false })
    expect(options.webPreferences).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      preload: '/preload.cjs',
    })
    expect(terminalWindowOptions('/p', true)).toMatchObject({ kiosk: true, fullscreen: true })
  })

  it('allows navigation only within the app', () => {
    expect(isAppUrl(APP_URL, APP_URL)).toBe(true)
    expect(isAppUrl('file:///etc/passwd', APP_URL)).toBe(false)
    expect(isAppUrl('https://example.com', APP_URL)).toBe(false)
    expect(isAppUrl('http://localhost:5173/terminal/', 'http://localhost:5173/terminal/index.html')).toBe(true)
    expect(isAppUrl('not a url', APP_URL)).toBe(false)
  })
})

describe('preload', () => {
  it('exposes one function per channel and one subscriber per event, and no ipcRenderer', async () => {
    await import('./preload')
    expect(electron.contextBridge.exposeInMainWorld).toHaveBeenCalledTimes(1)
    const [key, api] = electron.contextBridge.exposeInMainWorld.mock.calls[0] as [string, Record<string, unknown>]
    expect(key).toBe('tuotou')
    const expected = [...ipcChannelNames, ...ipcEventNames.map(eventSubscriberName)].sort()
    expect(Object.keys(api).sort()).toEqual(expected)
    for (const value of Object.values(api)) {
      expect(typeof value).toBe('function')
      expect(value).not.toBe(electron.ipcRenderer.invoke)
    }

    await (api.getSettings as (request: unknown) => Promise<unknown>)({})
    expect(electron.ipcRenderer.invoke).toHaveBeenCalledWith(electronChannel('getSettings'), {})

    const seen: unknown[] = []
    const stop = (api.onSettingsChanged as (listener: (payload: unknown) => void) => () => void)((payload) =>
      seen.push(payload),
    )
    electron.listeners.get(electronEventChannel('settingsChanged'))?.({}, { locale: 'en' })
    stop()
    expect(seen).toEqual([{ locale: 'en' }])
    expect(electron.listeners.has(electronEventChannel('settingsChanged'))).toBe(false)
  })
})
