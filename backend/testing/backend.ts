import { spawn, type ChildProcess } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import type { Kysely } from 'kysely'
import { RENDERER_DIR, ROOT } from '../../scripts/launch'
import type { BackendConfig } from '../context'
import { openBackendDb, type BackendDb } from '../db/connect'
import { migrateToLatest } from '../db/migrate'
import type { BackendSchema } from '../db/schema'
import type { Sandbox } from '../sandbox'
import { seedDemo, type DemoSeed } from '../seed/demo'
import { buildBackend, type AcquirerSetting, type Backend } from '../server'
import { BackendApi } from './api'
import { dropSchema, freshSchemaUrl, postgresTarget } from './postgres'

export interface TestBackendOptions {
  /** Mount the sandbox acquirer (its own SQLite file in the test folder). Default true. */
  sandbox?: boolean
  /** Any other acquirer setting, e.g. a sandbox on a server of its own (`startSandboxServer`). */
  acquirer?: AcquirerSetting
  /** Run the demo seed first. */
  seed?: 'demo'
  /** `sqlite` (a fresh file, the default) or `postgres` (a fresh schema on TUOTOU_TEST_PG_URL). */
  database?: 'sqlite' | 'postgres'
  /** Shorter times for tests: intent TTL, lockout, keep-alives… */
  config?: Partial<Omit<BackendConfig, 'version'>>
  /** Epoch ms; tests move time with it (expiry, lockout). */
  now?: () => number
  /** Pino level; silent unless asked. */
  logLevel?: string
}

export interface TestBackend {
  /** `http://127.0.0.1:<port>`, a real server on a free port. */
  url: string
  api: BackendApi
  database: BackendDb
  db: Kysely<BackendSchema>
  backend: Backend
  sandbox: Sandbox | null
  /** The folder holding its files; removed on stop. */
  dir: string
  /** What the demo seed made, when asked for. */
  demo: DemoSeed | null
  /** The database target, for a second instance on the same data. */
  target: string
  /**
   * Resolves once the background work already due is done (intents being withdrawn at the acquirer, claims being
   * settled, the sandbox acquirer's notifications going out), so a snapshot taken after it sees no change that
   * a request did not make.
   */
  settled(timeoutMs?: number): Promise<void>
  stop(): Promise<void>
}

/** A fresh database target: a SQLite file in `dir`, or a new schema on the test PostgreSQL server. */
export async function freshDatabase(
  kind: 'sqlite' | 'postgres',
  dir: string,
): Promise<{ target: string; drop(): Promise<void> }> {
  if (kind === 'sqlite') return { target: join(dir, 'backend.sqlite'), drop: () => Promise.resolve() }
  const server = await postgresTarget()
  if (!server.url) throw new Error(`PostgreSQL is not available: ${server.reason}`)
  const { url, schema } = freshSchemaUrl(server.url)
  return { target: url, drop: () => dropSchema(server.url, schema) }
}

/**
 * The real backend in this process on a free port, with a fresh database (SQLite file or PostgreSQL schema)
 * and, by default, the sandbox acquirer. Everything goes over real HTTP; `db` is there to arrange data
 * (see `fixtures.ts`) and to check what changed.
 *
 * ```ts
 * const server = await startTestBackend({ seed: 'demo' })
 * const { deviceToken } = await server.api.enroll(server.demo!.enrollmentCode.code)
 * await server.stop()
 * ```
 */
