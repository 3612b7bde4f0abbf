import { mkdirSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { SpawnedBackend } from '../../backend/testing'
import type { SyncTimings } from '../../src-main/core/sync/engine'
import { startCoreProcess, type CoreProcess, type CoreProcessOptions } from './core-process'

/** Sync timings for process tests: the engine's own logic, with waits short enough for a test run. */
export const QUICK_SYNC: Partial<SyncTimings> = {
  debounceMs: 10,
  backoffBaseMs: 50,
  backoffCapMs: 500,
  probeBaseMs: 50,
  probeCapMs: 300,
  streamRetryBaseMs: 50,
  streamRetryCapMs: 300,
  periodicMs: 60_000,
  heartbeatMs: 60_000,
}

/** The single-use enrollment code a `--seed demo` backend printed. */
export function enrollmentCodeOf(backend: SpawnedBackend): string {
  const code = backend.output.map((line) => /^Enrollment code: ([A-Z0-9]{8})/.exec(line)?.[1]).find(Boolean)
  if (!code) throw new Error(`the backend printed no enrollment code:\n${backend.output.join('\n')}`)
  return code
}

export function deviceDataDir(): string {
  const base = join(tmpdir(), 'tuotou-e2e')
  mkdirSync(base, { recursive: true })
  return mkdtempSync(join(base, 'core-'))
}

/**
 * A device core in its own process, enrolled with the seed's code, courier SZ1001 logged in, the route on the
 * device and everything it wrote so far synced: the start of a courier's day.
 */
export async function startFieldDevice(
  backend: SpawnedBackend,
  options: Omit<CoreProcessOptions, 'dataDir' | 'backendUrl'> & { backendUrl?: string; dataDir?: string } = {},
): Promise<{ core: CoreProcess; dataDir: string }> {
  const dataDir = options.dataDir ?? deviceDataDir()
  const core = await startCoreProcess({
    ...options,
    dataDir,
    backendUrl: options.backendUrl ?? backend.url,
    sync: { ...QUICK_SYNC, ...options.sync },
  })
  await core.call('enrollDevice', { code: enrollmentCodeOf(backend) })
  await core.call('login', { staffId: 'SZ1001', pin: '1234' })
  await core.call('downloadManifest', {})
  await drained(core)
  return { core, dataDir }
}

/** Waits until the core has nothing pending (it says so in its `sync` lines), asking it to sync meanwhile. */
export async function drained(core: CoreProcess, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const status = await core.call('getSyncStatus', {})
    if (status.pending === 0) return
    if (Date.now() > deadline) throw new Error(`${status.pending} events still pending after ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}
