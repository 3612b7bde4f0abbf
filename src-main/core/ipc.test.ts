import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { TuotouError } from '../../shared/errors'
import { ipcChannelNames } from '../../shared/ipc/contract'
import { createDeviceCore, type CoreHandlers, type DeviceCore } from '.'
import { createIpcDispatcher } from './ipc'

const cores: DeviceCore[] = []
function core(): DeviceCore {
  const dataDir = mkdtempSync(join(tmpdir(), 'tuotou-core-'))
  const created = createDeviceCore({
    dataDir,
    host: 'browser',
    version: '0.0.0-test',
    backendUrl: 'http://127.0.0.1:9',
  })
  cores.push(created)
  return created
}
afterEach(() => cores.splice(0).forEach((c) => c.close()))

describe('IPC dispatcher', () => {
  it('has a handler for every channel in the contract', () => {
    expect(Object.keys(core().handlers).sort()).toEqual([...ipcChannelNames].sort())
  })

  it('refuses an unknown channel without calling anything', async () => {
    const result = await createIpcDispatcher(core().handlers)('dropDatabase', {})
    expect(result).toMatchObject({ ok: false, error: { code: 'ipc.unknown_channel' } })
  })

  it('refuses a prototype key posing as a channel', async () => {
    const result = await createIpcDispatcher(core().handlers)('constructor', {})
    expect(result).toMatchObject({ ok: false, error: { code: 'ipc.unknown_channel' } })
  })

  it('refuses a malformed request before it reaches the handler', async () => {
    const handlers = { ...core().handlers, updateSettings: vi.fn() } as unknown as CoreHandlers
    const dispatch = createIpcDispatcher(handlers)
    for (const bad of [null, 'en', [], { locale: 'fr' }, { backendUrl: 'ftp://x' }, { extra: 1 }]) {
      const result = await dispatch('updateSettings', bad)
      expect(result, JSON.stringify(bad)).toMatchObject({ ok: false, error: { code: 'ipc.bad_request' } })
    }
    expect(handlers.updateSettings).not.toHaveBeenCalled()
  })

  it('names the field that is wrong', async () => {
    const result = await createIpcDispatcher(core().handlers)('updateSettings', { locale: 'fr' })
    expect(result.ok).toBe(false)
    if (!result.ok) expect(result.error.message).toContain('locale')
  })

  it('answers a valid request', async () => {
    const result = await createIpcDispatcher(core().handlers)('updateSettings', { locale: 'en' })
    expect(result).toMatchObject({ ok: true, value: { locale: 'en' } })
  })

  it('carries a domain error code across', async () => {
    const handlers = {
      ...core().handlers,
      getSettings: () => Promise.reject(new TuotouError('scan.not_on_manifest', 'nope', { barcode: 'X' })),
    }
    const result = await createIpcDispatcher(handlers)('getSettings', {})
    expect(result).toEqual({
      ok: false,
      error: { code: 'scan.not_on_manifest', message: 'nope', details: { barcode: 'X' } },
    })
  })

  it('refuses to pass on an answer outside the contract', async () => {
    const handlers = { ...core().handlers, getSettings: () => Promise.resolve({ locale: 'klingon' }) }
    const result = await createIpcDispatcher(handlers as unknown as CoreHandlers)('getSettings', {})
    expect(result).toMatchObject({ ok: false, error: { code: 'ipc.bad_response' } })
  })
})

describe('settings', () => {
  it('survive a restart of the core', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tuotou-core-'))
    const first = createDeviceCore({ dataDir, host: 'browser', version: '0' })
    await first.handlers.updateSettings({ locale: 'en', cameraTriggerKey: 'F9' })
    first.close()
    const second = createDeviceCore({ dataDir, host: 'browser', version: '0' })
    cores.push(second)
    expect(await second.handlers.getSettings({})).toMatchObject({ locale: 'en', cameraTriggerKey: 'F9' })
  })

  it('push a settingsChanged event after the change is stored', async () => {
    const c = core()
    const seen: unknown[] = []
    const dispose = c.events.on('settingsChanged', (settings) => seen.push(settings))
    await c.handlers.updateSettings({ locale: 'zh-CN' })
    dispose()
    await c.handlers.updateSettings({ locale: 'en' })
    expect(seen).toEqual([expect.objectContaining({ locale: 'zh-CN' })])
  })

  it('report an unreachable backend as a status, not a crash', async () => {
    const health = await core().handlers.checkBackend({})
    expect(health).toMatchObject({ reachable: false, url: 'http://127.0.0.1:9' })
    expect(health.error).toMatch(/cannot reach/)
  })
})