export async function startTestBackend(options: TestBackendOptions = {}): Promise<TestBackend> {
  const dir = mkdtempSync(join(tmpdir(), 'tuotou-test-backend-'))
  const fresh = await freshDatabase(options.database ?? 'sqlite', dir)
  const database = openBackendDb(fresh.target)
  let backend: Backend
  let demo: DemoSeed | null
  try {
    await migrateToLatest(database)
    demo = options.seed === 'demo' ? await seedDemo(database.db) : null
    backend = await buildBackend({
      database,
      version: '0.0.0-test',
      acquirer:
        options.acquirer ??
        (options.sandbox === false
          ? { kind: 'none' }
          : { kind: 'sandbox', file: join(dir, 'acquirer.sqlite'), rendererDir: RENDERER_DIR }),
      config: { keepAliveMs: 1_000, ...options.config },
      now: options.now,
      rendererDir: RENDERER_DIR,
      evidenceDir: join(dir, 'evidence'),
      logger: options.logLevel ? { level: options.logLevel } : false,
    })
  } catch (error) {
    // A backend that did not start leaves nothing behind: no schema, no folder.
    await database.close()
    await fresh.drop()
    rmSync(dir, { recursive: true, force: true })
    throw error
  }
  const url = await backend.listen(0)
  return {
    url,
    api: new BackendApi(url),
    database,
    db: database.db,
    backend,
    sandbox: backend.sandbox,
    dir,
    demo,
    target: fresh.target,
    async settled(timeoutMs = 10_000) {
      const until = Date.now() + timeoutMs
      for (;;) {
        const now = backend.context.now()
        const [withdrawals, settlements] = await Promise.all([
          database.db
            .selectFrom('intent_withdrawals')
            .select('intent_id')
            .where('done_ms', 'is', null)
            .limit(1)
            .execute(),
          database.db
            .selectFrom('settlements')
            .select('id')
            .where('status', '=', 'pending')
            .where('next_attempt_ms', '<=', now)
            .limit(1)
            .execute(),
        ])
        const notifications =
          backend.sandbox?.store.notifications().filter((row) => row.status === 'pending' && row.next_attempt_ms <= now)
            .length ?? 0
        if (withdrawals.length + settlements.length + notifications === 0) return
        if (Date.now() > until) throw new Error('queued background work was not done in time')
        backend.context.wakeWithdrawals()
        backend.context.wakeSettlement()
        backend.sandbox?.notifier.wake()
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
    },
    async stop() {
      await backend.close()
      await database.close()
      await fresh.drop()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

export interface SpawnOptions {
  /** A database target to reuse (a restart); a fresh SQLite file in a new folder otherwise. */
  db?: string
  sandbox?: boolean
  /** The sandbox acquirer's own file; next to a SQLite database by default. */
  sandboxDb?: string
  seed?: 'demo'
  /** A fixed port, e.g. the one a restarted backend had; a free one otherwise. */
  port?: number
  env?: Record<string, string>
  timeoutMs?: number
}

export interface SpawnedBackend {
  url: string
  port: number
  pid: number
  child: ChildProcess
  /** Its database target: open it with `openBackendDb` to arrange data while it runs. */
  db: string
  /** Every line it printed. */
  output: string[]
  /** Stops it with a signal (SIGTERM: a clean stop; SIGKILL: a crash) and waits for it to exit. */
  stop(signal?: NodeJS.Signals): Promise<void>
  /** Starts it again on the same database and port, as after a crash or a deploy. */
  restart(): Promise<SpawnedBackend>
}

/**
 * The backend as a real process (`backend/cli.ts`), for tests that kill it (`stop('SIGKILL')`) and start it
 * again on the same data and port. It waits for the `Backend: http://…` line.
 */
export async function spawnBackend(options: SpawnOptions = {}): Promise<SpawnedBackend> {
  const base = join(tmpdir(), 'tuotou-spawned')
  mkdirSync(base, { recursive: true })
  const db = options.db ?? join(mkdtempSync(join(base, 'backend-')), 'backend.sqlite')
  const args = ['--port', String(options.port ?? 0), '--db', db]
  if (options.sandbox !== false) args.push('--sandbox')
  if (options.sandboxDb) args.push('--sandbox-db', options.sandboxDb)
  if (options.seed) args.push('--seed', options.seed)
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'backend/cli.ts'), ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn', ...options.env },
  })
  const output: string[] = []
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`backend did not start in time:\n${output.join('\n')}`))
    }, options.timeoutMs ?? 30_000)
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on('line', (line) => {
        output.push(line)
        const match = /^Backend: (http:\/\/\S+)/.exec(line)
        if (match) {
          clearTimeout(timer)
          resolve(match[1]!)
        }
      })
    }
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`backend exited with ${code} before it was ready:\n${output.join('\n')}`))
    })
  })
  const port = Number(new URL(url).port)
  const stop = (signal: NodeJS.Signals = 'SIGTERM'): Promise<void> =>
    new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve()
      child.once('exit', () => resolve())
      child.kill(signal)
    })
  return {
    url,
    port,
    pid: child.pid!,
    child,
    db,
    output,
    stop,
    restart: () => spawnBackend({ ...options, db, port }),
  }
}
