import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, readdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { build } from 'vite'
import type { IpcResult } from '../../shared/ipc/bridge'
import type { ChargeViewState, IpcChannel, IpcRequest, IpcResponse, SyncStatus } from '../../shared/ipc/contract'
import type { SyncTimings } from '../../src-main/core/sync/engine'
import { ROOT } from '../../scripts/launch'

/** What the child says, one line each (see `core-child.ts`). */
export type ChildLine =
  | { t: 'ready'; pid: number }
  | { t: 'reply'; id: number; result: IpcResult<unknown> }
  | { t: 'push'; first: number; last: number; at: number }
  | { t: 'answer'; first: number; last: number; status: number; at: number }
  | ({ t: 'sync' } & SyncStatus)
  | { t: 'charge'; orderId: string; state: ChargeViewState; at: number }

export interface CoreProcessOptions {
  dataDir: string
  backendUrl: string
  sync?: Partial<SyncTimings>
  clockOffsetMs?: number
}

export interface CoreProcess {
  pid: number
  child: ChildProcess
  /** Every line it printed so far, in order. */
  lines: ChildLine[]
  call<C extends IpcChannel>(channel: C, request: IpcRequest<C>): Promise<IpcResponse<C>>
  op<T>(name: string, args?: Record<string, unknown>): Promise<T>
  /** Resolves with the first line (already printed or still to come) that matches. */
  waitFor<L extends ChildLine>(match: (line: ChildLine) => line is L, timeoutMs?: number): Promise<L>
  waitFor(match: (line: ChildLine) => boolean, timeoutMs?: number): Promise<ChildLine>
  /** Sends a signal (SIGKILL: a crash) and resolves once the process is gone. */
  kill(signal?: NodeJS.Signals): Promise<void>
}

let built: Promise<string> | null = null

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * Bundles `core-child.ts` once per test process into a plain ES module next to `node_modules` (so the native
 * better-sqlite3 resolves): started with `node` alone it is up in about 0.1 s rather than a second under tsx,
 * which is what makes fifty crash-and-restart cycles cheap. It is the same core code, only bundled.
 */
export function buildCoreChild(): Promise<string> {
  built ??= (async () => {
    const cache = join(ROOT, 'node_modules', '.cache', 'tuotou-core-child')
    const outDir = join(cache, String(process.pid))
    // One folder per test process; those of processes that are gone (a worker stopped without its exit hook) go.
    for (const name of existsSync(cache) ? readdirSync(cache) : []) {
      if (/^\d+$/.test(name) && !alive(Number(name))) rmSync(join(cache, name), { recursive: true, force: true })
    }
    process.once('exit', () => rmSync(outDir, { recursive: true, force: true }))
    await build({
      configFile: false,
      logLevel: 'warn',
      root: ROOT,
      build: {
        ssr: join(import.meta.dirname, 'core-child.ts'),
        outDir,
        emptyOutDir: true,
        target: 'node20',
        minify: false,
        rolldownOptions: { output: { format: 'es', entryFileNames: 'core-child.mjs' } },
      },
      ssr: { noExternal: true, external: ['better-sqlite3'] },
    })
    return join(outDir, 'core-child.mjs')
  })()
  return built
}

const live = new Set<ChildProcess>()

/** Starts the device core in a process of its own on `dataDir`, and waits until it is up. */
export async function startCoreProcess(options: CoreProcessOptions): Promise<CoreProcess> {
  const script = await buildCoreChild()
  const child = spawn(
    process.execPath,
    [
      '--expose-gc',
      script,
      '--data',
      options.dataDir,
      '--backend',
      options.backendUrl,
      '--options',
      JSON.stringify({ sync: options.sync, clockOffsetMs: options.clockOffsetMs }),
    ],
    { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] },
  )
  live.add(child)
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  void exited.then(() => live.delete(child))
  const lines: ChildLine[] = []
  const stderr: string[] = []
  const waiters = new Set<{ match: (line: ChildLine) => boolean; resolve: (line: ChildLine) => void }>()
  const replies = new Map<number, (result: IpcResult<unknown>) => void>()
  createInterface({ input: child.stderr }).on('line', (line) => stderr.push(line))
  createInterface({ input: child.stdout }).on('line', (text) => {
    let line: ChildLine
    try {
      line = JSON.parse(text) as ChildLine
    } catch {
      stderr.push(text)
      return
    }
    lines.push(line)
    if (line.t === 'reply') replies.get(line.id)?.(line.result)
    for (const waiter of [...waiters]) {
      if (waiter.match(line)) {
        waiters.delete(waiter)
        waiter.resolve(line)
      }
    }
  })

  const waitFor = (match: (line: ChildLine) => boolean, timeoutMs = 30_000): Promise<ChildLine> => {
    const seen = lines.find(match)
    if (seen) return Promise.resolve(seen)
    return new Promise((resolve, reject) => {
      const waiter = { match, resolve: (line: ChildLine) => (clearTimeout(timer), resolve(line)) }
      const timer = setTimeout(() => {
        waiters.delete(waiter)
        reject(new Error(`the core process did not say what was awaited in ${timeoutMs} ms:\n${stderr.join('\n')}`))
      }, timeoutMs)
      waiters.add(waiter)
      void exited.then(() => {
        if (!waiters.has(waiter)) return
        waiters.delete(waiter)
        clearTimeout(timer)
        reject(new Error(`the core process exited:\n${stderr.join('\n')}`))
      })
    })
  }

  let nextId = 1
  const send = (message: Record<string, unknown>): Promise<IpcResult<unknown>> => {
    const id = nextId++
    return new Promise((resolve, reject) => {
      replies.set(id, resolve)
      void exited.then(() => reject(new Error(`the core process exited before answering:\n${stderr.join('\n')}`)))
      child.stdin.write(`${JSON.stringify({ ...message, id })}\n`)
    })
  }
  const unwrap = <T>(result: IpcResult<unknown>): T => {
    if (!result.ok) throw Object.assign(new Error(`${result.error.code}: ${result.error.message}`), result.error)
    return result.value as T
  }

  const ready = (await waitFor((line) => line.t === 'ready', 20_000)) as Extract<ChildLine, { t: 'ready' }>
  return {
    pid: ready.pid,
    child,
    lines,
    call: async (channel, request) => unwrap(await send({ channel, request })),
    op: async <T>(name: string, args: Record<string, unknown> = {}) => unwrap<T>(await send({ ...args, op: name })),
    waitFor: waitFor,
    kill: async (signal = 'SIGKILL') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal)
      await exited
    },
  }
}

/** SIGKILLs every core process this test process started that is still running; for `afterEach`/`finally`. */
export async function killCoreProcesses(): Promise<void> {
  await Promise.all(
    [...live].map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve()
          child.once('exit', () => resolve())
          child.kill('SIGKILL')
        }),
    ),
  )
}
