import type { DeviceBattery } from '../../shared/api/depot-devices'
import type { IpcChannel, IpcRequest, IpcResponse, Settings } from '../../shared/ipc/contract'
import type { BackendClient } from './backend/client'
import type { ClockOffset } from './clock/offset'
import type { CredentialStore } from './credentials/store'
import type { Doorstep } from './doorstep/state'
import type { DeviceDb } from './db'
import type { CoreEvents } from './events'
import type { SyncTimings } from './sync/engine'

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
  /** Caps the device database's size (`db.ts`); past it, writes fail as on a full disk. */
  maxDatabaseBytes?: number
  fetch?: typeof fetch
  /** The device's clock, for the courier's action times; tests set it to a clock that is behind. */
  now?: () => Date
  /** Sync engine timings, shortened by tests; see `sync/engine.ts` for the defaults. */
  sync?: Partial<SyncTimings>
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
  /** The device's clock: when the courier acted. */
  now(): Date
  /** What this run of the core knows about the courier's session beyond the database. */
  session: { needsLogin: boolean; battery: DeviceBattery | null }
  /** Call after a transaction that appended outbox events has committed: the sync engine pushes soon. */
  outboxChanged(): void
  /** Call after a commit that changed the "needs attention" list (a refusal, a flag, a settlement verdict). */
  attentionChanged(): void
  /** Payment watching (poll fallback) lives in payments/; other domains stop it when an order closes. */
  payments: PaymentWatcher
  /** The poll of a charge of the customer's payment code while it is under way, keyed by order, on its number. */
  charges: PaymentWatcher
  /** The order in hand and what is open for it: the one order anything can be collected for. */
  doorstep: Doorstep
  /** The measured offset to the backend's clock: what the backend decides is judged in backend time. */
  clock: ClockOffset
}

export interface PaymentWatcher {
  watch(orderId: string, intentId: string): void
  stop(orderId: string): void
  stopAll(): void
}

/** A domain's slice of the IPC contract: requests arrive validated, responses are validated on the way out. */
export type HandlersFor<C extends IpcChannel> = {
  [K in C]: (request: IpcRequest<K>) => Promise<IpcResponse<K>>
}

export type CoreHandlers = HandlersFor<IpcChannel>

/**
 * Runs a handler's synchronous body as a promise, so a refusal it throws reaches every caller as a rejection
 * (as it does for the async handlers), not as an exception thrown before the promise exists.
 */
export function answer<T>(body: () => T): Promise<T> {
  return new Promise((resolve) => resolve(body()))
}
