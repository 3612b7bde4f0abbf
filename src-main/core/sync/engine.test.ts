import { afterEach, describe, expect, it } from 'vitest'
import { HEARTBEAT_INTERVAL_MS, outOfContact } from '../../../shared/api/device'
import { eventsOf, FAST_SYNC, outboxOf, queryDevice, startTestDevice, until, type TestDevice } from '../testing/device'
import { DEFAULT_SYNC_TIMINGS } from './engine'

const devices: TestDevice[] = []
async function device(options: Parameters<typeof startTestDevice>[0] = {}): Promise<TestDevice> {
  const created = await startTestDevice(options)
  devices.push(created)
  return created
}
afterEach(async () => {
  for (const d of devices.splice(0)) await d.close()
})

/** Writes `n` refused scans: cheap courier actions, each one outbox event. */
async function scans(d: TestDevice, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    await d.core.handlers.scanBarcode({ code: `JDVA${String(90_000_000_000 + i)}-1-1-`, source: 'wedge' })
  }
}

const pushes = (d: TestDevice): number => d.backend.requests.filter((r) => r.endsWith('/events')).length
const states = (d: TestDevice) =>
  queryDevice<{ state: string; n: number }>(d, 'SELECT state, COUNT(*) AS n FROM outbox GROUP BY state ORDER BY state')

