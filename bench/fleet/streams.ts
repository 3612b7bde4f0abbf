/**
 * One backend instance (on PostgreSQL or SQLite) holding a fleet's device streams: light clients on loopback that hold the SSE
 * stream and heartbeat as the core does; memory per stream, event-loop delay, time to accept them all, webhook
 * to the right device's stream at that load, then a reconnect storm resumed with `Last-Event-ID`.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { Agent, request } from 'node:http'
import { loadavg, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { openBackendDb } from '../../backend/db/connect'
import { SandboxStore } from '../../backend/sandbox/store'
import { spawnBackend } from '../../backend/testing/backend'
import { dropSchema, freshSchemaUrl } from '../../backend/testing/postgres'
import {
  createFleet,
  postPaymentNotification,
  StreamFleet,
  type FleetDevice,
  type FleetMessage,
} from '../../backend/testing/fleet'
import { DEFAULT_SYNC_TIMINGS } from '../../src-main/core/sync/engine'
import { percentile, type BenchContext } from '../figures'
import { coreStreamRetryDelay, PROBE_OPTIONS, probe, rssOf, sleep } from './system'
import { reportStages, type TracedPayment } from './stages'

export interface StreamsOptions {
  /** A PostgreSQL server (a fresh schema on it), or SQLite (a fresh file) when null. */
  postgres: { url: string; label: string } | null
  streams: number
  payments: number
  /** Stream opens in flight at once while the fleet connects. */
  openWindow: number
  /** Webhooks per second while timing them. */
  paymentRate: number
}

/** Sends `count` webhooks at `rate` per second without waiting for one to finish before the next. */
async function paceWebhooks(
  count: number,
  rate: number,
  send: (i: number) => Promise<void>,
): Promise<{ failed: number }> {
  let failed = 0
  const started = performance.now()
  const all: Promise<void>[] = []
  for (let i = 0; i < count; i++) {
    const due = started + (i * 1000) / rate
    const wait = due - performance.now()
    if (wait > 0) await sleep(wait)
    all.push(send(i).catch(() => void failed++))
  }
  await Promise.all(all)
  return { failed }
}

