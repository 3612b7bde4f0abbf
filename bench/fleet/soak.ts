/**
 * Accelerated soak: real device cores (each in its own process, each behind a coverage link) play a courier's
 * day of stops against one backend on SQLite, with coverage cut at random, paced so the day fills the soak.
 * Memory of the backend and of the cores is sampled throughout; the database file is measured at both ends.
 */
import { randomInt } from 'node:crypto'
import { sql } from 'kysely'
import { rmSync, statSync } from 'node:fs'
import { loadavg } from 'node:os'
import { dirname } from 'node:path'
import { openBackendDb } from '../../backend/db/connect'
import { BackendApi } from '../../backend/testing/api'
import { spawnBackend } from '../../backend/testing/backend'
import { createCourierWithRoute, type CourierWithRoute } from '../../backend/testing/fixtures'
import type { SyncTimings } from '../../src-main/core/sync/engine'
import { BackendRecords } from '../../e2e/support/backend-records'
import { killCoreProcesses, startCoreProcess, type CoreProcess } from '../../e2e/support/core-process'
import { startCoverageLink, type CoverageLink } from '../../e2e/support/coverage-link'
import { DeviceRecords } from '../../e2e/support/device-records'
import { deviceDataDir, drained } from '../../e2e/support/field-device'
import type { BenchContext } from '../figures'
import { PROBE_OPTIONS, probe, rssOf, sleep, slope } from './system'

export interface SoakOptions {
  devices: number
  stops: number
  minutes: number
}

/** The engine's own logic with its day shortened as the soak shortens the courier's: heartbeats and retries
 * come about six times as often as in the field. */
const SOAK_SYNC: Partial<SyncTimings> = {
  heartbeatMs: 10_000,
  periodicMs: 10_000,
  backoffBaseMs: 500,
  backoffCapMs: 10_000,
  probeBaseMs: 500,
  probeCapMs: 5_000,
  streamRetryBaseMs: 500,
  streamRetryCapMs: 5_000,
}

interface Courier {
  fixture: CourierWithRoute
  core: CoreProcess
  link: CoverageLink
  dataDir: string
  offlineStops: number
  cuts: number
  delivered: number
  digital: number
}

const fileBytes = (file: string): number => {
  let total = 0
  for (const suffix of ['', '-wal']) {
    try {
      total += statSync(file + suffix).size
    } catch {
      // no WAL yet
    }
  }
  return total
}

/** The backend's SQLite file after a checkpoint, so the WAL's size does not count. */
async function checkpointedSize(file: string): Promise<number> {
  const database = openBackendDb(file)
  try {
    await sql`pragma wal_checkpoint(TRUNCATE)`.execute(database.db)
  } finally {
    await database.close()
  }
  return fileBytes(file)
}

/** One stop as the courier plays it on the core: scan every parcel, then collect as the order needs. */
async function playStop(courier: Courier, api: BackendApi, index: number): Promise<void> {
  const order = courier.fixture.orders[index]!
  const { core } = courier
  for (const parcel of order.parcels) await core.call('scanBarcode', { code: parcel.barcode, source: 'wedge' })
  if (order.codFen === 0) {
    courier.delivered++
    return
  }
  const roll = randomInt(100)
  if (roll < 10) {
    await core.call('recordFailure', { orderId: order.orderId, reason: 'not_home' })
  } else if (roll < 55) {
    await core.call('startCash', { orderId: order.orderId })
    await core.call('recordCash', { orderId: order.orderId, takenFen: order.codFen, confirmMismatch: false })
    courier.delivered++
  } else {
    // The customer pays on their own phone; the core hears it on its stream (at once, or when coverage returns).
    const payment = await core.call('showPaymentQr', { orderId: order.orderId })
    await api.pay(payment.qrPayload)
    const deadline = Date.now() + 5_000
    while (Date.now() < deadline) {
      if ((await core.call('getOrder', { orderId: order.orderId })).status === 'delivered') break
      await sleep(100)
    }
    await core.call('leavePayment', { orderId: order.orderId })
    courier.delivered++
    courier.digital++
  }
}

