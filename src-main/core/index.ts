import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { appHandlers } from './app/handlers'
import { createBackendClient } from './backend/client'
import { createClockOffset } from './clock/offset'
import { chargeHandlers, pollCharge, resumeCharges } from './charge/handlers'
import { contactHandlers } from './contact/handlers'
import type { CoreContext, CoreHandlers, DeviceCoreOptions } from './context'
import { createFileCredentialStore } from './credentials/store'
import { openDeviceDb, storageFailure } from './db'
import { deliveryHandlers } from './delivery/handlers'
import { deviceHandlers } from './device/handlers'
import { markRetired } from './device/retired'
import { doorstepHandlers } from './doorstep/handlers'
import { createDoorstep } from './doorstep/state'
import { createCoreEvents, type CoreEvents } from './events'
import { lockDataFolder, type LockOwner } from './lock'
import { downloadManifest } from './manifest/download'
import { manifestHandlers } from './manifest/handlers'
import { deviceMigrations } from './migrations'
import { paymentHandlers, pollIntent } from './payments/handlers'
import { recoverEvidence } from './proof/evidence'
import { proofHandlers } from './proof/handlers'
import { uploadEvidence } from './proof/uploader'
import { routeHandlers } from './route/handlers'
import { createPaymentWatcher } from './payments/watch'
import { scanHandlers } from './scan/handlers'
import { defaultSettings, readSettings, writeSettings } from './settings/store'
import { settingsHandlers } from './settings/handlers'
import { shiftHandlers } from './shift/handlers'
import { splitHandlers } from './split/handlers'
import { markShiftMoved } from './shift/moved'
import { createSyncEngine, DEFAULT_SYNC_TIMINGS, type SyncEngine } from './sync/engine'
import { attentionList } from './sync/attention'
import { syncHandlers } from './sync/handlers'

export type { DeviceCoreOptions, CoreHandlers } from './context'

export const DEFAULT_BACKEND_URL = 'http://127.0.0.1:8080'

export interface DeviceCore {
  handlers: CoreHandlers
  events: CoreEvents
  sync: SyncEngine
  /** The owner of a lock this core found stale (its process died) and took over, or null. */
  recoveredLock: LockOwner | null
  close(): void
}

/**
 * Starts the device core: opens (and migrates) the device database under `dataDir`, wires every domain's
 * handlers and starts the sync engine. It has no Electron import, so Electron's main process, the browser host
 * and tests all run it.
 */
/** Fails with the folder's own error (EROFS, EPERM, ENOSPC) when nothing can be written in it. */
function probeWritable(dataDir: string): void {
  mkdirSync(dataDir, { recursive: true })
  const probe = join(dataDir, `.write-probe-${process.pid}`)
  writeFileSync(probe, '')
  rmSync(probe, { force: true })
}

export function createDeviceCore(options: DeviceCoreOptions): DeviceCore {
  // One core per data folder: a second one exits here, before it opens the database. A folder that cannot be
  // written (read-only, full) is said so in one line, never as a raw SQLite exception.
  let lock
  try {
    probeWritable(options.dataDir)
    lock = lockDataFolder(options.dataDir, { nativeBinding: options.nativeBinding })
  } catch (error) {
    throw storageFailure(error, options.dataDir) ?? error
  }
  let db
  try {
    db = openDeviceDb(join(options.dataDir, 'device.sqlite'), deviceMigrations, {
      nativeBinding: options.nativeBinding,
      maxBytes: options.maxDatabaseBytes,
    })
  } catch (error) {
    lock.release()
    throw storageFailure(error, options.dataDir) ?? error
  }
  const defaults = defaultSettings(options.backendUrl ?? DEFAULT_BACKEND_URL)
  if (options.backendUrl) writeSettings(db, { backendUrl: options.backendUrl })
  let settings = readSettings(db, defaults)
  const timings = { ...DEFAULT_SYNC_TIMINGS, ...options.sync }

  // The engine judges coverage from every exchange, so the client reports to it once it exists.
  let engine: SyncEngine | null = null
  const events = createCoreEvents()
  const watcher = createPaymentWatcher({
    intervalMs: timings.paymentPollMs,
    fastMs: timings.paymentPollFastMs,
    fastForMs: timings.paymentPollFastForMs,
    poll: (_orderId, intentId) => pollIntent(ctx, intentId),
  })
  const chargeWatcher = createPaymentWatcher({
    intervalMs: timings.paymentPollMs,
    fastMs: timings.paymentPollFastMs,
    fastForMs: timings.paymentPollFastForMs,
    poll: (_orderId, chargeNo) => pollCharge(ctx, chargeNo),
  })
  const now = options.now ?? (() => new Date())
  const clock = createClockOffset(db, now)
  const doorstep = createDoorstep({ db, now, emit: (view) => events.emit('doorstepChanged', view) })
  const ctx: CoreContext = {
    options,
    db,
    events,
    credentials: options.credentials ?? createFileCredentialStore(join(options.dataDir, 'credentials')),
    backend: createBackendClient(() => settings.backendUrl, options.fetch, {
      observe: (outcome) => engine?.observe(outcome),
      refused: (error) => {
        if (error.code === 'device.retired') {
          const at = typeof error.details.retiredAt === 'string' ? error.details.retiredAt : ctx.now().toISOString()
          markRetired(ctx, at, typeof error.details.retiredBy === 'string' ? error.details.retiredBy : null)
          return
        }
        if (error.code !== 'shift.moved') return
        const to = typeof error.details.deviceId === 'string' ? error.details.deviceId : null
        markShiftMoved(ctx, null, to, ctx.now().toISOString())
      },
      clock: (sample) => clock.observe(sample),
      now: () => now().getTime(),
    }),
    clock,
    defaultSettings: defaults,
    settings: () => settings,
    cacheSettings: (next) => {
      settings = next
    },
    now,
    session: { needsLogin: false, battery: null },
    outboxChanged: () => engine?.notifyWrite(),
    attentionChanged: () => {
      events.emit('attentionChanged', attentionList(db))
      engine?.refreshStatus()
    },
    payments: watcher,
    charges: chargeWatcher,
    doorstep,
  }
  // A capture cut by kill -9 between its file and its event left a file no event names: found and recorded here.
  recoverEvidence(db, options.dataDir, now().toISOString())
  const sync = createSyncEngine(ctx, {
    timings,
    refetchManifest: () => downloadManifest(ctx),
    afterDrain: async (who) => {
      await uploadEvidence(ctx, who)
    },
  })
  engine = sync

  const handlers = {
    ...appHandlers(ctx),
    ...settingsHandlers(ctx),
    ...deviceHandlers(ctx, () => sync.start('start')),
    ...shiftHandlers(ctx, () => sync.start('login')),
    ...manifestHandlers(ctx),
    ...scanHandlers(ctx),
    ...paymentHandlers(ctx),
    ...chargeHandlers(ctx),
    ...splitHandlers(ctx),
    ...deliveryHandlers(ctx),
    ...doorstepHandlers(ctx),
    ...routeHandlers(ctx),
    ...contactHandlers(ctx),
    ...proofHandlers(ctx),
    ...syncHandlers(ctx, sync),
  } satisfies CoreHandlers

  sync.start('start')
  resumeCharges(ctx)

  return {
    handlers,
    events,
    sync,
    recoveredLock: lock.recovered,
    close: () => {
      sync.stop()
      watcher.stopAll()
      chargeWatcher.stopAll()
      doorstep.stop()
      db.close()
      lock.release()
    },
  }
}
