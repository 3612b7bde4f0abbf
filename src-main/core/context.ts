import type { IpcChannel, IpcRequest, IpcResponse, Settings } from '../../shared/ipc/contract'
import type { BackendClient } from './backend/client'
import type { CredentialStore } from './credentials/store'
import type { DeviceDb } from './db'
import type { CoreEvents } from './events'

export interface DeviceCoreOptions {
  /** The device's own folder: SQLite file, credentials. Two terminals need two folders. */
  dataDir: string
  /** The backend to use when settings hold none yet; a given `backendUrl` also overrides the stored one. */
  backendUrl?: string
  host: 'electron' | 'browser'
  version: string
  kiosk?: boolean
  /** Electron passes a safeStorage-backed store; elsewhere a 0600 file store is used. */
  credentials?: CredentialStore
  /** Path to a better-sqlite3 binding built for the running ABI (Electron). */
  nativeBinding?: string
  fetch?: typeof fetch
}

/** What every domain's handlers share. Domains read it; they do not keep their own copies of settings. */
export interface CoreContext {
  options: DeviceCoreOptions
  db: DeviceDb
  events: CoreEvents
  credentials: CredentialStore
  backend: BackendClient
  defaultSettings: Settings
  settings(): Settings
  cacheSettings(settings: Settings): void
}

/** A domain's slice of the IPC contract: requests arrive validated, responses are validated on the way out. */
export type HandlersFor<C extends IpcChannel> = {
  [K in C]: (request: IpcRequest<K>) => Promise<IpcResponse<K>>
}

export type CoreHandlers = HandlersFor<IpcChannel>
