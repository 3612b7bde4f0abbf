import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify'
import { API_PREFIX } from '../shared/api/common'
import { HealthResponse } from '../shared/api/health'
import { httpAcquirerClient, missingAcquirer, type AcquirerClient } from './acquirer/client'
import { registerWebhookRoutes } from './acquirer/webhook'
import { backendAuthenticators } from './auth/callers'
import { decoyHash } from './auth/secrets'
import { registerChargeRoutes } from './charges/handlers'
import { startChargeWorker } from './charges/worker'
import { registerClosureRoutes } from './closure/handlers'
import { startClosureWorker } from './closure/worker'
import { defaultConfig, type BackendConfig, type BackendContext } from './context'
import { registerDashboardRoutes } from './dashboard/handlers'
import { registerDayCloseRoutes } from './dayclose/handlers'
import { registerDashboardPage } from './dashboard/page'
import { registerTargetRoutes } from './dashboard/targets'
import { type BackendDb, ping } from './db/connect'
import { registerDepotDeviceRoutes } from './depot/devices'
import { registerDepotRoutes } from './depot/handlers'
import { registerDepotRouteRoutes } from './depot/routes'
import { registerDeviceRoutes } from './devices/handlers'
import { registerEventRoutes } from './events/handlers'
import { openApiDocument } from './http/openapi'
import { configureJsonService, jsonServiceOptions } from './http/service'
import { defineRoute, RouteTable, type RouteDoc } from './http/routes'
import { startWithdrawalWorker } from './intents/withdrawals'
import { registerIntentRoutes } from './intents/handlers'
import { registerManifestRoutes } from './manifests/handlers'
import { registerRefundRoutes } from './refunds/handlers'
import { registerStatementRoutes } from './statements/handlers'
import { registerMoneyRoutes } from './money/handlers'
import { startRefundWorker } from './refunds/service'
import { openSandbox, SANDBOX_PREFIX, type Sandbox } from './sandbox'
import { registerCallRoutes } from './telephony/handlers'
import { sandboxTelephony } from './telephony/sandbox'
import { registerEvidenceRoutes } from './proof/evidence'
import { startEvidenceRetention } from './proof/retention'
import { filesystemEvidenceStore, type EvidenceStore } from './proof/evidence-store'
import { registerProofRoutes, registerSandboxSmsRoutes } from './proof/handlers'
import { sandboxSms } from './proof/sms'
import { startSettlementWorker } from './settlement/worker'
import { registerShiftRoutes } from './shifts/handlers'
import { inProcessHub, postgresHub } from './stream/hub'
import { registerStreamRoutes } from './stream/handlers'
import { startStreamPruner, type StreamPruner } from './stream/prune'

/**
 * Connections the kernel queues before the backend accepts them (capped by net.core.somaxconn). Node's 511 is
 * full within milliseconds when a depot's devices all reconnect at once; a refused or dropped connect costs the
 * device a back-off, a queued one only a wait.
 */
const LISTEN_BACKLOG = 4096

/** Which acquirer the backend talks to. */
export type AcquirerSetting =
  /** The sandbox acquirer, mounted on this server under `/sandbox/`, with its own SQLite file. */
  | { kind: 'sandbox'; file: string; rendererDir?: string }
  /** An acquirer elsewhere, reached over HTTP. */
  | { kind: 'external'; baseUrl: string; apiKey: string; webhookSecret: string }
  | { kind: 'none' }

export interface BackendOptions {
  database: BackendDb
  version: string
  logger?: FastifyServerOptions['logger']
  acquirer?: AcquirerSetting
  config?: Partial<Omit<BackendConfig, 'version'>>
  /** Where the acquirer reaches this backend; by default this server's own loopback address once it listens. */
  publicUrl?: string
  /** `out/renderer`: the depot dashboard is served from it at `/depot/`; without it (or a build) `/depot/` says so. */
  rendererDir?: string
  now?: () => number
  /**
   * Where evidence files are kept (the filesystem store's folder); without it a fresh temporary folder, which suits
   * tests only: the command always names one.
   */
  evidenceDir?: string
  /** Another evidence store (object storage, say) instead of the filesystem one. */
  evidenceStore?: EvidenceStore
}

export interface Backend {
  app: FastifyInstance
  context: BackendContext
  sandbox: Sandbox | null
  /** Every route registered through `defineRoute` (and the streams), with its auth and schemas: the OpenAPI
   * document and the fuzz suite are generated from it. */
  routes: readonly RouteDoc[]
  /** Deletes device stream messages past retention; it also runs by itself every `config.stream.pruneEveryMs`. */
  streamPruner: StreamPruner
  /** The payment-closure workers: charge queries and revokes, refunds, reconciliation; `drain()` works through what is due. */
  workers: {
    charges: { drain(): Promise<number> }
    refunds: { drain(): Promise<number> }
    closure: { drain(): Promise<number> }
    /** Deletes evidence files past their retention (`config.evidenceRetention`), answering how many. */
    evidenceRetention: { drain(): Promise<number> }
  }
  /** Listens and answers the base URL, e.g. `http://127.0.0.1:41234`; the background workers start then. */
  listen(port: number, host?: string): Promise<string>
  /** Stops serving, the settlement worker, the sandbox and the stream hub; the database stays open. */
  close(): Promise<void>
}

/**
 * The logistics backend's HTTP service. Every answer is JSON; every error is `{ error: { code, message,
 * details } }` with a 4xx or 5xx status, so a device can tell a refusal from an outage.
 */
