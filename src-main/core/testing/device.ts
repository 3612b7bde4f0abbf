import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createDeviceCore, type DeviceCore, type DeviceCoreOptions } from '..'
import type { DeviceEvent } from '../../../shared/api/events'
import { openDeviceDb } from '../db'
import { deviceMigrations } from '../migrations'
import { eventsFrom } from '../outbox/store'
import type { IpcEvent, IpcEventPayload } from '../../../shared/ipc/contract'
import { startScriptedBackend, type ScriptedBackend } from './scripted-backend'

/** Sync timings short enough for tests, long enough not to spin. */
export const FAST_SYNC: DeviceCoreOptions['sync'] = {
  backoffBaseMs: 40,
  backoffCapMs: 400,
  debounceMs: 10,
  periodicMs: 60_000,
  heartbeatMs: 60_000,
  probeBaseMs: 40,
  probeCapMs: 200,
  streamRetryBaseMs: 40,
  streamRetryCapMs: 200,
  paymentPollMs: 100,
  paymentPollFastMs: 100,
  paymentPollFastForMs: 0,
}

export interface TestDevice {
  core: DeviceCore
  backend: ScriptedBackend
  dataDir: string
  /** Every event the core pushed, in order. */
  pushed: { event: IpcEvent; payload: unknown }[]
  close(): Promise<void>
}

/** Waits until `check` holds (polling every 10 ms), or fails with `what` after `timeoutMs`. */
export async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

export function eventsOf<E extends IpcEvent>(device: TestDevice, event: E): IpcEventPayload<E>[] {
  return device.pushed.filter((p) => p.event === event).map((p) => p.payload as IpcEventPayload<E>)
}

/**
 * A device core on a fresh data folder against a scripted backend, enrolled, logged in as SZ1001 and holding the
 * test manifest (unless told to stop earlier).
 */
export async function startTestDevice(
  options: {
    stage?: 'fresh' | 'enrolled' | 'route'
    now?: () => Date
    sync?: DeviceCoreOptions['sync']
    /** Arrange the scripted backend before the device enrolls (limits answered at login, say). */
    arrange?: (backend: ScriptedBackend) => void
    /** More core options (a capped database, say). */
    core?: Partial<DeviceCoreOptions>
  } = {},
): Promise<TestDevice> {
  const backend = await startScriptedBackend()
  options.arrange?.(backend)
  const dataDir = mkdtempSync(join(tmpdir(), 'tuotou-device-'))
  const core = createDeviceCore({
    dataDir,
    host: 'browser',
    version: '0.0.0-test',
    backendUrl: backend.url,
    now: options.now,
    sync: { ...FAST_SYNC, ...options.sync },
    ...options.core,
  })
  const pushed: TestDevice['pushed'] = []
  core.events.onAny((event, payload) => pushed.push({ event, payload }))
  const stage = options.stage ?? 'route'
  if (stage !== 'fresh') await core.handlers.enrollDevice({ code: 'ABCD2345' })
  if (stage === 'route') {
    await core.handlers.login({ staffId: 'SZ1001', pin: '1234' })
    await core.handlers.downloadManifest({})
  }
  return {
    core,
    backend,
    dataDir,
    pushed,
    close: async () => {
      core.close()
      await backend.close()
    },
  }
}

/** Every outbox event on the device, in sequence order, read through a second connection to its file. */
export function outboxOf(device: TestDevice): DeviceEvent[] {
  const db = openDeviceDb(join(device.dataDir, 'device.sqlite'), deviceMigrations)
  try {
    return eventsFrom(db, 0, 100_000)
  } finally {
    db.close()
  }
}

/** Reads the device's database directly, for what no channel shows (outbox states, intent rows). */
export function queryDevice<T>(device: TestDevice, sql: string, params: (string | number)[] = []): T[] {
  const db = openDeviceDb(join(device.dataDir, 'device.sqlite'), deviceMigrations)
  try {
    return db.all<T>(sql, params)
  } finally {
    db.close()
  }
}
