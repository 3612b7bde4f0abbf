import { join } from 'node:path'
import { appHandlers } from './app/handlers'
import { createBackendClient } from './backend/client'
import type { CoreContext, CoreHandlers, DeviceCoreOptions } from './context'
import { createFileCredentialStore } from './credentials/store'
import { openDeviceDb } from './db'
import { createCoreEvents, type CoreEvents } from './events'
import { deviceMigrations } from './migrations'
import { defaultSettings, readSettings, writeSettings } from './settings/store'
import { settingsHandlers } from './settings/handlers'

export type { DeviceCoreOptions, CoreHandlers } from './context'

export const DEFAULT_BACKEND_URL = 'http://127.0.0.1:8080'

export interface DeviceCore {
  handlers: CoreHandlers
  events: CoreEvents
  close(): void
}

/**
 * Starts the device core: opens (and migrates) the device database under `dataDir` and wires every domain's
 * handlers. It has no Electron import, so Electron's main process, the browser host and tests all run it.
 */
export function createDeviceCore(options: DeviceCoreOptions): DeviceCore {
  const db = openDeviceDb(join(options.dataDir, 'device.sqlite'), deviceMigrations, {
    nativeBinding: options.nativeBinding,
  })
  const defaults = defaultSettings(options.backendUrl ?? DEFAULT_BACKEND_URL)
  if (options.backendUrl) writeSettings(db, { backendUrl: options.backendUrl })
  let settings = readSettings(db, defaults)

  const events = createCoreEvents()
  const ctx: CoreContext = {
    options,
    db,
    events,
    credentials: options.credentials ?? createFileCredentialStore(join(options.dataDir, 'credentials')),
    backend: createBackendClient(() => settings.backendUrl, options.fetch),
    defaultSettings: defaults,
    settings: () => settings,
    cacheSettings: (next) => {
      settings = next
    },
  }

  const handlers = {
    ...appHandlers(ctx),
    ...settingsHandlers(ctx),
  } satisfies CoreHandlers

  return {
    handlers,
    events,
    close: () => db.close(),
  }
}