export async function buildBackend(options: BackendOptions): Promise<Backend> {
  const app = Fastify({
    ...jsonServiceOptions,
    logger: options.logger ?? false,
    bodyLimit: 1024 * 1024,
    forceCloseConnections: true,
  })
  const now = options.now ?? Date.now
  const config: BackendConfig = { ...defaultConfig(options.version), ...options.config, version: options.version }
  let listeningUrl: string | null = null
  const publicUrl = (): string => {
    const url = options.publicUrl ?? listeningUrl
    if (!url) throw new Error('the backend does not listen yet, so it has no address')
    return url
  }

  const setting = options.acquirer ?? { kind: 'none' }
  const sandbox =
    setting.kind === 'sandbox'
      ? openSandbox({ file: setting.file, log: app.log, now, rendererDir: setting.rendererDir })
      : null
  let acquirer: AcquirerClient = missingAcquirer()
  let webhookSecret: string | null = null
  if (sandbox) {
    acquirer = httpAcquirerClient({ baseUrl: () => `${publicUrl()}${SANDBOX_PREFIX}`, apiKey: sandbox.identity.apiKey })
    webhookSecret = sandbox.identity.webhookSecret
  } else if (setting.kind === 'external') {
    acquirer = httpAcquirerClient({ baseUrl: () => setting.baseUrl, apiKey: setting.apiKey })
    webhookSecret = setting.webhookSecret
  }

  const hub = options.database.kind === 'postgres' ? postgresHub(options.database, app.log) : inProcessHub()
  let wakeSettlement = (): void => undefined
  let wakeClosure = (): void => undefined
  let wakeWithdrawals = (): void => undefined
  const sms = sandbox ? sandboxSms(now) : null
  let listened = (): void => undefined
  const listening = new Promise<void>((resolve) => (listened = resolve))
  const context: BackendContext = {
    database: options.database,
    db: options.database.db,
    config,
    acquirer,
    webhookSecret,
    hub,
    log: app.log,
    now,
    publicUrl,
    wakeSettlement: () => wakeSettlement(),
    wakeClosure: () => wakeClosure(),
    // The sandbox telephony comes with the sandbox acquirer: a development and test setup, off in production.
    telephony: sandbox ? sandboxTelephony(app.log) : null,
    wakeWithdrawals: () => wakeWithdrawals(),
    sms,
    evidence:
      options.evidenceStore ??
      filesystemEvidenceStore(options.evidenceDir ?? mkdtempSync(join(tmpdir(), 'tuotou-evidence-'))),
    listening,
  }

  configureJsonService(app)
  // Made now, so the first login for an unknown name is not the one that takes two hashes' time.
  void decoyHash()

  const routes = new RouteTable(backendAuthenticators(context))
  defineRoute(app, routes, {
    method: 'GET',
    url: `${API_PREFIX}/health`,
    summary: 'Whether the backend and its database answer, and its version',
    tag: 'service',
    auth: 'none',
    response: HealthResponse,
    handler: async () => {
      await ping(options.database.db)
      return { status: 'ok' as const, version: options.version, database: options.database.kind }
    },
  })
  registerDeviceRoutes(app, routes, context)
  registerShiftRoutes(app, routes, context)
  registerManifestRoutes(app, routes, context)
  registerIntentRoutes(app, routes, context)
  registerCallRoutes(app, routes, context)
  registerEventRoutes(app, routes, context)
  registerStreamRoutes(app, routes, context)
  registerWebhookRoutes(app, routes, context)
  registerChargeRoutes(app, routes, context)
  registerRefundRoutes(app, routes, context)
  registerClosureRoutes(app, routes, context)
  registerStatementRoutes(app, routes, context)
  registerMoneyRoutes(app, routes, context)
  registerDepotRoutes(app, routes, context)
  registerDepotDeviceRoutes(app, routes, context)
  registerDepotRouteRoutes(app, routes, context)
  registerDashboardRoutes(app, routes, context)
  registerTargetRoutes(app, routes, context)
  registerDayCloseRoutes(app, routes, context)
  registerProofRoutes(app, routes, context)
  registerEvidenceRoutes(app, routes, context, context.evidence)
  if (sms) registerSandboxSmsRoutes(app, routes, sms)
  if (options.rendererDir) await registerDashboardPage(app, options.rendererDir)
  if (sandbox) await sandbox.register(app, routes)

  let document: unknown = null
  app.get(`${API_PREFIX}/openapi.json`, () => (document ??= openApiDocument(routes.docs, options.version)))

  const settlement = startSettlementWorker(context)
  wakeSettlement = () => settlement.wake()
  const withdrawals = startWithdrawalWorker(context)
  wakeWithdrawals = () => withdrawals.wake()
  const pruner = startStreamPruner(context)
  const workers = {
    charges: startChargeWorker(context),
    refunds: startRefundWorker(context),
    closure: startClosureWorker(context),
    evidenceRetention: startEvidenceRetention(context),
  }
  wakeClosure = () => {
    workers.charges.wake()
    workers.refunds.wake()
    workers.closure.wake()
  }
  app.addHook('onClose', async () => {
    pruner.stop()
    await Promise.all([
      workers.charges.stop(),
      workers.refunds.stop(),
      workers.closure.stop(),
      workers.evidenceRetention.stop(),
    ])
    await withdrawals.stop()
    await settlement.stop()
    await sandbox?.close()
    await hub.close()
  })

  await app.ready()
  return {
    app,
    context,
    sandbox,
    routes: routes.docs,
    streamPruner: pruner,
    workers,
    async listen(port, host = '127.0.0.1') {
      await app.listen({ host, port, backlog: LISTEN_BACKLOG })
      const address = app.server.address()
      const bound = address && typeof address === 'object' ? address.port : port
      const reachable = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host
      listeningUrl = `http://${reachable}:${bound}`
      listened()
      return listeningUrl
    },
    close: () => app.close(),
  }
}
