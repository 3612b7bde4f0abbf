/**
 * The device core alone in a process of its own, driven over stdin/stdout, so a test can SIGKILL it at any
 * instant and start it again on the same data folder (`core-process.ts` is the other end). It is the real core
 * (`createDeviceCore`): the same database, outbox and sync engine as in Electron or the browser host.
 *
 * In: one JSON object a line, `{ id, channel, request }` (an IPC call, validated like any other) or `{ id, op }`.
 * Out: one JSON object a line: `ready`, `reply`, and what the sync engine does: `push` when a batch leaves,
 * `answer` when its answer arrives (before the core settles it), `sync` for every status it publishes, `charge` for
 * every change of a charge of a customer's code the screen is told of.
 */
import { createInterface } from 'node:readline'
import { parseArgs } from 'node:util'
import { createDeviceCore } from '../../src-main/core'
import { createIpcDispatcher } from '../../src-main/core/ipc'
import type { SyncTimings } from '../../src-main/core/sync/engine'

interface ChildOptions {
  sync?: Partial<SyncTimings>
  /** How far the device's clock is off real time, e.g. -3 h for a clock that is behind. */
  clockOffsetMs?: number
}

const { values } = parseArgs({
  options: { data: { type: 'string' }, backend: { type: 'string' }, options: { type: 'string', default: '{}' } },
})
const options = JSON.parse(values.options) as ChildOptions
const offset = options.clockOffsetMs ?? 0
const say = (line: Record<string, unknown>): void => {
  process.stdout.write(`${JSON.stringify(line)}\n`)
}

/** The real fetch, reporting each event push as it leaves and as its answer comes back. */
const reportingFetch: typeof fetch = async (input, init) => {
  const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url
  if (init?.method !== 'POST' || !url.endsWith('/events') || typeof init.body !== 'string') return fetch(input, init)
  const events = (JSON.parse(init.body) as { events: { seq: number }[] }).events
  const range = { first: events[0]?.seq ?? 0, last: events.at(-1)?.seq ?? 0 }
  say({ t: 'push', ...range, at: Date.now() })
  try {
    const res = await fetch(input, init)
    say({ t: 'answer', ...range, status: res.status, at: Date.now() })
    return res
  } catch (error) {
    say({ t: 'answer', ...range, status: 0, at: Date.now() })
    throw error
  }
}

const core = createDeviceCore({
  dataDir: values.data!,
  backendUrl: values.backend,
  host: 'browser',
  version: '0.0.0-core-process',
  fetch: reportingFetch,
  now: () => new Date(Date.now() + offset),
  sync: options.sync,
})
const dispatch = createIpcDispatcher(core.handlers)
core.events.on('syncStatus', (status) => say({ t: 'sync', ...status }))
core.events.on('chargeUpdated', (view) =>
  say({ t: 'charge', orderId: view.orderId, state: view.state, at: Date.now() }),
)

/**
 * A courier's round written while offline, through the real handlers: every parcel of the route scanned, prepaid
 * orders completed by the scan, COD orders alternately failed and taken in cash; then refused scans (one event
 * each) until exactly `total` events wait in the outbox.
 */
async function workload(total: number): Promise<{ pending: number; deliveries: number }> {
  const pending = (): number => core.sync.status().pending
  const route = await core.handlers.getRoute({})
  let deliveries = 0
  let n = 0
  for (const order of route.stops.flatMap((stop) => stop.orders)) {
    const full = await core.handlers.getOrder({ orderId: order.orderId })
    if (full.status !== 'pending') continue
    if (pending() + full.parcels.length + 3 > total) break
    for (const parcel of full.parcels) await core.handlers.scanBarcode({ code: parcel.barcode, source: 'wedge' })
    if (full.codFen > 0) {
      if (n++ % 2 === 0) {
        await core.handlers.recordFailure({ orderId: order.orderId, reason: 'not_home' })
      } else {
        await core.handlers.startCash({ orderId: order.orderId })
        await core.handlers.recordCash({ orderId: order.orderId, takenFen: full.codFen })
      }
    }
    deliveries++
  }
  for (let i = 0; pending() < total; i++) {
    await core.handlers.scanBarcode({ code: `JDVA${String(90_000_000_000 + i)}-1-1-`, source: 'manual' })
  }
  return { pending: pending(), deliveries }
}

const ops: Record<string, (args: Record<string, unknown>) => Promise<unknown>> = {
  workload: (args) => workload(Number(args.total)),
  memory: () => {
    global.gc?.()
    return Promise.resolve(process.memoryUsage())
  },
  close: () => {
    core.close()
    setImmediate(() => process.exit(0))
    return Promise.resolve({})
  },
}

createInterface({ input: process.stdin }).on('line', (line) => {
  const message = JSON.parse(line) as { id: number; channel?: string; request?: unknown; op?: string }
  const run = message.op
    ? (ops[message.op]?.(message as Record<string, unknown>) ?? Promise.reject(new Error(`no op ${message.op}`))).then(
        (value) => ({ ok: true, value }),
        (error: unknown) => ({ ok: false, error: { code: 'op', message: String(error) } }),
      )
    : dispatch(message.channel ?? '', message.request)
  void run.then((result) => say({ t: 'reply', id: message.id, result }))
})
say({ t: 'ready', pid: process.pid })