export async function benchStreams(context: BenchContext, options: StreamsOptions): Promise<void> {
  const { streams: total, payments } = options
  const label = options.postgres ? 'PostgreSQL' : 'SQLite'
  const schema = options.postgres ? freshSchemaUrl(options.postgres.url) : null
  const acquirerDir = mkdtempSync(join(tmpdir(), 'tuotou-fleet-'))
  const backend = await spawnBackend({
    db: schema?.url,
    sandbox: true,
    sandboxDb: join(acquirerDir, 'acquirer.sqlite'),
    env: { LOG_LEVEL: 'error', NODE_OPTIONS: PROBE_OPTIONS, TUOTOU_TRACE_STREAM: '1' },
    timeoutMs: 60_000,
  })
  const database = openBackendDb(backend.db)
  const fleet = new StreamFleet({
    baseUrl: backend.url,
    onMessage: (message) => arrived(message),
    retryDelay: coreStreamRetryDelay,
    onOpen: (_stream, at) => opens.push(at),
  })
  const opens: number[] = []
  const waiting = new Map<string, { deviceId: string; sent: number; resolve: (ms: number) => void }>()
  const owner = new Map<string, string>()
  let misdelivered = 0
  const arrived = (message: FleetMessage): void => {
    const intentId = (message.data as { intentId?: string }).intentId
    if (!intentId) return
    if (owner.get(intentId) !== message.deviceId) misdelivered++
    const waiter = waiting.get(intentId)
    if (!waiter) return
    waiting.delete(intentId)
    waiter.resolve(message.at - waiter.sent)
  }
  const heartbeats = new Agent({ keepAlive: true, maxSockets: 16 })
  let heartbeatTimer: NodeJS.Timeout | null = null
  try {
    const sandbox = new SandboxStore(join(acquirerDir, 'acquirer.sqlite'))
    const secret = sandbox.identity().webhookSecret
    sandbox.close()

    // The fleet: every tenth device has a courier with three COD orders whose payments go to it.
    const seeding = performance.now()
    const devices = await createFleet(database.db, {
      devices: total,
      payableEvery: Math.max(1, Math.floor(total / payments)),
      intentsPerDevice: 3,
    })
    for (const device of devices) for (const intent of device.intents) owner.set(intent.intentId, device.deviceId)
    const payable = devices.filter((d) => d.intents.length > 0)
    context.log(
      `${label}${options.postgres ? ` (${options.postgres.label})` : ''}: seeded ${total} enrolled devices in ${((performance.now() - seeding) / 1000).toFixed(1)} s ` +
        `(${payable.length} with couriers and COD orders, ${owner.size} open intents)`,
    )
    await sleep(2_000)
    await probe(backend)
    const rssBefore = rssOf(backend.pid)

    // Accept the whole fleet, `openWindow` opens in flight at a time.
    const acceptStarted = performance.now()
    let next = 0
    const opener = async (): Promise<void> => {
      while (next < devices.length) await fleet.open(devices[next++]!)
    }
    await Promise.all(Array.from({ length: options.openWindow }, opener))
    const acceptMs = performance.now() - acceptStarted
    const acceptLag = await probe(backend)
    context.figure({
      name: `${label}: time to accept ${total} streams`,
      value: acceptMs / 1000,
      unit: 's',
      note: `${Math.round(total / (acceptMs / 1000))} opens/s, ${options.openWindow} in flight; event-loop delay p99 ${acceptLag.window.p99} ms meanwhile`,
    })

    // Heartbeats as the core sends them: one every `heartbeatMs` per device, spread over the interval.
    const heartbeat = (device: FleetDevice): void => {
      const body = JSON.stringify({
        pendingCount: 0,
        oldestPendingAt: null,
        lastSyncAt: new Date().toISOString(),
        appVersion: '0.1.0',
        sentAt: new Date().toISOString(),
      })
      const call = request(`${backend.url}/api/v1/devices/${device.deviceId}/heartbeat`, {
        method: 'POST',
        agent: heartbeats,
        headers: { authorization: `Bearer ${device.deviceToken}`, 'content-type': 'application/json' },
      })
      call.on('response', (response) => response.resume())
      call.on('error', () => undefined)
      call.end(body)
    }
    let beat = 0
    const perTick = Math.max(1, Math.round((total * 100) / DEFAULT_SYNC_TIMINGS.heartbeatMs))
    heartbeatTimer = setInterval(() => {
      for (let i = 0; i < perTick; i++) heartbeat(devices[beat++ % devices.length]!)
    }, 100)

    await sleep(10_000)
    const held = rssOf(backend.pid)
    context.figure({
      name: `${label}: backend RSS per stream`,
      value: (held - rssBefore) / total / 1024,
      unit: 'KB',
      target: { op: '<', value: 20 },
      note: `${(rssBefore / 2 ** 20).toFixed(0)} MB before, ${(held / 2 ** 20).toFixed(0)} MB holding ${total} streams with heartbeats`,
    })

    // 1,000 payments spread over the fleet, one per payable device, at a steady rate.
    const samples: number[] = []
    const traced: TracedPayment[] = []
    await probe(backend)
    const sent = await paceWebhooks(payable.length, options.paymentRate, async (i) => {
      const device = payable[i]!
      const intent = device.intents[0]!
      const sentAt = Date.now()
      const delivered = new Promise<number>((resolve) =>
        waiting.set(intent.intentId, { deviceId: device.deviceId, sent: performance.now(), resolve }),
      )
      const status = await postPaymentNotification(backend.url, secret, intent)
      if (status !== 200) {
        waiting.delete(intent.intentId)
        throw new Error(`webhook answered ${status}`)
      }
      const ms = await Promise.race([delivered, sleep(10_000).then(() => Number.NaN)])
      if (Number.isFinite(ms)) {
        samples.push(ms)
        traced.push({ deviceId: device.deviceId, sentAt, receivedAt: sentAt + ms })
      }
    })
    const holdLag = await probe(backend)
    context.log(
      `${label}: load average ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')} (2 cores, shared)`,
    )
    const note = `${samples.length} of ${payable.length} delivered, ${sent.failed} webhooks failed, ${misdelivered} to a wrong device; ${options.paymentRate}/s while ${total} streams heartbeat`
    context.figure({
      name: `${label}: webhook → device stream at load, p50`,
      value: percentile(samples, 50),
      unit: 'ms',
      note,
    })
    context.figure({
      name: `${label}: webhook → device stream at load, p95`,
      value: percentile(samples, 95),
      unit: 'ms',
      target: { op: '<', value: 100 },
    })
    reportStages(context, traced, backend.output, backend.output, `${label}: webhook → device stream`)
    context.figure({
      name: `${label}: event-loop delay p99 holding the streams, with heartbeats and webhooks`,
      value: holdLag.window.p99,
      unit: 'ms',
      note: `max ${holdLag.window.max} ms`,
    })
    const dropped = fleet.streams().reduce((sum, s) => sum + s.unexpectedCloses, 0)
    context.figure({
      name: `${label}: streams dropped by the backend`,
      value: dropped + (total - fleet.connectedCount()),
      unit: 'streams',
      target: { op: '<', value: 1 },
      note: `${fleet.connectedCount()} of ${total} connected`,
    })

    // Reconnect storm: every stream cut at once while payments keep coming; each comes back after the core's
    // jittered back-off and resumes after its Last-Event-ID.
    opens.length = 0
    // Ten seconds of payments at twice the rate, from half a second before the cut.
    const stormPayments = payable
      .flatMap((device) => device.intents.slice(1).map((intent) => ({ device, intent })))
      .slice(0, options.paymentRate * 20)
    const stormSender = paceWebhooks(stormPayments.length, options.paymentRate * 2, async (i) => {
      const status = await postPaymentNotification(backend.url, secret, stormPayments[i]!.intent)
      if (status !== 200) throw new Error(`webhook answered ${status}`)
    })
    await sleep(500)
    const cutAt = performance.now()
    fleet.dropAll()
    const deadline = Date.now() + 120_000
    while (fleet.connectedCount() < total && Date.now() < deadline) await sleep(50)
    const backMs = performance.now() - cutAt
    const stormSent = await stormSender
    const stormLag = await probe(backend)
    await sleep(3_000)

    // Peak rate: the most opens answered in any one-second window.
    opens.sort((a, b) => a - b)
    let peak = 0
    for (let i = 0, j = 0; i < opens.length; i++) {
      while (opens[i]! - opens[j]! > 1000) j++
      peak = Math.max(peak, i - j + 1)
    }
    const cursors = new Map(
      (await database.db.selectFrom('stream_cursors').select(['device_id', 'last_seq']).execute()).map((r) => [
        r.device_id,
        r.last_seq,
      ]),
    )
    let missed = 0
    let gaps = 0
    let duplicates = 0
    for (const stream of fleet.streams()) {
      missed += Math.max(0, (cursors.get(stream.device.deviceId) ?? 0) - stream.lastId)
      gaps += stream.gaps
      duplicates += stream.duplicates
    }
    context.figure({
      name: `${label}: reconnect storm, all ${total} back`,
      value: backMs / 1000,
      unit: 's',
      note: `${fleet.connectedCount()} of ${total} reconnected; event-loop delay p99 ${stormLag.window.p99} ms, max ${stormLag.window.max} ms`,
    })
    context.figure({ name: `${label}: reconnect storm, peak reconnections`, value: peak, unit: 'per s' })
    context.figure({
      name: `${label}: reconnect storm, messages missed`,
      value: missed + gaps,
      unit: 'messages',
      target: { op: '<', value: 1 },
      note: `${stormPayments.length - stormSent.failed} payments during the storm; ${duplicates} sent twice; every stream's last id checked against stream_cursors`,
    })
  } finally {
    if (heartbeatTimer) clearInterval(heartbeatTimer)
    fleet.close()
    heartbeats.destroy()
    await database.close()
    await backend.stop()
    if (options.postgres && schema) await dropSchema(options.postgres.url, schema.schema)
    rmSync(acquirerDir, { recursive: true, force: true })
    if (!options.postgres) rmSync(dirname(backend.db), { recursive: true, force: true })
  }
}