export async function benchSoak(context: BenchContext, options: SoakOptions): Promise<void> {
  const backend = await spawnBackend({ sandbox: true, env: { LOG_LEVEL: 'error', NODE_OPTIONS: PROBE_OPTIONS } })
  const api = new BackendApi(backend.url)
  const couriers: Courier[] = []
  try {
    const database = openBackendDb(backend.db)
    const fixtures: CourierWithRoute[] = []
    try {
      for (let i = 0; i < options.devices; i++) {
        fixtures.push(
          await createCourierWithRoute(database.db, {
            orders: Array.from({ length: options.stops }, (_, o) => ({
              codFen: o % 10 < 4 ? [6660, 19900, 3580, 12800][o % 4]! : 0,
              parcels: o % 17 === 0 ? 2 : 1,
            })),
          }),
        )
      }
    } finally {
      await database.close()
    }
    for (const fixture of fixtures) {
      const link = await startCoverageLink(backend.url)
      const dataDir = deviceDataDir()
      const core = await startCoreProcess({ dataDir, backendUrl: link.url, sync: SOAK_SYNC })
      await core.call('enrollDevice', { code: fixture.enrollmentCode })
      await core.call('login', { staffId: fixture.staffId, pin: fixture.pin })
      await core.call('downloadManifest', {})
      couriers.push({ fixture, core, link, dataDir, offlineStops: 0, cuts: 0, delivered: 0, digital: 0 })
    }
    await Promise.all(couriers.map((c) => drained(c.core, 60_000)))
    await sleep(2_000)
    const sizeBefore = await checkpointedSize(backend.db)
    context.log(
      `soak: ${couriers.length} device cores (own processes, own coverage links) × ${options.stops} stops over ` +
        `${options.minutes} min against a backend on SQLite; load average ${loadavg()[0]!.toFixed(1)}`,
    )

    // Samples every 10 s: backend RSS and event-loop delay; every 30 s each core's memory after a GC.
    const started = performance.now()
    const backendRss: { x: number; value: number }[] = []
    const coreRss = new Map<CoreProcess, { x: number; value: number }[]>(couriers.map((c) => [c.core, []]))
    const coreHeap = new Map<CoreProcess, { x: number; value: number }[]>(couriers.map((c) => [c.core, []]))
    const lags: number[] = []
    let sampling = true
    const sampler = (async () => {
      let tick = 0
      while (sampling) {
        const hours = (performance.now() - started) / 3_600_000
        backendRss.push({ x: hours, value: rssOf(backend.pid) / 2 ** 20 })
        lags.push((await probe(backend)).window.p99)
        if (tick++ % 3 === 0) {
          for (const courier of couriers) {
            const memory = await courier.core.op<{ rss: number; heapUsed: number }>('memory')
            coreRss.get(courier.core)!.push({ x: hours, value: memory.rss / 2 ** 20 })
            coreHeap.get(courier.core)!.push({ x: hours, value: memory.heapUsed / 2 ** 20 })
          }
        }
        await sleep(10_000)
      }
    })()

    // Each courier's day, paced to fill the soak; coverage drops at random for a few stops at a time.
    const paceMs = (options.minutes * 60_000) / options.stops
    await Promise.all(
      couriers.map(async (courier, c) => {
        await sleep((c * paceMs) / couriers.length)
        for (let s = 0; s < options.stops; s++) {
          const due = started + (c * paceMs) / couriers.length + s * paceMs
          if (courier.offlineStops > 0 && --courier.offlineStops === 0) courier.link.setMode('online')
          else if (courier.offlineStops === 0 && randomInt(100) < 8) {
            courier.offlineStops = 2 + randomInt(5)
            courier.cuts++
            courier.link.setMode('offline')
          }
          await playStop(courier, api, s)
          const wait = due + paceMs - performance.now()
          if (wait > 0) await sleep(wait)
        }
        courier.link.setMode('online')
      }),
    )
    sampling = false
    await sampler
    const soakMinutes = (performance.now() - started) / 60_000
    await Promise.all(couriers.map((c) => drained(c.core, 120_000)))
    await sleep(3_000)

    // Everything each core holds reached the backend once; every digital payment closed its order on the core.
    const records = new BackendRecords(backend.db)
    let lost = 0
    let doubled = 0
    let openOnCore = 0
    for (const courier of couriers) {
      const device = new DeviceRecords(courier.dataDir)
      const held = records.deviceEvents(device.deviceId())
      lost += Math.max(0, device.lastSeq() - held.length)
      doubled += held.length - new Set(held.map((e) => e.seq)).size
      const route = await courier.core.call('getRoute', {})
      openOnCore += route.stops.flatMap((stop) => stop.orders).filter((o) => o.status === 'pending').length
    }
    const deliveries = couriers.reduce((sum, c) => sum + c.delivered, 0)
    const failures = couriers.length * options.stops - deliveries
    const sizeAfter = await checkpointedSize(backend.db)
    const afterWarmUp = (rows: { x: number; value: number }[]) => rows.filter((r) => r.x >= 1 / 60)
    const coreSlopes = [...coreRss.values()].map((rows) => slope(afterWarmUp(rows)))
    const coreEnd = [...coreRss.values()].map((rows) => rows.at(-1)?.value ?? Number.NaN)
    const heapSlopes = [...coreHeap.values()].map((rows) => slope(afterWarmUp(rows)))
    const total = await probe(backend)
    const cuts = couriers.reduce((sum, c) => sum + c.cuts, 0)
    context.figure({
      name: 'soak: backend RSS growth',
      value: slope(afterWarmUp(backendRss)),
      unit: 'MB/h',
      note: `${backendRss[0]?.value.toFixed(0)} → ${backendRss.at(-1)?.value.toFixed(0)} MB over ${soakMinutes.toFixed(1)} min (slope after the first minute)`,
    })
    context.figure({
      name: 'soak: device core RSS growth, mean of the cores',
      value: coreSlopes.reduce((a, b) => a + b, 0) / coreSlopes.length,
      unit: 'MB/h',
      note: `highest ${Math.max(...coreSlopes).toFixed(1)} MB/h; RSS after GC at the end ${Math.min(...coreEnd).toFixed(0)}–${Math.max(...coreEnd).toFixed(0)} MB; JS heap ${(heapSlopes.reduce((a, b) => a + b, 0) / heapSlopes.length).toFixed(1)} MB/h`,
    })
    context.figure({
      name: 'soak: backend event-loop delay p99',
      value: total.total.p99,
      unit: 'ms',
      note: `max ${total.total.max} ms; worst 10 s window p99 ${Math.max(...lags).toFixed(1)} ms`,
    })
    context.figure({
      name: 'soak: SQLite file growth per 1,000 deliveries',
      value: ((sizeAfter - sizeBefore) / 2 ** 20 / Math.max(1, deliveries)) * 1000,
      unit: 'MB',
      note: `${(sizeBefore / 2 ** 20).toFixed(1)} → ${(sizeAfter / 2 ** 20).toFixed(1)} MB for ${deliveries} deliveries and ${failures} failed attempts (checkpointed)`,
    })
    context.figure({
      name: 'soak: events lost or applied twice',
      value: lost + doubled,
      unit: 'events',
      target: { op: '<', value: 1 },
      note: `${cuts} coverage cuts; ${couriers.reduce((s, c) => s + c.digital, 0)} digital payments, ${openOnCore} orders still open on the cores`,
    })
  } finally {
    await killCoreProcesses()
    for (const courier of couriers) {
      await courier.link.close()
      rmSync(courier.dataDir, { recursive: true, force: true })
    }
    await backend.stop()
    rmSync(dirname(backend.db), { recursive: true, force: true })
  }
}
