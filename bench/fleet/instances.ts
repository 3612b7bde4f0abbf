/**
 * Two backend instances on one PostgreSQL: devices push their day's events through both, a webhook taken by
 * instance A reaches devices streaming from instance B through LISTEN/NOTIFY, and B is killed with SIGKILL mid-
 * load; its devices carry on through A (pushes and streams), and the database shows nothing lost or doubled.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import type { DeviceEvent } from '../../shared/api/events'
import { openBackendDb } from '../../backend/db/connect'
import { SandboxStore } from '../../backend/sandbox/store'
import { BackendApi, EventWriter } from '../../backend/testing/api'
import { spawnBackend, type SpawnedBackend } from '../../backend/testing/backend'
import { createCourierWithRoute, createDepot } from '../../backend/testing/fixtures'
import { postPaymentNotification, StreamFleet, type FleetDevice } from '../../backend/testing/fleet'
import { dropSchema, freshSchemaUrl } from '../../backend/testing/postgres'
import { percentile, type BenchContext } from '../figures'
import { courierOutbox } from '../workload'
import { reportStages, type TracedPayment } from './stages'
import { coreStreamRetryDelay, cpuMeter, machineMeter, postgresPids, PROBE_OPTIONS, probe, sleep } from './system'

export interface InstancesOptions {
  postgres: { url: string; label: string }
  devices: number
  /** Stops on each courier's route; every tenth is a COD order kept for a webhook. */
  stops: number
  /** Share of each device's events pushed first, unmeasured, so both instances run compiled code when measured. */
  warmShare: number
  /** Up to this share of each device's events, the rest pushed as fast as both instances take them. */
  firstShare: number
  /** Then the share pushed at half that rate; the rest while B is killed. */
  pacedShare: number
}

interface BenchDevice extends FleetDevice {
  home: 'A' | 'B'
  events: DeviceEvent[]
  /** Where its next push goes; B's devices move to A when B is gone. */
  target: 'A' | 'B'
}

/** Pushes a device's events from `from` to `to` in batches of 200 (the core's), failing over to A when its
 * instance stops answering; counts what each answer said. */
async function pushRange(
  device: BenchDevice,
  from: number,
  to: number,
  apis: { A: BackendApi; B: BackendApi },
  alive: { B: boolean },
  tally: { applied: number; duplicate: number; rejected: number; failovers: number },
): Promise<void> {
  let at = from
  let failures = 0
  while (at < to) {
    const batch = device.events.slice(at, Math.min(to, at + 200))
    try {
      const answer = await apis[device.target].push(device.deviceToken, device.deviceId, batch)
      for (const result of answer.results) tally[result.status]++
      at += batch.length
      failures = 0
    } catch {
      // The instance is gone (connection refused or reset): the load balancer sends the device to the other.
      if (device.target === 'B' && !alive.B) {
        device.target = 'A'
        tally.failovers++
      }
      failures++
      await sleep(Math.random() * Math.min(2_000, 100 * 2 ** failures))
    }
  }
}

