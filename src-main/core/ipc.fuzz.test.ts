import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fc, test } from '@fast-check/vitest'
import Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect } from 'vitest'
import { ErrorBody } from '../../shared/errors'
import { ipcChannelNames, ipcChannels } from '../../shared/ipc/contract'
import { propertyParameters, propertyTimeout } from '../../shared/testing/property'
import { fuzzFrom } from '../../shared/testing/zod-arbitrary'
import { startBrowserHost, type BrowserHost } from '../browser-host/server'
import { createIpcDispatcher, type IpcDispatch } from './ipc'
import { startTestDevice, type TestDevice } from './testing/device'

/**
 * Every IPC channel fuzzed from its own request schema (issue 11): valid requests, near misses (a field of the
 * wrong type, at the edge of its type, huge or unicode-odd, missing or extra) and arbitrary JSON, through the
 * core's dispatcher on a device with its route, and through the browser host without its token. Whatever
 * arrives: no internal error (the IPC's 5xx), the one error shape, no stack trace, and a refusal changes nothing
 * in the device's store. A channel added to the contract is fuzzed with no new test.
 */

/** Everything the device holds, but the sync engine's own marks, as one comparable value. */
function snapshot(file: string): Record<string, unknown[]> {
  const db = new Database(file, { readonly: true })
  try {
    const tables = (
      db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT IN ('sync_state')`).all() as {
        name: string
      }[]
    ).map((row) => row.name)
    return Object.fromEntries(tables.map((name) => [name, db.prepare(`SELECT * FROM "${name}"`).all()]))
  } finally {
    db.close()
  }
}

function expectWellFormed(channel: string, result: Awaited<ReturnType<IpcDispatch>>): void {
  if (result.ok) return
  expect(ErrorBody.safeParse(result.error).success, `${channel}: the error shape`).toBe(true)
  expect(result.error.code, `${channel}: an internal error (${result.error.message})`).not.toMatch(
    /^(internal|ipc\.bad_response)$/,
  )
  expect(result.error.message, `${channel}: a stack trace in the answer`).not.toMatch(/\n\s+at /)
}

for (const channel of ipcChannelNames) {
  describe(`IPC channel ${channel}`, () => {
    let device: TestDevice
    let dispatch: IpcDispatch
    let file: string
    beforeAll(async () => {
      device = await startTestDevice()
      // Nothing in the background may change the store between the snapshots.
      device.core.sync.stop()
      dispatch = createIpcDispatcher(device.core.handlers)
      file = join(device.dataDir, 'device.sqlite')
      // A parcel in hand, so collection channels reach their checks rather than stop at the first one.
      await device.core.handlers.scanBarcode({ code: 'JDVA00000000001-1-1-', source: 'wedge' })
    })
    afterAll(() => device.close())

    test.prop([fuzzFrom(ipcChannels[channel].request)], propertyParameters(25, 4_000))(
      'whatever arrives: no internal error, the one error shape, and a refusal changes nothing',
      async (request) => {
        const before = snapshot(file)
        const result = await dispatch(channel, request)
        expectWellFormed(channel, result)
        if (!result.ok) expect(snapshot(file), `${channel} refused, yet the store changed`).toEqual(before)
      },
      propertyTimeout(4_000),
    )
  })
}

describe('the browser host without its token', () => {
  let device: TestDevice
  let host: BrowserHost
  beforeAll(async () => {
    device = await startTestDevice()
    device.core.sync.stop()
    const rendererDir = mkdtempSync(join(tmpdir(), 'tuotou-renderer-'))
    mkdirSync(join(rendererDir, 'terminal'))
    writeFileSync(join(rendererDir, 'terminal', 'index.html'), '<!doctype html><title>terminal</title>')
    host = await startBrowserHost({ core: device.core, rendererDir, keepAliveSeconds: 1 })
  })
  afterAll(async () => {
    await host.close()
    await device.close()
  })

  const channelAndBody = fc
    .constantFrom(...ipcChannelNames)
    .chain((channel) => fc.tuple(fc.constant(channel), fuzzFrom(ipcChannels[channel].request)))

  test.prop([channelAndBody, fc.constantFrom('', 'guess', 'x'.repeat(300))], propertyParameters(60, 8_000))(
    'refuses every channel, whatever the body, and changes nothing',
    async ([channel, body], token) => {
      const file = join(device.dataDir, 'device.sqlite')
      const before = snapshot(file)
      const res = await fetch(`${host.origin}/ipc/${channel}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { 'x-tuotou-token': token } : {}) },
        body: JSON.stringify(body ?? null),
      })
      expect(res.status).toBe(401)
      const answer = (await res.json()) as { ok: boolean; error: unknown }
      expect(answer.ok).toBe(false)
      expect(ErrorBody.parse(answer.error).code).toBe('ipc.unauthorized')
      expect(snapshot(file)).toEqual(before)
    },
    propertyTimeout(8_000),
  )
})
