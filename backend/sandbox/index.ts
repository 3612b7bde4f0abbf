import type { FastifyBaseLogger, FastifyInstance } from 'fastify'
import type { RouteDoc } from '../http/routes'
import { registerSandboxAcquirer, SANDBOX_PREFIX } from './acquirer'
import { startNotifier, type Notifier } from './notifier'
import { SandboxStore, type SandboxIdentity } from './store'
import { registerWalletPage } from './wallet'

export { SANDBOX_PREFIX }

export interface SandboxOptions {
  /** Its own SQLite file, never the backend's database. */
  file: string
  log: FastifyBaseLogger
  now?: () => number
  /** `out/renderer`, holding the wallet page; without a build the page answers 503 and says why. */
  rendererDir?: string
}

export interface Sandbox {
  identity: SandboxIdentity
  store: SandboxStore
  notifier: Notifier
  /** Mounts its API (and the wallet page) on a Fastify app under `/sandbox/`. */
  register(app: FastifyInstance, docs: RouteDoc[]): Promise<void>
  close(): Promise<void>
}

/**
 * The sandbox acquirer (`--sandbox`): a stand-in for the e-CNY operator with its own store, its own notifier
 * and its own HTTP API. Mounted in the backend's server for `npm start`, or on a server of its own in tests
 * that need the acquirer to go away.
 */
export function openSandbox(options: SandboxOptions): Sandbox {
  const store = new SandboxStore(options.file)
  const now = options.now ?? Date.now
  const notifier = startNotifier(store, options.log, now)
  return {
    identity: store.identity(),
    store,
    notifier,
    async register(app, docs) {
      registerSandboxAcquirer(app, docs, { store, notifier, now })
      if (options.rendererDir) await registerWalletPage(app, options.rendererDir)
    },
    async close() {
      await notifier.stop()
      store.close()
    },
  }
}
