import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import { configureJsonService, jsonServiceOptions } from '../http/service'
import { RouteTable } from '../http/routes'
import type { BackgroundLoop } from '../background'
import { registerSandboxAcquirer, SANDBOX_PREFIX } from './acquirer'
import { registerSandboxCharges } from './charges'
import { startSandboxClock } from './clock'
import { startNotifier, type Notifier } from './notifier'
import { registerSandboxRefunds } from './refunds'
import { registerSandboxStatements } from './statements'
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
  /** Customers confirming charges after a while, refunds reaching their result. */
  clock: BackgroundLoop
  /** Mounts its API (and the wallet page) on a Fastify app under `/sandbox/`. */
  register(app: FastifyInstance, routes: RouteTable): Promise<void>
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
  const clock = startSandboxClock(store, options.log, now, () => notifier.wake())
  const wake = (): void => {
    clock.wake()
    notifier.wake()
  }
  return {
    identity: store.identity(),
    store,
    notifier,
    clock,
    async register(app, routes) {
      registerSandboxAcquirer(app, routes, { store, notifier, now })
      registerSandboxCharges(app, routes, { store, now, wake })
      registerSandboxRefunds(app, routes, { store, now, wake })
      registerSandboxStatements(app, routes, store)
      if (options.rendererDir) await registerWalletPage(app, options.rendererDir)
    },
    async close() {
      await clock.stop()
      await notifier.stop()
      store.close()
    },
  }
}

export interface SandboxServer {
  /** The server's base URL; the merchant API is at `${url}/sandbox/acquirer/v1`. */
  url: string
  sandbox: Sandbox
  /** Stops serving and notifying; its file keeps every intent, payment and queued notification. */
  close(): Promise<void>
}

/**
 * The sandbox acquirer on a server of its own, as a separate service would be: tests stop it to see the
 * backend cope with an acquirer that cannot be reached, and start it again on the same file and port.
 */
export async function startSandboxServer(options: {
  file: string
  port?: number
  now?: () => number
}): Promise<SandboxServer> {
  const app = Fastify({ ...jsonServiceOptions, logger: false, forceCloseConnections: true })
  configureJsonService(app)
  const sandbox = openSandbox({ file: options.file, log: app.log, now: options.now })
  await sandbox.register(app, new RouteTable({}))
  app.addHook('onClose', () => sandbox.close())
  await app.listen({ host: '127.0.0.1', port: options.port ?? 0 })
  const address = app.server.address()
  const port = address && typeof address === 'object' ? address.port : options.port
  return { url: `http://127.0.0.1:${port}`, sandbox, close: () => app.close() }
}
