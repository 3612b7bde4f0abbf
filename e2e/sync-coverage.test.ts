import { afterEach, describe, expect, it } from 'vitest'
import { spawnBackend, type SpawnedBackend } from '../backend/testing'
import { BackendRecords } from './support/backend-records'
import { killCoreProcesses, startCoreProcess, type CoreProcess } from './support/core-process'
import { startCoverageLink, type CoverageLink } from './support/coverage-link'
import { DeviceRecords } from './support/device-records'
import { drained, QUICK_SYNC, startFieldDevice } from './support/field-device'

/**
 * The sync engine against a real backend process over a link that fails the way coverage does: answers lost
 * after the backend committed, the backend down and killed with -9, the device restarted with a queue, and a
 * device clock that is behind. The device core runs in its own process; only the acquirer is the sandbox.
 */

let backend: SpawnedBackend | null = null
let link: CoverageLink | null = null
afterEach(async () => {
  await killCoreProcesses()
  await link?.close()
  await backend?.stop('SIGKILL')
  link = backend = null
})

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

async function until(check: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(20)
  }
}

/** Everything the device holds reached the backend: the same events, each once, in order, all applied. */
function expectAllOnce(records: BackendRecords, device: DeviceRecords): void {
  const outbox = device.outbox()
  expect(outbox.filter((e) => e.state !== 'acked')).toEqual([])
  expect(outbox.map((e) => e.seq)).toEqual(Array.from({ length: device.lastSeq() }, (_, i) => i + 1))
  const held = records.deviceEvents(device.deviceId())
  expect(held.map((e) => [e.seq, e.eventId, e.type, e.occurredAt, e.status])).toEqual(
    outbox.map((e) => [e.seq, e.eventId, e.type, e.occurredAt, 'applied']),
  )
}

describe('sync over a failing link, with real processes', () => {
  it('an answer lost after the backend committed: the batch goes again and is applied once', async () => {
    backend = await spawnBackend({ sandbox: true, seed: 'demo' })
    link = await startCoverageLink(backend.url)
    const records = new BackendRecords(backend.db)
    const { core, dataDir } = await startFieldDevice(backend, { backendUrl: link.url })
    const device = new DeviceRecords(dataDir)
    const synced = device.lastSeq()
    link.setMode('offline')
    await core.op('workload', { total: 500 })

    // Requests get through and the backend commits; every answer is lost on the way back.
    link.setMode('drop-responses')
    await until(() => link!.stats().droppedResponses >= 4, 'several answers to be lost')
    // The first batch was committed once; each retry of it was a duplicate, so nothing moved past it.
    expect(records.ackedSeq(device.deviceId())).toBe(synced + 200)
    expect(records.deviceEvents(device.deviceId())).toHaveLength(synced + 200)
    expect((await core.call('getSyncStatus', {})).pending).toBe(500)

    link.setMode('online')
    await drained(core)
    expectAllOnce(records, device)
    expect(records.attemptCount()).toBeGreaterThan(0)
  }, 60_000)

  it('the backend down for a while, then killed with -9 mid-drain and restarted: the queue drains, once each', async () => {
    backend = await spawnBackend({ sandbox: true, seed: 'demo' })
    const records = new BackendRecords(backend.db)
    const { core, dataDir } = await startFieldDevice(backend)
    const device = new DeviceRecords(dataDir)
    const deviceId = device.deviceId()

    await backend.stop('SIGTERM')
    const { deliveries } = await core.op<{ deliveries: number }>('workload', { total: 1500 })
    // Down for a while: pushes fail and back off; nothing is lost or dropped meanwhile.
    await sleep(1500)
    const down = await core.call('getSyncStatus', {})
    expect(down).toMatchObject({ online: false, pending: 1500 })
    expect(core.lines.filter((l) => l.t === 'answer' && l.status === 0).length).toBeGreaterThan(1)

    const restartedAt = Date.now()
    backend = await backend.restart()
    // Killed with -9 as soon as the first batch is through, while the rest are on their way.
    await core.waitFor((l) => l.t === 'answer' && l.status === 200 && l.at >= restartedAt, 20_000)
    await backend.stop('SIGKILL')
    const atKill = records.ackedSeq(deviceId)
    expect(atKill).toBeLessThan(device.lastSeq())
    await sleep(800)
    backend = await backend.restart()
    await drained(core, 60_000)

    expectAllOnce(records, device)
    expect(records.attemptCount()).toBe(deliveries)
  }, 90_000)

  it('a device restarted with a queue sends it on start, before anything new is written', async () => {
    backend = await spawnBackend({ sandbox: true, seed: 'demo' })
    link = await startCoverageLink(backend.url)
    const records = new BackendRecords(backend.db)
    const { core, dataDir } = await startFieldDevice(backend, { backendUrl: link.url })
    const device = new DeviceRecords(dataDir)
    link.setMode('offline')
    await core.op('workload', { total: 300 })
    await core.op('close')
    link.setMode('online')

    // The next start: no call at all, the engine pushes what is waiting.
    const again: CoreProcess = await startCoreProcess({ dataDir, backendUrl: link.url, sync: QUICK_SYNC })
    await until(() => records.ackedSeq(device.deviceId()) === device.lastSeq(), 'the queue to reach the backend')
    expect(again.lines.filter((l) => l.t === 'reply')).toEqual([])
    await drained(again)
    expectAllOnce(records, device)
  }, 60_000)

  it('a device clock three hours behind: every action keeps the courier’s time, not the sync time', async () => {
    const behindMs = 3 * 3600_000
    backend = await spawnBackend({ sandbox: true, seed: 'demo' })
    link = await startCoverageLink(backend.url)
    const records = new BackendRecords(backend.db)
    const { core, dataDir } = await startFieldDevice(backend, { backendUrl: link.url, clockOffsetMs: -behindMs })
    const device = new DeviceRecords(dataDir)
    const synced = device.lastSeq()
    link.setMode('offline')
    const actedFrom = Date.now()
    await core.op('workload', { total: 200 })
    const actedUntil = Date.now()
    await sleep(1500)
    link.setMode('online')
    await drained(core)

    expectAllOnce(records, device)
    const held = records.deviceEvents(device.deviceId()).filter((e) => e.seq > synced)
    expect(held).toHaveLength(200)
    for (const event of held) {
      const stated = Date.parse(event.occurredAt)
      // What the courier's device said when they acted: three hours behind the real moment, never the sync.
      expect(stated + behindMs).toBeGreaterThanOrEqual(actedFrom - 50)
      expect(stated + behindMs).toBeLessThanOrEqual(actedUntil + 50)
      expect(event.receivedMs - (stated + behindMs)).toBeGreaterThanOrEqual(1400)
    }
    // The deliveries carry their events' times as the backend counts them (the device's reading corrected by
    // its offset, within the shift), never the sync time.
    const attempts = records.attemptTimes(device.deviceId())
    expect(attempts.length).toBeGreaterThan(0)
    const counted = new Map(held.map((e) => [e.seq, e.courierAt]))
    for (const attempt of attempts) expect(attempt.occurredAt).toBe(counted.get(attempt.seq))
    for (const event of held) expect(Date.parse(event.courierAt)).toBeLessThan(event.receivedMs - 1400)
  }, 60_000)
})
