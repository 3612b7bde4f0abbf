import { spawn, type ChildProcess } from 'node:child_process'
import { mkdirSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { ROOT } from '../../scripts/launch'

export interface Running {
  child: ChildProcess
  /** Everything it printed, for a failing test's message. */
  output: string[]
  stop(signal?: NodeJS.Signals): Promise<void>
}

/** Starts one of the app's TypeScript entry points as a real process and waits for the line that says it is up. */
export async function startEntry(
  script: string,
  args: string[],
  ready: RegExp,
  timeoutMs = 30_000,
): Promise<Running & { match: RegExpMatchArray }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, script), ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' },
  })
  const output: string[] = []
  const match = await new Promise<RegExpMatchArray>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`${script} did not start in ${timeoutMs} ms:\n${output.join('\n')}`))
    }, timeoutMs)
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on('line', (line) => {
        output.push(line)
        const found = ready.exec(line)
        if (found) {
          clearTimeout(timer)
          resolve(found)
        }
      })
    }
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`${script} exited with ${code} before it was ready:\n${output.join('\n')}`))
    })
  })
  const stop = (signal: NodeJS.Signals = 'SIGTERM'): Promise<void> =>
    new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve()
      child.once('exit', () => resolve())
      child.kill(signal)
    })
  return { child, output, match, stop }
}

export function tempDir(prefix: string): string {
  const base = join(tmpdir(), 'tuotou-e2e')
  mkdirSync(base, { recursive: true })
  return mkdtempSync(join(base, `${prefix}-`))
}

/** A backend on a fresh SQLite file and a free port (`timeoutMs` to start: longer on a loaded machine). */
export async function startBackend(
  extraArgs: string[] = [],
  timeoutMs = 30_000,
): Promise<Running & { url: string; dir: string }> {
  const dir = tempDir('backend')
  const running = await startEntry(
    'backend/cli.ts',
    ['--port', '0', '--db', join(dir, 'backend.sqlite'), ...extraArgs],
    /^Backend: (http:\/\/\S+)/,
    timeoutMs,
  )
  return { ...running, url: running.match[1]!, dir }
}

/** A terminal served by the browser host, with its own data folder, talking to `backendUrl`. */
export async function startTerminal(
  backendUrl: string,
  dir = tempDir('terminal'),
): Promise<Running & { url: string; dir: string }> {
  const running = await startEntry(
    'src-main/browser-host/cli.ts',
    ['--browser', '--no-open', '--port', '0', '--data', dir, '--backend', backendUrl],
    /Terminal \(browser host\): (http:\/\/127\.0\.0\.1:\d+\/\S+)/,
  )
  return { ...running, url: running.match[1]!, dir }
}

export interface SandboxBackend extends Running {
  url: string
  dir: string
  /** The backend's SQLite file, for tests that check what it recorded. */
  dbFile: string
  /** The single-use code the seed printed, for enrolling one terminal. */
  enrollmentCode: string
  /** The demo route's day, `YYYY-MM-DD`. */
  routeDate: string
}

/**
 * A backend on a fresh SQLite file with the sandbox acquirer and the demo seed (`--sandbox --seed demo`): a
 * depot, couriers SZ1001–SZ1003 (PINs 1234, 2345, 3456) and today's 40-stop route for SZ1001.
 */
export async function startSandboxBackend(extraArgs: string[] = []): Promise<SandboxBackend> {
  const dir = tempDir('backend')
  const dbFile = join(dir, 'backend.sqlite')
  // The backend prints its seed (enrollment code, route) first and the `Backend:` line last.
  const running = await startEntry(
    'backend/cli.ts',
    ['--port', '0', '--db', dbFile, '--sandbox', '--seed', 'demo', ...extraArgs],
    /^Backend: (http:\/\/\S+)/,
  )
  const line = (prefix: string): string => running.output.find((l) => l.startsWith(prefix)) ?? ''
  const enrollmentCode = /^Enrollment code: ([A-Z0-9]{8})/.exec(line('Enrollment code: '))?.[1]
  const routeDate = /route (\d{4}-\d{2}-\d{2})/.exec(line('Demo depot'))?.[1]
  if (!enrollmentCode || !routeDate) {
    throw new Error(`the seeded backend did not print its seed:\n${running.output.join('\n')}`)
  }
  return { ...running, url: running.match[1]!, dir, dbFile, enrollmentCode, routeDate }
}