export async function benchInstances(context: BenchContext, options: InstancesOptions): Promise<void> {
  const schema = freshSchemaUrl(options.postgres.url)
  const acquirerDir = mkdtempSync(join(tmpdir(), 'tuotou-fleet-'))
  // Each stream message's stage times (committed at A, heard by B's LISTEN, written by B), for the breakdown below.
  const env = { LOG_LEVEL: 'error', NODE_OPTIONS: PROBE_OPTIONS, TUOTOU_TRACE_STREAM: '1' }
  const a = await spawnBackend({ db: schema.url, sandbox: true, sandboxDb: join(acquirerDir, 'acquirer.sqlite'), env })
  let b: SpawnedBackend | null = await spawnBackend({ db: schema.url, sandbox: false, env })
  const database = openBackendDb(schema.url)
  const apis = { A: new BackendApi(a.url), B: new BackendApi(b.url) }
  const alive = { B: true }
  const urls = { A: a.url, B: b.url }
  const arrivals = new Map<string, (at: number) => void>()
  const onMessage = (message: { data: unknown; at: number }): void => {
    const intentId = (message.data as { intentId?: string }).intentId
    if (intentId) arrivals.get(intentId)?.(message.at)
  }
  const streamsA = new StreamFleet({ baseUrl: urls.A, onMessage, retryDelay: coreStreamRetryDelay })
  const streamsB = new StreamFleet({
    baseUrl: () => (alive.B ? urls.B : urls.A),
    onMessage,
    retryDelay: coreStreamRetryDelay,
  })
  try {
    const secret = (() => {
      const sandbox = new SandboxStore(join(acquirerDir, 'acquirer.sqlite'))
      const identity = sandbox.identity()
      sandbox.close()
      return identity.webhookSecret
    })()

    // The couriers, in four depots (four NOTIFY channels), each logged in on its own device through A.
    const seeding = performance.now()
    const depots: string[] = []
    for (let i = 0; i < 4; i++) depots.push((await createDepot(database.db, { name: `Fleet depot ${i + 1}` })).depotId)
    const devices: BenchDevice[] = []
    let next = 0
    const setUp = async (): Promise<void> => {
      while (next < options.devices) {
        const i = next++
        const fixture = await createCourierWithRoute(database.db, {
          depotId: depots[i % depots.length],
          orders: Array.from({ length: options.stops }, (_, o) => ({
            codFen: o % 10 === 5 ? 1000 + ((o * 37) % 9000) : 0,
            parcels: o % 17 === 0 ? 2 : 1,
          })),
        })
        const device = await apis.A.enroll(fixture.enrollmentCode)
        const shift = await apis.A.login(device.deviceToken, fixture.staffId, fixture.pin)
        const manifest = await apis.A.manifest(shift.shiftToken, shift.shiftId)
        const orders = manifest.stops.flatMap((s) => s.orders)
        const kept = new Set(orders.filter((o) => o.intent).map((o) => o.orderId))
        devices.push({
          deviceId: device.deviceId,
          deviceToken: device.deviceToken,
          depotId: fixture.depotId,
          intents: orders.flatMap((o) =>
            o.intent ? [{ intentId: o.intent.intentId, amountFen: o.intent.amountFen }] : [],
          ),
          home: i % 2 === 0 ? 'A' : 'B',
          target: i % 2 === 0 ? 'A' : 'B',
          events: courierOutbox(
            new EventWriter(shift.shiftId),
            fixture.orders.filter((o) => !kept.has(o.orderId)),
            new Map(),
          ),
        })
      }
    }
    await Promise.all(Array.from({ length: 8 }, setUp))
    const total = devices.reduce((sum, d) => sum + d.events.length, 0)
    const deliveries = devices.reduce(
      (sum, d) => sum + d.events.filter((e) => e.type === 'delivery.completed' || e.type === 'delivery.failed').length,
      0,
    )
    context.log(
      `two instances on ${options.postgres.label}: ${devices.length} couriers logged in, ${total} events to push ` +
        `(${deliveries} deliveries), in ${((performance.now() - seeding) / 1000).toFixed(0)} s`,
    )
    for (const device of devices) await (device.home === 'A' ? streamsA : streamsB).open(device)

    // Phase 1: every device pushes the first share of its day through its own instance, while webhooks to A
    // pay orders of devices streaming from B.
    const tally = { applied: 0, duplicate: 0, rejected: 0, failovers: 0 }
    const onB = devices.filter((d) => d.home === 'B')
    // Round-robin over B's devices, so consecutive payments go to different couriers, as at real doors (a
    // courier's next payment is minutes away); one device's fifteen back to back would queue on its stream cursor.
    const unpaid = Array.from({ length: Math.max(0, ...onB.map((d) => d.intents.length)) }, (_, k) =>
      onB.flatMap((d) => (d.intents[k] ? [d.intents[k]] : [])),
    ).flat()
    const deviceOfIntent = new Map(onB.flatMap((d) => d.intents.map((i) => [i.intentId, d.deviceId] as const)))
    /** Webhooks at A, 20 a second, each timed to the `payment` message at B's device, until `stop()`. */
    const startPaying = () => {
      const fanout: number[] = []
      const traced: TracedPayment[] = []
      let paying = true
      const done = (async () => {
        while (paying && unpaid.length > 0) {
          const intent = unpaid.shift()!
          const sent = performance.now()
          const sentAt = Date.now()
          const arrived = new Promise<number>((resolve) => arrivals.set(intent.intentId, (at) => resolve(at - sent)))
          void postPaymentNotification(a.url, secret, intent).then(async (status) => {
            if (status !== 200) return
            const ms = await Promise.race([arrived, sleep(10_000).then(() => Number.NaN)])
            if (!Number.isFinite(ms)) return
            fanout.push(ms)
            traced.push({ deviceId: deviceOfIntent.get(intent.intentId)!, sentAt, receivedAt: sentAt + ms })
          })
          await sleep(50)
        }
      })()
      return {
        fanout,
        traced,
        stop: async () => {
          paying = false
          await done
          await sleep(1_000)
        },
      }
    }
    const reportFanout = (payments: ReturnType<typeof startPaying>, load: string, target: boolean): void => {
      context.figure({
        name: `webhook at A → device streaming from B (LISTEN/NOTIFY) ${load}, p50`,
        value: percentile(payments.fanout, 50),
        unit: 'ms',
        note: `${payments.fanout.length} payments at 20/s`,
      })
      context.figure({
        name: `webhook at A → device streaming from B (LISTEN/NOTIFY) ${load}, p95`,
        value: percentile(payments.fanout, 95),
        unit: 'ms',
        ...(target ? { target: { op: '<' as const, value: 100 } } : {}),
      })
      reportStages(context, payments.traced, a.output, b!.output, 'webhook at A → device on B')
    }

    // Warm-up: the first part of each device's day and a few payments, unmeasured. A fresh instance interprets
    // its code until the JIT has seen it run; one that has served a morning does not.
    const warmEnd = (d: BenchDevice): number => Math.floor(d.events.length * options.warmShare)
    const warming = startPaying()
    await Promise.all(devices.map((d) => pushRange(d, 0, warmEnd(d), apis, alive, tally)))
    await warming.stop()
    const warmed = tally.applied + tally.duplicate + tally.rejected

    const saturated = startPaying()
    await probe(a)
    await probe(b)
    const cpu = cpuMeter({
      PostgreSQL: postgresPids,
      A: () => [a.pid],
      B: () => [b!.pid],
      'load generator': () => [process.pid],
    })
    const machine = machineMeter()
    const started = performance.now()
    const firstEnd = (d: BenchDevice): number => Math.floor(d.events.length * options.firstShare)
    await Promise.all(devices.map((d) => pushRange(d, warmEnd(d), firstEnd(d), apis, alive, tally)))
    const seconds = (performance.now() - started) / 1000
    const used = cpu.stop()
    const cores = machine.stop()
    await saturated.stop()
    const [lagA, lagB] = [await probe(a), await probe(b)]
    const firstEvents = tally.applied + tally.duplicate + tally.rejected - warmed
    const rate = firstEvents / seconds
    context.figure({
      name: 'two instances on PostgreSQL: combined ingest',
      value: Math.round(rate),
      unit: 'events/s',
      target: { op: '>=', value: 5_000 },
      note: `${firstEvents} events from ${devices.length} devices at once (a batch of up to 200 each, the core's, after ${warmed} to warm up), half through each, in ${seconds.toFixed(1)} s; event-loop delay p99 A ${lagA.window.p99} ms, B ${lagB.window.p99} ms; load average ${loadavg()[0]!.toFixed(1)}`,
    })
    const perThousand = (cpuSeconds: number): string => ((cpuSeconds * 1000) / firstEvents).toFixed(3)
    context.log(
      `CPU meanwhile, in core-seconds per 1,000 events (of ${cpus().length} cores, ${seconds.toFixed(1)} s): ` +
        Object.entries(used)
          .map(
            ([name, cpuSeconds]) => `${name} ${perThousand(cpuSeconds)} (${(cpuSeconds / seconds).toFixed(2)} cores)`,
          )
          .join(', '),
    )
    const share = (x: number): string => `${Math.round(x * 100)}%`
    context.log(
      `the machine's ${cpus().length} cores meanwhile: busy ${share(cores.busy)}, idle ${share(cores.idle)}, ` +
        `taken by the hypervisor for other guests ${share(cores.stolen)}`,
    )
    // What the same processes would take on cores of their own: the CPU they used per event, not the time they got.
    const perEvent = Object.values(used).reduce((sum, cpuSeconds) => sum + cpuSeconds, 0) / firstEvents
    context.figure({
      name: 'two instances on PostgreSQL: combined ingest projected on two unshared cores',
      value: Math.round(cpus().length / perEvent),
      unit: 'events/s',
      note: `a projection, not a measurement: ${(perEvent * 1000).toFixed(3)} core-seconds per 1,000 events in all (PostgreSQL, both instances, the load generator), with nothing stolen and nothing idle`,
    })
    reportFanout(saturated, 'under that load', true)

    // Phase 1b: the same webhooks with ingest paced below saturation (devices back in coverage pushing 50 events
    // at a time, spread to ask for half that rate), which is where a fleet is sized to run; a saturated instance
    // queues everything.
    const pacedEnd = (d: BenchDevice): number => firstEnd(d) + Math.floor(d.events.length * options.pacedShare)
    const pacedEvents = devices.reduce((sum, d) => sum + pacedEnd(d) - firstEnd(d), 0)
    const pacedRate = rate / 2
    // Each device's pushes spread so that all of them together make `pacedRate`.
    const interval = (devices.length * 50 * 1000) / pacedRate
    const before = tally.applied + tally.duplicate + tally.rejected
    const paced = startPaying()
    await probe(a)
    const pacedStarted = performance.now()
    await Promise.all(
      devices.map(async (d) => {
        await sleep(Math.random() * interval)
        for (let at = firstEnd(d); at < pacedEnd(d); at += 50) {
          const next = performance.now() + interval
          await pushRange(d, at, Math.min(pacedEnd(d), at + 50), apis, alive, tally)
          await sleep(Math.max(0, next - performance.now()))
        }
      }),
    )
    const pacedSeconds = (performance.now() - pacedStarted) / 1000
    await paced.stop()
    const pacedLag = await probe(a)
    context.log(
      `paced ingest: ${tally.applied + tally.duplicate + tally.rejected - before} of ${pacedEvents} events in ${pacedSeconds.toFixed(1)} s ` +
        `(${Math.round((tally.applied + tally.duplicate + tally.rejected - before) / pacedSeconds)} events/s, asked ${Math.round(pacedRate)}), ` +
        `batches of 50; event-loop delay p99 A ${pacedLag.window.p99} ms`,
    )
    reportFanout(paced, 'with ingest paced below saturation', false)

    // Phase 2: the rest of the day, and B killed with -9 a second in; payments to B's devices keep coming.
    let paying = true
    const payer2 = (async () => {
      while (paying && unpaid.length > 0) {
        await postPaymentNotification(a.url, secret, unpaid.shift()!).catch(() => undefined)
        await sleep(50)
      }
    })()
    const killAt = performance.now()
    const rest = Promise.all(devices.map((d) => pushRange(d, pacedEnd(d), d.events.length, apis, alive, tally)))
    await sleep(1_000)
    alive.B = false
    await b.stop('SIGKILL')
    b = null
    const deadline = Date.now() + 120_000
    while (streamsB.connectedCount() < onB.length && Date.now() < deadline) await sleep(50)
    const streamsBack = (performance.now() - killAt - 1_000) / 1000
    await rest
    paying = false
    await payer2
    await sleep(2_000)

    // The database: every event once, every delivery once, every stream message read.
    const held = await database.db
      .selectFrom('device_events')
      .select((eb) => ['device_id', eb.fn.countAll<number>().as('n')])
      .groupBy('device_id')
      .execute()
    const byDevice = new Map(held.map((r) => [r.device_id, r]))
    let lost = 0
    let extra = 0
    for (const device of devices) {
      const row = byDevice.get(device.deviceId)
      const n = Number(row?.n ?? 0)
      lost += Math.max(0, device.events.length - n)
      extra += Math.max(0, n - device.events.length)
    }
    const attempts = Number(
      (
        await database.db
          .selectFrom('delivery_attempts')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where(
            'device_id',
            'in',
            devices.map((d) => d.deviceId),
          )
          .executeTakeFirstOrThrow()
      ).n,
    )
    const cursors = new Map(
      (await database.db.selectFrom('stream_cursors').select(['device_id', 'last_seq']).execute()).map((r) => [
        r.device_id,
        r.last_seq,
      ]),
    )
    let missed = 0
    for (const stream of [...streamsA.streams(), ...streamsB.streams()]) {
      missed += Math.max(0, (cursors.get(stream.device.deviceId) ?? 0) - stream.lastId) + stream.gaps
    }
    context.figure({
      name: 'instance B killed -9 mid-load: events lost',
      value: lost,
      unit: 'events',
      target: { op: '<', value: 1 },
      note: `${total} pushed; ${tally.duplicate} answered duplicate (re-sent after the kill), ${tally.rejected} rejected, ${tally.failovers} devices moved to A`,
    })
    context.figure({
      name: 'instance B killed -9 mid-load: applied twice',
      value: extra + Math.max(0, attempts - deliveries),
      unit: 'events',
      target: { op: '<', value: 1 },
      note: `${attempts} delivery attempts recorded for ${deliveries} deliveries pushed`,
    })
    context.figure({
      name: 'instance B killed -9: its streams back on A',
      value: streamsBack,
      unit: 's',
      note: `${onB.length} streams; ${missed} stream messages missed (checked against stream_cursors)`,
    })
  } finally {
    streamsA.close()
    streamsB.close()
    await database.close()
    await a.stop()
    await b?.stop()
    await dropSchema(options.postgres.url, schema.schema)
    rmSync(acquirerDir, { recursive: true, force: true })
  }
}