describe('sync engine', () => {
  it('drains the outbox in sequence order, in batches of at most 200', async () => {
    const d = await device()
    await d.backend.close()
    await scans(d, 450)
    await d.backend.resume()
    await until(async () => (await d.core.handlers.getSyncStatus({})).pending === 0, 'the queue to drain', 15_000)
    const seqs = d.backend.applied.map((e) => e.seq)
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1))
    expect(seqs.length).toBe(outboxOf(d).length)
    const sizes = d.backend.requests.filter((r) => r.endsWith('/events')).length
    expect(sizes).toBeGreaterThanOrEqual(3)
    expect(states(d)).toEqual([{ state: 'acked', n: seqs.length }])
  })

  it('pushes soon after a local write, and keeps the courier’s time on every event', async () => {
    const d = await device()
    await until(async () => (await d.core.handlers.getSyncStatus({})).pending === 0, 'the login events')
    const before = Date.now()
    await scans(d, 1)
    await until(() => d.backend.applied.some((e) => e.type === 'scan.refused'), 'the scan to arrive')
    const event = d.backend.applied.find((e) => e.type === 'scan.refused')!
    expect(Date.parse(event.occurredAt)).toBeGreaterThanOrEqual(before - 5)
    expect(Date.parse(event.occurredAt)).toBeLessThanOrEqual(Date.now())
  })

  it('keeps rejected events for attention while later ones flow', async () => {
    const d = await device()
    d.backend.rejectWhen((event) =>
      event.type === 'scan.refused' && event.payload.code.endsWith('90000000001-1-1-') ? 'order.reassigned' : null,
    )
    await scans(d, 3)
    await until(async () => (await d.core.handlers.getSyncStatus({})).pending === 0, 'the queue to drain')
    const status = await d.core.handlers.getSyncStatus({})
    expect(status.rejected).toBe(1)
    const rejected = await d.core.handlers.getRejectedEvents({})
    expect(rejected).toEqual([expect.objectContaining({ type: 'scan.refused', reason: 'order.reassigned' })])
    expect(status.attention).toBe(1)
    expect(eventsOf(d, 'attentionChanged').at(-1)?.rejected).toEqual(rejected)
    expect(d.backend.applied.filter((e) => e.type === 'scan.refused')).toHaveLength(2)
  })

  it('lets the courier acknowledge a refused event: it leaves their list, the row stays, nothing else can be', async () => {
    const d = await device()
    d.backend.rejectWhen((event) =>
      event.type === 'scan.refused' && event.payload.code.endsWith('90000000001-1-1-') ? 'order.reassigned' : null,
    )
    await scans(d, 3)
    await until(async () => (await d.core.handlers.getSyncStatus({})).pending === 0, 'the queue to drain')
    const [refused] = await d.core.handlers.getRejectedEvents({})
    const accepted = outboxOf(d).find((e) => e.seq !== refused!.seq)!
    const notOpen = { code: 'attention.not_open' }

    // An accepted event or an unknown one is not on the list: refused, and nothing changes.
    await expect(d.core.handlers.acknowledgeRejected({ seq: accepted.seq })).rejects.toMatchObject(notOpen)
    await expect(d.core.handlers.acknowledgeRejected({ seq: 999_999 })).rejects.toMatchObject(notOpen)
    expect((await d.core.handlers.getAttention({})).rejected).toEqual([refused])

    const after = await d.core.handlers.acknowledgeRejected({ seq: refused!.seq })
    expect(after.rejected).toEqual([])
    expect(eventsOf(d, 'attentionChanged').at(-1)?.rejected).toEqual([])
    await until(async () => (await d.core.handlers.getSyncStatus({})).attention === 0, 'the status to follow')
    // The device still holds the refused event, and says how many it refused.
    expect((await d.core.handlers.getSyncStatus({})).rejected).toBe(1)
    expect(await d.core.handlers.getRejectedEvents({})).toEqual([refused])
    expect(states(d)).toContainEqual({ state: 'rejected', n: 1 })
    // Once is enough.
    await expect(d.core.handlers.acknowledgeRejected({ seq: refused!.seq })).rejects.toMatchObject(notOpen)
  })

  it('prunes acked events only once they are older than the retention, and never pending or rejected ones', async () => {
    let now = Date.now()
    const d = await device({ now: () => new Date(now), sync: { keepAckedMs: 3600_000, keepAckedCount: 0 } })
    let rejectOne = true
    d.backend.rejectWhen((event) => {
      if (event.type !== 'scan.refused' || !rejectOne) return null
      rejectOne = false
      return 'order.reassigned'
    })
    await scans(d, 3)
    await until(async () => (await d.core.handlers.getSyncStatus({})).pending === 0, 'the first drain')
    const first = outboxOf(d).length
    expect(states(d)).toEqual([
      { state: 'acked', n: first - 1 },
      { state: 'rejected', n: 1 },
    ])
    // Within the hour nothing goes; an hour and a bit later, the old acked rows go on the next drain.
    now += 30 * 60_000
    await scans(d, 1)
    await until(async () => (await d.core.handlers.getSyncStatus({})).pending === 0, 'the second drain')
    await d.core.sync.syncNow()
    expect(outboxOf(d)).toHaveLength(first + 1)
    now += 40 * 60_000
    await d.backend.close()
    await scans(d, 1)
    await d.backend.resume()
    await until(async () => (await d.core.handlers.getSyncStatus({})).pending === 0, 'the third drain', 8000)
    await d.core.sync.syncNow()
    expect(states(d)).toEqual([
      { state: 'acked', n: 2 },
      { state: 'rejected', n: 1 },
    ])
    expect((await d.core.handlers.getAttention({})).rejected).toEqual([
      expect.objectContaining({ reason: 'order.reassigned', type: 'scan.refused' }),
    ])
  })

  it('rewinds to the sequence the backend expects after a gap answer', async () => {
    const d = await device()
    await scans(d, 5)
    await until(async () => (await d.core.handlers.getSyncStatus({})).pending === 0, 'the first drain')
    const total = d.backend.applied.length
    // The backend lost everything from event 3 on (restored from an old backup).
    d.backend.forgetFrom(3)
    await scans(d, 1)
    await until(() => d.backend.applied.length === total + 1, 'the rewind to resend', 8000)
    expect(d.backend.applied.map((e) => e.seq)).toEqual(Array.from({ length: total + 1 }, (_, i) => i + 1))
    expect(d.backend.requests.filter((r) => r.endsWith('/events')).length).toBeGreaterThan(2)
  })

  it('keeps its rewind buffer through a clock that jumps a week forward (issue 11, point 8)', async () => {
    let clock = Date.now()
    const d = await device({ now: () => new Date(clock) })
    await scans(d, 5)
    await until(async () => (await d.core.handlers.getSyncStatus({})).pending === 0, 'the first drain')
    const total = d.backend.applied.length
    // The device's clock jumps eight days ahead; the next drain prunes by it.
    clock += 8 * 24 * 3600_000
    await scans(d, 1)
    await until(async () => (await d.core.handlers.getSyncStatus({})).pending === 0, 'the second drain')
    expect(queryDevice<{ n: number }>(d, 'SELECT COUNT(*) AS n FROM outbox')[0]!.n).toBe(total + 1)
    // The backend is restored from a backup: the device can still rewind to it.
    d.backend.forgetFrom(3)
    await scans(d, 1)
    await until(() => d.backend.applied.length === total + 2, 'the rewind to resend', 8000)
    expect(d.backend.gaps).toEqual([])
    // The refusal that asked for the rewind is cleared by the answer to the resend, which the core reads just
    // after the backend has applied it.
    await until(async () => (await d.core.handlers.getSyncStatus({})).lastError === null, 'the error to clear')
  })

  it('sends past a gap it cannot rewind, so the queue is never stuck, and the backend records the gap', async () => {
    let clock = Date.now()
    const d = await device({ now: () => new Date(clock), sync: { keepAckedCount: 0 } })
    await scans(d, 5)
    await until(async () => (await d.core.handlers.getSyncStatus({})).pending === 0, 'the first drain')
    clock += 8 * 24 * 3600_000
    await scans(d, 1)
    await until(async () => (await d.core.handlers.getSyncStatus({})).pending === 0, 'the second drain')
    const last = outboxOf(d).at(-1)!.seq
    expect(outboxOf(d).length).toBeLessThan(last)
    d.backend.forgetFrom(3)
    await scans(d, 2)
    await until(async () => (await d.core.handlers.getSyncStatus({})).pending === 0, 'the queue past the gap', 8000)
    const kept = outboxOf(d)[0]!.seq
    expect(d.backend.gaps).toEqual([{ from: 3, to: kept - 1 }])
    expect(d.backend.applied.at(-1)!.seq).toBe(last + 2)
    expect((await d.core.handlers.getSyncStatus({})).lastError).toBeNull()
  })

  it('asks for login again on a 401 without touching the queue', async () => {
    const d = await device()
    await until(async () => (await d.core.handlers.getSyncStatus({})).pending === 0, 'the login events')
    d.backend.scriptPush({ status: 401, body: { error: { code: 'auth.unauthorized', message: 'expired' } } })
    await scans(d, 2)
    await until(() => eventsOf(d, 'deviceStatus').some((s) => s.needsLogin), 'the login request')
    const status = await d.core.handlers.getSyncStatus({})
    expect(status).toMatchObject({ needsLogin: true, pending: 2 })
    const pushesBefore = pushes(d)
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(pushes(d)).toBe(pushesBefore)
    await d.core.handlers.login({ staffId: 'SZ1001', pin: '1234' })
    await until(async () => (await d.core.handlers.getSyncStatus({})).pending === 0, 'the queue after login')
    expect((await d.core.handlers.getDeviceStatus({})).needsLogin).toBe(false)
  })

  it('backs off after 5xx answers and keeps trying until they stop', async () => {
    const d = await device()
    await until(async () => (await d.core.handlers.getSyncStatus({})).pending === 0, 'the login events')
    d.backend.scriptPush({ status: 503 }, { status: 500 }, { status: 502 })
    await scans(d, 1)
    await until(async () => (await d.core.handlers.getSyncStatus({})).pending === 0, 'the retries to get through')
    expect(eventsOf(d, 'syncStatus').some((s) => s.nextRetryAt !== null && s.lastError !== null)).toBe(true)
    // A 5xx is an answer: the backend is reachable, so coverage stays on while the push waits.
    const failing = eventsOf(d, 'syncStatus').filter((s) => s.lastError !== null)
    expect(failing.length).toBeGreaterThan(0)
    expect(failing.every((s) => s.online)).toBe(true)
    expect(pushes(d)).toBeGreaterThanOrEqual(4)
  })

  it('goes offline when the backend stops answering and pushes as soon as it is back', async () => {
    const d = await device()
    await until(async () => (await d.core.handlers.getSyncStatus({})).online, 'coverage')
    await d.backend.close()
    await scans(d, 3)
    await until(async () => !(await d.core.handlers.getSyncStatus({})).online, 'coverage to be lost')
    expect((await d.core.handlers.getSyncStatus({})).pending).toBeGreaterThanOrEqual(3)
    await d.backend.resume()
    await until(async () => (await d.core.handlers.getSyncStatus({})).pending === 0, 'the push after coverage', 8000)
    expect((await d.core.handlers.getSyncStatus({})).online).toBe(true)
  })

  it('reports its backlog in a heartbeat after a sync', async () => {
    const d = await device()
    await scans(d, 2)
    await until(
      () => d.backend.heartbeats.some((h) => (h as { lastSyncAt: string | null }).lastSyncAt !== null),
      'a heartbeat after a sync',
    )
    expect(d.backend.heartbeats.at(-1)).toMatchObject({
      pendingCount: 0,
      oldestPendingAt: null,
      appVersion: '0.0.0-test',
      lastSyncAt: expect.any(String),
    })
  })

  it('heartbeats every interval while idle, and the depot never judges that interval out of contact', async () => {
    expect(DEFAULT_SYNC_TIMINGS.heartbeatMs).toBe(HEARTBEAT_INTERVAL_MS)
    // The longest a healthy device goes unheard: one interval, plus an answer at the client's 10 s timeout.
    expect(outOfContact(DEFAULT_SYNC_TIMINGS.heartbeatMs + 10_000)).toBe(false)
    const interval = 150
    const d = await device({ sync: { ...FAST_SYNC, heartbeatMs: interval } })
    await until(async () => (await d.core.handlers.getSyncStatus({})).pending === 0, 'the login events')
    const from = d.backend.heartbeats.length
    const started = Date.now()
    await until(() => d.backend.heartbeats.length >= from + 4, 'four heartbeats while idle')
    // Four beats on the interval's timer take about four intervals: none was skipped.
    expect(Date.now() - started).toBeLessThan(interval * 4 + 1_000)
  })

  it('resumes the stream from its cursor after a reconnect', async () => {
    const d = await device()
    await until(() => d.backend.streamClients() === 1, 'the stream')
    const id = d.backend.send('flag', {
      orderId: 'ord_test0004',
      kind: 'unverified_not_found',
      intentId: null,
      amountFen: 500,
    })
    await until(() => eventsOf(d, 'orderFlagged').length === 1, 'the flag')
    await d.backend.close()
    await d.backend.resume()
    await until(() => d.backend.streamResumes.length >= 2, 'the reconnect', 8000)
    expect(d.backend.streamResumes.at(-1)).toBe(String(id))
    expect(eventsOf(d, 'orderFlagged')).toHaveLength(1)
  })

  it('gets what the stream carried while it was away, even before its first message', async () => {
    const d = await device()
    await until(() => d.backend.streamClients() === 1, 'the stream')
    await d.backend.close()
    d.backend.send('flag', { orderId: 'ord_test0004', kind: 'double_payment', intentId: null, amountFen: 500 })
    await d.backend.resume()
    await until(() => eventsOf(d, 'orderFlagged').length === 1, 'the message sent while offline', 8000)
    expect(d.backend.streamResumes[0]).toBe('0')
  })

  it('applies a cancelled order from the stream, and refuses its scan afterwards', async () => {
    const d = await device()
    await until(() => d.backend.streamClients() === 1, 'the stream')
    d.backend.send('manifest', { shiftId: 'shf_test0001', orderId: 'ord_test0004', change: 'cancelled', version: 2 })
    await until(
      async () => (await d.core.handlers.getOrder({ orderId: 'ord_test0004' })).status === 'cancelled',
      'the change',
    )
    expect(await d.core.handlers.scanBarcode({ code: 'JDVA00000000004-1-1-', source: 'wedge' })).toMatchObject({
      outcome: 'refused',
      reason: 'order_closed',
      orderStatus: 'cancelled',
    })
  })

  it('skips a stream message outside the contract without stopping the ones after it', async () => {
    const d = await device()
    await until(() => d.backend.streamClients() === 1, 'the stream')
    d.backend.send('payment', { intentId: 'not an id' })
    d.backend.send('flag', { orderId: 'ord_test0001', kind: 'double_payment', intentId: null, amountFen: 1 })
    await until(() => eventsOf(d, 'orderFlagged').length === 1, 'the flag after the bad message')
  })
})
