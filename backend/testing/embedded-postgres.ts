import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import type { EmbeddedPostgresAnswer } from './embedded-postgres-process'

export interface EmbeddedPostgres {
  /** `postgres://tuotou:…@127.0.0.1:<port>/tuotou_test`, a database of its own on a server of its own. */
  url: string
  /** The server's version, e.g. `18.1`. */
  version: string
  /** The postmaster's process id. */
  pid: number
  /** Stops the server and deletes its data. */
  stop(): Promise<void>
}

/**
 * Starts a throwaway PostgreSQL from the `embedded-postgres` packages (PostgreSQL's own binaries, no set-up),
 * on a free port on 127.0.0.1, in a process of its own that stops it when this process goes, however it goes.
 * As root it runs the server as the `postgres` user, creating it when missing. `durable: false` (the default,
 * for test suites) turns fsync off; benchmarks ask for `durable: true`. Rejects with the reason it could not.
 */
export function startEmbeddedPostgres(options: { durable?: boolean } = {}): Promise<EmbeddedPostgres> {
  const script = join(import.meta.dirname, 'embedded-postgres-process.ts')
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...(options.durable ? ['--durable'] : [])], {
    cwd: join(import.meta.dirname, '..', '..'),
    stdio: ['pipe', 'pipe', 'inherit'],
  })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  return new Promise<EmbeddedPostgres>((resolve, reject) => {
    let answered = false
    createInterface({ input: child.stdout }).once('line', (line) => {
      answered = true
      let answer: EmbeddedPostgresAnswer
      try {
        answer = JSON.parse(line) as EmbeddedPostgresAnswer
      } catch {
        answer = { ok: false, reason: `unexpected output: ${line}` }
      }
      if (!answer.ok) return reject(new Error(answer.reason))
      resolve({
        url: answer.url,
        version: answer.version,
        pid: answer.pid,
        async stop() {
          child.stdin.end()
          await exited
        },
      })
    })
    child.once('error', (error) => reject(error))
    child.once('exit', (code, signal) => {
      if (!answered) reject(new Error(`the embedded PostgreSQL process exited (${signal ?? code}) before it answered`))
    })
  })
}
