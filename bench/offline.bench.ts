/**
 * The device core offline (DESIGN section 7): an outbox write (the courier's state change and its outbox row in one
 * fsynced SQLite transaction, through the core's own handlers) p50 and p99 (bar: p99 under 5 ms); the time to drain
 * 10,000 queued events to a local backend process on SQLite (bar: under 10 s); and the core's memory, RSS and
 * heap, with those 10,000 events pending. The core runs in-process for the writes and in a process of its own
 * (`e2e/support/core-process.ts`) for the drain and the memory, so its RSS is its own.
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openBackendDb } from '../backend/db/connect'
import { spawnBackend } from '../backend/testing/backend'
import { createCourierWithRoute } from '../backend/testing/fixtures'
import { BackendRecords } from '../e2e/support/backend-records'
import type { ChildLine } from '../e2e/support/core-process'
import { startCoverageLink } from '../e2e/support/coverage-link'
import { DeviceRecords } from '../e2e/support/device-records'
import { drained, startFieldDevice } from '../e2e/support/field-device'
import { createDeviceCore } from '../src-main/core'
import { percentile, type Bench, type BenchContext } from './figures'

const ORDERS = 600
const QUEUE = 10_000

async function outboxWrites(context: BenchContext): Promise<void> {
  const backend = await spawnBackend({ sandbox: true, env: { LOG_LEVEL: 'error' } })
  const database = openBackendDb(backend.db)
  const core = createDeviceCore({
    dataDir: mkdtempSync(join(tmpdir(), 'tuotou-bench-core-')),
    backendUrl: backend.url,
    host: 'browser',
    version: '0.0.0-bench',
  })
  try {
    const fixture = await createCourierWithRoute(database.db, {
      orders: Array.from({ length: ORDERS }, (_, i) => ({ codFen: i % 2 === 0 ? 6660 + i : 0 })),
    })
    await core.handlers.enrollDevice({ code: fixture.enrollmentCode })
    await core.handlers.login({ staffId: fixture.staffId, pin: fixture.pin })
    await core.handlers.downloadManifest({})
    // Measured on their own, as in a dead zone: the sync engine would otherwise read the same file meanwhile.
    core.sync.stop()
    const samples: Record<'scan' | 'prepaid' | 'failure', number[]> = { scan: [], prepaid: [], failure: [] }
    const time = async (kind: keyof typeof samples, action: () => Promise<unknown>): Promise<void> => {
      const started = performance.now()
      await action()
      samples[kind].push(performance.now() - started)
    }
    for (const order of fixture.orders) {
      const barcode = order.parcels[0]!.barcode
      if (order.codFen === 0) {
        // A prepaid parcel: the scan, the delivery and both outbox rows in one transaction.
        await time('prepaid', () => core.handlers.scanBarcode({ code: barcode, source: 'wedge' }))
        continue
      }
      await time('scan', () => core.handlers.scanBarcode({ code: barcode, source: 'wedge' }))
      await time('failure', () => core.handlers.recordFailure({ orderId: order.orderId, reason: 'not_home' }))
    }
    const all = Object.values(samples).flat()
    context.log(`${all.length} writes through the core's handlers, each its own fsynced transaction (WAL, FULL)`)
    context.figure({ name: 'outbox write p50', value: percentile(all, 50), unit: 'ms' })
    context.figure({ name: 'outbox write p99', value: percentile(all, 99), unit: 'ms', target: { op: '<', value: 5 } })
    for (const [kind, values] of Object.entries(samples)) {
      context.figure({
        name: `outbox write p99, ${kind}`,
        value: percentile(values, 99),
        unit: 'ms',
        note: `p50 ${percentile(values, 50).toFixed(2)} ms, ${values.length} writes`,
      })
    }
  } finally {
    core.close()
    await database.close()
    await backend.stop()
  }
}

async function drainAndMemory(context: BenchContext): Promise<void> {
  const backend = await spawnBackend({ sandbox: true, seed: 'demo', env: { LOG_LEVEL: 'error' } })
  const link = await startCoverageLink(backend.url)
  try {
    const { core, dataDir } = await startFieldDevice(backend, { backendUrl: link.url })
    const before = await core.op<NodeJS.MemoryUsage>('memory')
    link.setMode('offline')
    const written = performance.now()
    await core.op('workload', { total: QUEUE })
    context.log(`${QUEUE} events written offline in ${((performance.now() - written) / 1000).toFixed(1)} s`)
    const pending = await core.op<NodeJS.MemoryUsage>('memory')
    const mb = (bytes: number): number => bytes / 1024 / 1024
    context.figure({
      name: `core RSS with ${QUEUE} pending`,
      value: mb(pending.rss),
      unit: 'MB',
      note: `${mb(before.rss).toFixed(1)} MB with none`,
    })
    context.figure({
      name: `core heap with ${QUEUE} pending`,
      value: mb(pending.heapUsed),
      unit: 'MB',
      note: `${mb(before.heapUsed).toFixed(1)} MB with none`,
    })

    link.setMode('online')
    const started = performance.now()
    const startedAt = Date.now()
    await core.call('syncNow', {})
    await drained(core, 60_000)
    const seconds = (performance.now() - started) / 1000
    const device = new DeviceRecords(dataDir)
    const held = new BackendRecords(backend.db).ackedSeq(device.deviceId())
    if (held !== device.lastSeq()) throw new Error(`the backend holds ${held} of ${device.lastSeq()} events`)
    const pushes = core.lines.filter((l): l is Extract<ChildLine, { t: 'push' }> => l.t === 'push')
    const answers = core.lines.filter(
      (l): l is Extract<ChildLine, { t: 'answer' }> => l.t === 'answer' && l.at >= startedAt && l.status === 200,
    )
    // Each answer's round trip from the latest push of the same batch before it.
    const trips = answers.flatMap((a) => {
      const push = pushes.findLast((p) => p.first === a.first && p.at <= a.at)
      return push ? [a.at - push.at] : []
    })
    context.figure({
      name: `drain ${QUEUE} queued events`,
      value: seconds,
      unit: 's',
      target: { op: '<', value: 10 },
      note: `${Math.round(QUEUE / seconds)} events/s, ${answers.length} batches, batch round trip p50 ${percentile(trips, 50)} ms`,
    })
    const drainedMemory = await core.op<NodeJS.MemoryUsage>('memory')
    context.log(
      `core RSS after the drain ${mb(drainedMemory.rss).toFixed(1)} MB, heap ${mb(drainedMemory.heapUsed).toFixed(1)} MB`,
    )
    await core.op('close')
  } finally {
    await link.close()
    await backend.stop()
  }
}

const bench: Bench = async (context) => {
  await outboxWrites(context)
  await drainAndMemory(context)
}

export default bench
