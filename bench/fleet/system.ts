import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { SpawnedBackend } from '../../backend/testing/backend'
import { fullJitterDelay } from '../../src-main/core/sync/backoff'
import { DEFAULT_SYNC_TIMINGS } from '../../src-main/core/sync/engine'

/** The wait before a device core reopens its stream after the `failures`-th loss in a row (its sync engine's
 * policy: full jitter from 1 s, capped at 30 s, at least 200 ms). */
export const coreStreamRetryDelay = (failures: number): number =>
  Math.max(
    200,
    fullJitterDelay(
      failures,
      DEFAULT_SYNC_TIMINGS.streamRetryBaseMs,
      DEFAULT_SYNC_TIMINGS.streamRetryCapMs,
      Math.random,
    ),
  )

/** `NODE_OPTIONS` that load the event-loop probe (`probe.mjs`) into a backend process. */
export const PROBE_OPTIONS = `--import=${pathToFileURL(join(import.meta.dirname, 'probe.mjs')).href}`

export interface ProbeReport {
  /** Event-loop delay since the previous report, and since start, in ms. */
  window: { p50: number; p99: number; max: number }
  total: { p50: number; p99: number; max: number }
  rss: number
  heapUsed: number
}

/** Asks a backend started with `PROBE_OPTIONS` for its event-loop delay (and resets the window). */
export async function probe(backend: SpawnedBackend, timeoutMs = 5_000): Promise<ProbeReport> {
  const seen = backend.output.length
  backend.child.kill('SIGUSR2')
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const line = backend.output.slice(seen).find((l) => l.startsWith('probe '))
    if (line) return JSON.parse(line.slice(6)) as ProbeReport
    if (Date.now() > deadline) throw new Error('the backend did not answer the probe')
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

/** Resident memory of a process, in bytes, from /proc. */
export function rssOf(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return match ? Number(match[1]) * 1024 : Number.NaN
}

export function openFileLimit(pid = process.pid): { soft: number; hard: number } {
  const line = readFileSync(`/proc/${pid}/limits`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('Max open files'))!
  const [soft, hard] = line.replace('Max open files', '').trim().split(/\s+/).map(Number) as [number, number]
  return { soft, hard }
}

/**
 * Raises this process's open-file limit to `wanted` (as root, with prlimit, past the hard limit), so the
 * processes it starts next inherit it; Node itself already lifts the soft limit to the hard one. Says what it did.
 */
export function raiseOpenFileLimit(wanted: number): string {
  const before = openFileLimit()
  if (before.soft >= wanted) return `open-file limit ${before.soft} already (wanted ${wanted})`
  try {
    execFileSync('prlimit', ['--pid', String(process.pid), `--nofile=${wanted}:${Math.max(wanted, before.hard)}`], {
      stdio: ['ignore', 'ignore', 'pipe'],
    })
  } catch (error) {
    const why = String((error as { stderr?: Buffer }).stderr ?? '').trim() || (error as Error).message
    return (
      `open-file limit ${before.soft}/${before.hard} (soft/hard; Node lifts the soft limit to the hard one): ` +
      `prlimit could not raise it to ${wanted} here (${why.replace(/^prlimit: /, '')})`
    )
  }
  const after = openFileLimit()
  return `open-file limit raised with prlimit from ${before.soft}/${before.hard} to ${after.soft}/${after.hard} (soft/hard), for this process and the backends it starts`
}

/** CPU seconds (user and system) a process has used, from /proc; 0 once it is gone. */
export function cpuSecondsOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    // utime and stime, fields 14 and 15 of stat(5), in clock ticks (100 a second on Linux).
    return (Number(fields[11]) + Number(fields[12])) / 100
  } catch {
    return 0
  }
}

/** The processes whose command is `postgres` (a server's postmaster and backends), for their CPU time. */
export function postgresPids(): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'postgres'
      } catch {
        return false
      }
    })
    .map(Number)
}

/**
 * CPU seconds used by each named group of processes from now until `stop()`. PostgreSQL's backends come and go
 * with connections: a process seen at either end is counted, one that started and ended in between is not.
 */
export function cpuMeter(groups: Record<string, () => number[]>): { stop(): Record<string, number> } {
  const read = (): Map<number, number> => {
    const times = new Map<number, number>()
    for (const pids of Object.values(groups)) for (const pid of pids()) times.set(pid, cpuSecondsOf(pid))
    return times
  }
  const startPids = Object.fromEntries(Object.entries(groups).map(([name, pids]) => [name, pids()]))
  const before = read()
  return {
    stop() {
      const after = read()
      const used: Record<string, number> = {}
      for (const [name, pids] of Object.entries(groups)) {
        // A process gone by now counts nothing (its last times are lost with it); one new since counts from 0.
        const seen = new Set([...startPids[name]!, ...pids()])
        used[name] = [...seen].reduce(
          (sum, pid) => sum + Math.max(0, (after.get(pid) ?? 0) - (before.get(pid) ?? 0)),
          0,
        )
      }
      return used
    },
  }
}

/**
 * What the whole machine's cores did from now until `stop()`, as shares of the time they had: busy (user, system
 * and interrupts), idle (including waits for the disk), and stolen, taken by the hypervisor for other guests.
 * Here the stolen share went from none to half of the two cores from one second to the next, at times, which is
 * most of why the same bench varies run to run.
 */
export function machineMeter(): { stop(): { busy: number; idle: number; stolen: number } } {
  const read = (): number[] =>
    readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1, 9).map(Number)
  const before = read()
  return {
    stop() {
      const [user, nice, system, idle, iowait, irq, softirq, steal] = read().map((v, i) => v - before[i]!) as [
        number,
        number,
        number,
        number,
        number,
        number,
        number,
        number,
      ]
      const total = user + nice + system + idle + iowait + irq + softirq + steal || 1
      return {
        busy: (user + nice + system + irq + softirq) / total,
        idle: (idle + iowait) / total,
        stolen: steal / total,
      }
    },
  }
}

/** Least-squares slope of `value` against `x`. */
export function slope(points: readonly { x: number; value: number }[]): number {
  const n = points.length
  if (n < 2) return Number.NaN
  const mx = points.reduce((sum, p) => sum + p.x, 0) / n
  const my = points.reduce((sum, p) => sum + p.value, 0) / n
  let num = 0
  let den = 0
  for (const p of points) {
    num += (p.x - mx) * (p.value - my)
    den += (p.x - mx) ** 2
  }
  return den === 0 ? Number.NaN : num / den
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))
