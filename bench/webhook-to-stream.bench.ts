/**
 * Webhook to device stream: the acquirer's signed notification arrives at the backend, and we time until the
 * `payment` message reaches the device's open stream. DESIGN section 7 and issue 3: p95 under 100 ms.
 * On SQLite (one process); on PostgreSQL, when TUOTOU_TEST_PG_URL is set, across two backend processes (the
 * webhook to one, the stream held by the other), through LISTEN/NOTIFY. Also customer pay to stream, through
 * the sandbox acquirer's notifier.
 */
import { randomBytes } from 'node:crypto'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { ACQUIRER_SIGNATURE_HEADER, ACQUIRER_TIMESTAMP_HEADER } from '../shared/api/acquirer'
import type { Manifest } from '../shared/api/shift'
import { signNotification } from '../backend/acquirer/signature'
import { openBackendDb } from '../backend/db/connect'
import { SandboxStore } from '../backend/sandbox/store'
import { BackendApi, openStream, type StreamReader } from '../backend/testing/api'
import { createCourierWithRoute } from '../backend/testing/fixtures'
import { spawnBackend, type SpawnedBackend } from '../backend/testing/backend'
import { dropSchema, freshSchemaUrl, postgresTarget } from '../backend/testing/postgres'
import { percentile, type Bench, type BenchContext } from './figures'

const SAMPLES = 150

async function courierOn(backend: SpawnedBackend, orders: number) {
  const database = openBackendDb(backend.db)
  try {
    const fixture = await createCourierWithRoute(database.db, {
      orders: Array.from({ length: orders }, (_, i) => ({ codFen: 1000 + i })),
    })
    const api = new BackendApi(backend.url)
    const device = await api.enroll(fixture.enrollmentCode)
    const shift = await api.login(device.deviceToken, fixture.staffId, fixture.pin)
    const manifest: Manifest = await api.manifest(shift.shiftToken, shift.shiftId)
    return { device, intents: manifest.stops.flatMap((s) => s.orders.map((o) => o.intent!)) }
  } finally {
    await database.close()
  }
}

async function timeWebhooks(
  context: BenchContext,
  label: string,
  webhookUrl: string,
  secret: string,
  stream: StreamReader,
  intents: { intentId: string; amountFen: number }[],
): Promise<void> {
  const samples: number[] = []
  for (const intent of intents) {
    const body = JSON.stringify({
      notificationId: `ntf_${randomBytes(10).toString('hex')}`,
      type: 'payment.succeeded',
      intentId: intent.intentId,
      transactionId: `tx_${randomBytes(10).toString('hex')}`,
      amountFen: intent.amountFen,
      occurredAt: new Date().toISOString(),
    })
    const seconds = Math.floor(Date.now() / 1000)
    const arrived = stream.waitFor((m) => (m.data as { intentId?: string }).intentId === intent.intentId)
    const sent = performance.now()
    const response = await fetch(`${webhookUrl}/api/v1/acquirer/notifications`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        [ACQUIRER_TIMESTAMP_HEADER]: String(seconds),
        [ACQUIRER_SIGNATURE_HEADER]: signNotification(secret, seconds, body),
      },
      body,
    })
    if (!response.ok) throw new Error(`webhook answered ${response.status}: ${await response.text()}`)
    await arrived
    samples.push(performance.now() - sent)
  }
  context.figure({ name: `webhook to stream, ${label}, p50`, value: percentile(samples, 50), unit: 'ms' })
  context.figure({
    name: `webhook to stream, ${label}, p95`,
    value: percentile(samples, 95),
    unit: 'ms',
    target: { op: '<', value: 100 },
  })
}

const bench: Bench = async (context) => {
  // SQLite: one backend process with the sandbox acquirer.
  const backend = await spawnBackend({ sandbox: true, env: { LOG_LEVEL: 'error' } })
  try {
    const sandbox = new SandboxStore(join(dirname(backend.db), 'backend.acquirer.sqlite'))
    const secret = sandbox.identity().webhookSecret
    sandbox.close()
    const { device, intents } = await courierOn(backend, SAMPLES * 2)
    const stream = await openStream(backend.url, device.deviceId, device.deviceToken)
    try {
      await timeWebhooks(context, 'SQLite', backend.url, secret, stream, intents.slice(0, SAMPLES))
      // The whole way: the customer pays, the sandbox acquirer notifies, the stream pushes.
      const api = new BackendApi(backend.url)
      const samples: number[] = []
      for (const intent of intents.slice(SAMPLES)) {
        const arrived = stream.waitFor((m) => (m.data as { intentId?: string }).intentId === intent.intentId)
        const sent = performance.now()
        await api.pay(intent.qrPayload)
        await arrived
        samples.push(performance.now() - sent)
      }
      context.figure({
        name: 'customer pay to stream (sandbox acquirer), p95',
        value: percentile(samples, 95),
        unit: 'ms',
      })
    } finally {
      stream.close()
    }
  } finally {
    await backend.stop()
  }

  const postgres = await postgresTarget()
  if (!postgres.url) {
    context.log(`PostgreSQL figures skipped: ${postgres.reason}`)
    return
  }
  const { url, schema } = freshSchemaUrl(postgres.url)
  const sandboxFile = join(mkdtempSync(join(tmpdir(), 'tuotou-bench-')), 'acquirer.sqlite')
  const webhookSide = await spawnBackend({
    db: url,
    sandbox: true,
    sandboxDb: sandboxFile,
    env: { LOG_LEVEL: 'error' },
  })
  const streamSide = await spawnBackend({ db: url, sandbox: false, env: { LOG_LEVEL: 'error' } })
  try {
    const sandbox = new SandboxStore(sandboxFile)
    const secret = sandbox.identity().webhookSecret
    sandbox.close()
    const { device, intents } = await courierOn(webhookSide, SAMPLES)
    const stream = await openStream(streamSide.url, device.deviceId, device.deviceToken)
    try {
      await timeWebhooks(context, 'PostgreSQL across two instances', webhookSide.url, secret, stream, intents)
    } finally {
      stream.close()
    }
  } finally {
    await webhookSide.stop()
    await streamSide.stop()
    await dropSchema(postgres.url, schema)
  }
}

export default bench
