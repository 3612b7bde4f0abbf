/**
 * A generated depot network for the dashboard benchmark: depots, supervisors, couriers with a device each,
 * routes with stops and orders, shifts, delivery attempts, digital intents and the acquirer's payments,
 * settlements, flags, rejected events, cash declarations and hand-ins, and the dashboard's summary tables as
 * ingest would have left them. Rows are written straight into a migrated database in bulk (SQLite: prepared
 * statements in large transactions; PostgreSQL: `unnest` arrays, thousands of rows a statement), because
 * replaying a million deliveries through HTTP would take hours and measure ingest, not the dashboard.
 *
 * Left out, since the dashboard never reads them: parcels, scan events (their times are in
 * `dashboard_order_times`), stream messages and notifications.
 */
import Database from 'better-sqlite3'
import pg from 'pg'
import { hashSecret } from '../backend/auth/secrets'
import { hashToken } from '../backend/auth/tokens'
import { instantOf } from '../backend/dashboard/clock'
import { openBackendDb } from '../backend/db/connect'
import { migrateToLatest } from '../backend/db/migrate'
import { FailureReason } from '../shared/api/events'

export interface DatasetSize {
  depots: number
  couriersPerDepot: number
  /** Route days, the first being `firstDay`. */
  days: number
  ordersPerRoute: number
  firstDay: string
}

/**
 * 50 depots × 40 couriers × 4 days × 135 orders = 1,080,000 delivery attempts, of which about 1,004,000 are
 * delivered (7% fail): a million deliveries.
 */
export const MILLION: DatasetSize = {
  depots: 50,
  couriersPerDepot: 40,
  days: 4,
  ordersPerRoute: 135,
  firstDay: '2026-03-02',
}

export const BENCH_PASSWORD = 'bench-supervisor'
const TIME_ZONE = 'Asia/Shanghai'
const AMOUNTS = [6660, 19900, 3580, 12800, 8990, 25800, 1990, 4650, 31200, 990, 5600, 7800, 15990, 2880]

type Value = string | number | null

interface TableSpec {
  name: string
  /** Column name and its PostgreSQL type, for `unnest` arrays. */
  columns: [string, 'text' | 'int8' | 'int4'][]
}

const t = (name: string, ...columns: [string, 'text' | 'int8' | 'int4'][]): TableSpec => ({ name, columns })
const TABLES = {
  depots: t(
    'depots',
    ['id', 'text'],
    ['name', 'text'],
    ['city', 'text'],
    ['district', 'text'],
    ['time_zone', 'text'],
    ['merchant_name', 'text'],
    ['merchant_city', 'text'],
    ['unverified_per_order_fen', 'int8'],
    ['unverified_per_shift_fen', 'int8'],
    ['created_at', 'text'],
  ),
  supervisors: t(
    'supervisors',
    ['id', 'text'],
    ['depot_id', 'text'],
    ['login', 'text'],
    ['name', 'text'],
    ['password_hash', 'text'],
    ['failed_logins', 'int4'],
    ['created_at', 'text'],
  ),
  couriers: t(
    'couriers',
    ['id', 'text'],
    ['depot_id', 'text'],
    ['staff_id', 'text'],
    ['name', 'text'],
    ['pin_hash', 'text'],
    ['failed_pins', 'int4'],
    ['created_at', 'text'],
  ),
  devices: t(
    'devices',
    ['id', 'text'],
    ['depot_id', 'text'],
    ['label', 'text'],
    ['token_hash', 'text'],
    ['enrolled_at', 'text'],
    ['acked_seq', 'int8'],
    ['pending_count', 'int4'],
    ['oldest_pending_at', 'text'],
    ['app_version', 'text'],
    ['last_sync_at', 'text'],
    ['heartbeat_sent_at', 'text'],
    ['last_contact_ms', 'int8'],
  ),
  routes: t(
    'routes',
    ['id', 'text'],
    ['depot_id', 'text'],
    ['courier_id', 'text'],
    ['route_date', 'text'],
    ['version', 'int4'],
    ['created_at', 'text'],
  ),
  stops: t('stops', ['id', 'text'], ['route_id', 'text'], ['sequence', 'int4'], ['address', 'text']),
  orders: t(
    'orders',
    ['id', 'text'],
    ['depot_id', 'text'],
    ['route_id', 'text'],
    ['stop_id', 'text'],
    ['position', 'int4'],
    ['courier_id', 'text'],
    ['route_date', 'text'],
    ['waybill', 'text'],
    ['cod_fen', 'int8'],
    ['recipient_name', 'text'],
    ['recipient_phone', 'text'],
    ['address', 'text'],
    ['status', 'text'],
    ['attempt', 'int4'],
    ['intent_attempts', 'int4'],
    ['delivered_method', 'text'],
    ['collected_cash_fen', 'int8'],
    ['closed_at', 'text'],
    ['closed_ms', 'int8'],
    ['failure_reason', 'text'],
  ),
  shifts: t(
    'shifts',
    ['id', 'text'],
    ['depot_id', 'text'],
    ['courier_id', 'text'],
    ['device_id', 'text'],
    ['route_id', 'text'],
    ['route_date', 'text'],
    ['token_hash', 'text'],
    ['started_at', 'text'],
    ['started_ms', 'int8'],
    ['expires_ms', 'int8'],
    ['ended_ms', 'int8'],
  ),
  intents: t(
    'payment_intents',
    ['id', 'text'],
    ['order_id', 'text'],
    ['depot_id', 'text'],
    ['attempt', 'int4'],
    ['acquirer_key', 'text'],
    ['amount_fen', 'int8'],
    ['qr_payload', 'text'],
    ['status', 'text'],
    ['expires_at', 'text'],
    ['expires_ms', 'int8'],
    ['paid_at', 'text'],
    ['transaction_id', 'text'],
    ['device_id', 'text'],
    ['created_at', 'text'],
    ['final_state', 'text'],
    ['final_ms', 'int8'],
  ),
  payments: t(
    'payments',
    ['transaction_id', 'text'],
    ['intent_id', 'text'],
    ['order_id', 'text'],
    ['depot_id', 'text'],
    ['amount_fen', 'int8'],
    ['paid_at', 'text'],
    ['paid_ms', 'int8'],
    ['outcome', 'text'],
    ['source', 'text'],
    ['recorded_ms', 'int8'],
  ),
  attempts: t(
    'delivery_attempts',
    ['order_id', 'text'],
    ['attempt', 'int4'],
    ['outcome', 'text'],
    ['method', 'text'],
    ['due_fen', 'int8'],
    ['collected_fen', 'int8'],
    ['intent_id', 'text'],
    ['failure_reason', 'text'],
    ['occurred_at', 'text'],
    ['occurred_ms', 'int8'],
    ['device_id', 'text'],
    ['shift_id', 'text'],
    ['seq', 'int8'],
  ),
  settlements: t(
    'settlements',
    ['id', 'text'],
    ['intent_id', 'text'],
    ['order_id', 'text'],
    ['device_id', 'text'],
    ['shift_id', 'text'],
    ['depot_id', 'text'],
    ['claimed_fen', 'int8'],
    ['kind', 'text'],
    ['status', 'text'],
    ['transaction_id', 'text'],
    ['attempts', 'int4'],
    ['next_attempt_ms', 'int8'],
    ['created_ms', 'int8'],
    ['settled_ms', 'int8'],
  ),
  flags: t(
    'flags',
    ['id', 'text'],
    ['depot_id', 'text'],
    ['order_id', 'text'],
    ['kind', 'text'],
    ['intent_id', 'text'],
    ['transaction_id', 'text'],
    ['amount_fen', 'int8'],
    ['dedupe_key', 'text'],
    ['note', 'text'],
    ['created_ms', 'int8'],
    ['resolved_ms', 'int8'],
  ),
  events: t(
    'device_events',
    ['device_id', 'text'],
    ['seq', 'int8'],
    ['event_id', 'text'],
    ['shift_id', 'text'],
    ['type', 'text'],
    ['order_id', 'text'],
    ['payload', 'text'],
    ['occurred_at', 'text'],
    ['occurred_ms', 'int8'],
    ['received_ms', 'int8'],
    ['status', 'text'],
    ['reason', 'text'],
  ),
  declarations: t(
    'cash_declarations',
    ['device_id', 'text'],
    ['seq', 'int8'],
    ['shift_id', 'text'],
    ['courier_id', 'text'],
    ['depot_id', 'text'],
    ['declared_fen', 'int8'],
    ['declared_at', 'text'],
    ['declared_ms', 'int8'],
  ),
  courierDays: t(
    'dashboard_courier_days',
    ['depot_id', 'text'],
    ['route_date', 'text'],
    ['courier_id', 'text'],
    ['delivered', 'int4'],
    ['failed', 'int4'],
    ['digital_count', 'int4'],
    ['digital_fen', 'int8'],
    ['digital_awaiting_count', 'int4'],
    ['digital_awaiting_fen', 'int8'],
    ['cash_count', 'int4'],
    ['cash_fen', 'int8'],
    ['prepaid_count', 'int4'],
    ['declared_fen', 'int8'],
    ['declared_at', 'text'],
    ['declared_ms', 'int8'],
    ['first_action_ms', 'int8'],
    ['last_action_ms', 'int8'],
  ),
  failures: t(
    'dashboard_failures',
    ['depot_id', 'text'],
    ['route_date', 'text'],
    ['courier_id', 'text'],
    ['reason', 'text'],
    ['failed', 'int4'],
  ),
  orderTimes: t(
    'dashboard_order_times',
    ['order_id', 'text'],
    ['depot_id', 'text'],
    ['route_date', 'text'],
    ['courier_id', 'text'],
    ['stop_id', 'text'],
    ['first_scan_ms', 'int8'],
    ['closed_ms', 'int8'],
    ['outcome', 'text'],
  ),
  rejections: t(
    'dashboard_rejections',
    ['device_id', 'text'],
    ['seq', 'int8'],
    ['depot_id', 'text'],
    ['route_date', 'text'],
    ['courier_id', 'text'],
    ['event_id', 'text'],
    ['type', 'text'],
    ['order_id', 'text'],
    ['reason', 'text'],
    ['occurred_at', 'text'],
    ['occurred_ms', 'int8'],
    ['received_ms', 'int8'],
  ),
  handins: t(
    'cash_handins',
    ['depot_id', 'text'],
    ['route_date', 'text'],
    ['courier_id', 'text'],
    ['received_fen', 'int8'],
    ['note', 'text'],
    ['version', 'int4'],
    ['recorded_by', 'text'],
    ['recorded_ms', 'int8'],
  ),
  audit: t(
    'depot_audit',
    ['id', 'text'],
    ['depot_id', 'text'],
    ['route_date', 'text'],
    ['subject', 'text'],
    ['courier_id', 'text'],
    ['supervisor_id', 'text'],
    ['action', 'text'],
    ['previous_fen', 'int8'],
    ['amount_fen', 'int8'],
    ['expected_fen', 'int8'],
    ['declared_fen', 'int8'],
    ['note', 'text'],
    ['at_ms', 'int8'],
  ),
} as const

type TableName = keyof typeof TABLES

/** Where rows go: `add` buffers and writes in bulk, `finish` writes what is left and analyses the tables. */
interface RowSink {
  add(table: TableName, row: Value[]): Promise<void>
  finish(): Promise<void>
}

/** Rows buffered per table before a write. */
const BUFFER = 5_000

function sqliteSink(file: string): RowSink {
  const db = new Database(file)
  db.pragma('journal_mode = WAL')
  // The dataset is rebuilt if the load dies half-way, so bulk loading needs no fsync per transaction.
  db.pragma('synchronous = OFF')
  db.pragma('foreign_keys = OFF')
  const statements = new Map<TableName, Database.Statement>()
  const buffers = new Map<TableName, Value[][]>()
  const statementOf = (table: TableName): Database.Statement => {
    let statement = statements.get(table)
    if (!statement) {
      const spec = TABLES[table]
      statement = db.prepare(
        `insert into ${spec.name} (${spec.columns.map(([c]) => c).join(', ')}) values (${spec.columns.map(() => '?').join(', ')})`,
      )
      statements.set(table, statement)
    }
    return statement
  }
  const flush = db.transaction((table: TableName, rows: Value[][]) => {
    const statement = statementOf(table)
    for (const row of rows) statement.run(row)
  })
  return {
    add(table, row) {
      let buffer = buffers.get(table)
      if (!buffer) buffers.set(table, (buffer = []))
      buffer.push(row)
      if (buffer.length >= BUFFER * 4) {
        flush(table, buffer)
        buffer.length = 0
      }
      return Promise.resolve()
    },
    finish() {
      for (const [table, rows] of buffers) if (rows.length > 0) flush(table, rows)
      db.exec('analyze')
      db.pragma('synchronous = FULL')
      db.close()
      return Promise.resolve()
    },
  }
}

function postgresSink(client: pg.Client): RowSink {
  const buffers = new Map<TableName, Value[][]>()
  const write = async (table: TableName, rows: Value[][]): Promise<void> => {
    const spec = TABLES[table]
    const arrays = spec.columns.map((_, i) => rows.map((row) => row[i] ?? null))
    const text = `insert into ${spec.name} (${spec.columns.map(([c]) => c).join(', ')}) select * from unnest(${spec.columns
      .map(([, type], i) => `$${i + 1}::${type}[]`)
      .join(', ')})`
    await client.query(text, arrays)
  }
  // PostgreSQL checks foreign keys row by row: every buffer is written, in the order the tables depend on each
  // other (TABLES' order), whenever one fills.
  const flushAll = async (): Promise<void> => {
    for (const table of Object.keys(TABLES) as TableName[]) {
      const buffer = buffers.get(table)
      if (buffer && buffer.length > 0) await write(table, buffer.splice(0))
    }
  }
  return {
    async add(table, row) {
      let buffer = buffers.get(table)
      if (!buffer) buffers.set(table, (buffer = []))
      buffer.push(row)
      if (buffer.length >= BUFFER) await flushAll()
    },
    async finish() {
      await flushAll()
    },
  }
}

/** A small deterministic generator (mulberry32), so a dataset of a size is the same every time. */
function generator(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let x = state
    x = Math.imul(x ^ (x >>> 15), x | 1)
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61)
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296
  }
}

const pad = (n: number, width: number): string => String(n).padStart(width, '0')
const dayOf = (first: string, offset: number): string =>
  new Date(Date.parse(`${first}T00:00:00Z`) + offset * 86_400_000).toISOString().slice(0, 10)

export interface GeneratedDataset {
  /** Orders delivered. */
  deliveries: number
  /** Delivery attempts: delivered and failed. */
  attempts: number
  rows: number
  depotIds: string[]
  days: string[]
  /** Supervisor logins by depot (password `BENCH_PASSWORD`). */
  supervisors: Map<string, string>
  /** What the dataset adds up to per depot and day, for checks. */
  expected: Map<string, { delivered: number; failed: number; cashFen: number; digitalFen: number }>
}

/**
 * Generates the dataset into a database target (a SQLite file path or a `postgres://…?schema=…` URL), which
 * is migrated first and must be empty.
 */
export async function generateDataset(target: string, size: DatasetSize): Promise<GeneratedDataset> {
  const backend = openBackendDb(target)
  await migrateToLatest(backend)
  const postgres = backend.postgres
  await backend.close()

  let client: pg.Client | null = null
  let sink: RowSink
  if (postgres) {
    client = new pg.Client(postgres.config)
    await client.connect()
    await client.query('begin')
    sink = postgresSink(client)
  } else {
    sink = sqliteSink(target)
  }

  const random = generator(20_260_302)
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!
  const passwordHash = await hashSecret(BENCH_PASSWORD)
  const pinHash = await hashSecret('1234')
  const created = new Date(Date.parse(`${size.firstDay}T00:00:00+08:00`) - 86_400_000).toISOString()
  const days = Array.from({ length: size.days }, (_, i) => dayOf(size.firstDay, i))
  const supervisors = new Map<string, string>()
  const expected: GeneratedDataset['expected'] = new Map()
  const depotIds: string[] = []
  let rows = 0
  let deliveries = 0
  let orderNumber = 0
  const add = async (table: TableName, row: Value[]): Promise<void> => {
    rows++
    await sink.add(table, row)
  }

  try {
    for (let d = 1; d <= size.depots; d++) {
      const depotId = `dep_Bench${pad(d, 4)}`
      depotIds.push(depotId)
      await add('depots', [
        depotId,
        `京东物流苏州第${d}营业部`,
        '苏州',
        '相城区',
        TIME_ZONE,
        'JD Logistics Suzhou',
        'Suzhou',
        50_000,
        200_000,
        created,
      ])
      const supervisorId = `sup_Bench${pad(d, 4)}`
      const login = `bench.${pad(d, 4)}`
      supervisors.set(depotId, login)
      await add('supervisors', [supervisorId, depotId, login, `主管${d}`, passwordHash, 0, created])

      for (let c = 1; c <= size.couriersPerDepot; c++) {
        const courierId = `cou_B${pad(d, 3)}${pad(c, 4)}`
        const deviceId = `dev_B${pad(d, 3)}${pad(c, 4)}`
        await add('couriers', [
          courierId,
          depotId,
          `BN${pad(d, 3)}${pad(c, 4)}`,
          `快递员${d}-${c}`,
          pinHash,
          0,
          created,
        ])
        let seq = 0
        const lastDay = days.at(-1)!
        const lastContact = instantOf(lastDay, 17, TIME_ZONE) + Math.floor(random() * 3_600_000)
        const pending = random() < 0.1 ? 1 + Math.floor(random() * 40) : 0
        await add('devices', [
          deviceId,
          depotId,
          `Handheld ${d}-${c}`,
          hashToken(`bench device ${deviceId}`),
          created,
          0,
          pending,
          pending ? new Date(lastContact - Math.floor(random() * 3_600_000)).toISOString() : null,
          '0.1.0',
          new Date(lastContact).toISOString(),
          new Date(lastContact).toISOString(),
          lastContact,
        ])

        for (const [dayIndex, day] of days.entries()) {
          const routeId = `rte_B${pad(d, 3)}${pad(c, 4)}D${dayIndex}`
          const shiftId = `shf_B${pad(d, 3)}${pad(c, 4)}D${dayIndex}`
          const start = instantOf(day, 8, TIME_ZONE) + Math.floor(random() * 30 * 60_000)
          await add('routes', [routeId, depotId, courierId, day, 1, created])
          await add('shifts', [
            shiftId,
            depotId,
            courierId,
            deviceId,
            routeId,
            day,
            hashToken(`bench shift ${shiftId}`),
            new Date(start - 600_000).toISOString(),
            start - 600_000,
            start + 14 * 3_600_000,
            dayIndex < days.length - 1 ? start + 13 * 3_600_000 : null,
          ])
          const day_ = {
            delivered: 0,
            failed: 0,
            digital: 0,
            digitalFen: 0,
            awaiting: 0,
            awaitingFen: 0,
            cash: 0,
            cashFen: 0,
            prepaid: 0,
            first: Number.MAX_SAFE_INTEGER,
            last: 0,
          }
          const failures = new Map<string, number>()
          let clock = start
          let stop = 0
          let stopId = ''
          for (let o = 1; o <= size.ordersPerRoute; o++) {
            // About one stop in seven has two orders.
            if (o === 1 || random() > 0.14) {
              stop++
              stopId = `stp_B${pad(d, 3)}${pad(c, 4)}D${dayIndex}S${pad(stop, 3)}`
              await add('stops', [stopId, routeId, stop, `苏州市相城区元和街道嘉元路${stop}号`])
              clock += 90_000 + Math.floor(random() * 180_000)
            }
            orderNumber++
            const orderId = `ord_B${pad(orderNumber, 8)}`
            const cod = random() < 0.6 ? pick(AMOUNTS) : 0
            const scanned = clock + Math.floor(random() * 20_000)
            const closed = scanned + 30_000 + Math.floor(random() * 150_000)
            clock = closed
            day_.first = Math.min(day_.first, scanned)
            day_.last = Math.max(day_.last, closed)
            const failed = random() < 0.07
            const reason = failed ? pick(FailureReason.options) : null
            const method = failed ? null : cod === 0 ? 'prepaid' : random() < 0.65 ? 'digital' : 'cash'
            const closedAt = new Date(closed).toISOString()
            seq++
            await add('orders', [
              orderId,
              depotId,
              routeId,
              stopId,
              o,
              courierId,
              day,
              `JDVB${pad(orderNumber, 11)}`,
              cod,
              '吴磊',
              '13812345678',
              `苏州市相城区元和街道嘉元路${stop}号`,
              failed ? 'failed' : 'delivered',
              1,
              method === 'digital' ? 1 : 0,
              method,
              method === 'cash' ? cod : 0,
              closedAt,
              closed,
              reason,
            ])
            let intentId: string | null = null
            if (method === 'digital') {
              intentId = `pi_B${pad(orderNumber, 8)}`
              const awaiting = random() < 0.02
              const transactionId = awaiting ? null : `tx_B${pad(orderNumber, 8)}`
              const paidMs = closed - 20_000
              await add('intents', [
                intentId,
                orderId,
                depotId,
                1,
                `cod:${orderId}:1`,
                cod,
                '000201',
                awaiting ? 'pending' : 'paid',
                new Date(start + 12 * 3_600_000).toISOString(),
                start + 12 * 3_600_000,
                awaiting ? null : new Date(paidMs).toISOString(),
                transactionId,
                deviceId,
                new Date(start - 600_000).toISOString(),
                // Days old, so the reconciliation worker settled each long ago: paid, or expired unpaid.
                awaiting ? 'expired' : 'paid',
                awaiting ? start + 12 * 3_600_000 : paidMs,
              ])
              if (transactionId) {
                await add('payments', [
                  transactionId,
                  intentId,
                  orderId,
                  depotId,
                  cod,
                  new Date(paidMs).toISOString(),
                  paidMs,
                  'succeeded',
                  'notification',
                  paidMs + 300,
                ])
                day_.digital++
                day_.digitalFen += cod
              } else {
                // "Paid, to be verified": the acquirer has not confirmed it; the depot sees it waiting.
                day_.digital++
                day_.awaiting++
                day_.awaitingFen += cod
                await add('settlements', [
                  `stl_B${pad(orderNumber, 8)}`,
                  intentId,
                  orderId,
                  deviceId,
                  shiftId,
                  depotId,
                  cod,
                  'unverified',
                  random() < 0.5 ? 'pending' : 'not_found',
                  null,
                  1,
                  closed + 60_000,
                  closed + 5_000,
                  null,
                ])
              }
            }
            await add('attempts', [
              orderId,
              1,
              failed ? 'failed' : 'delivered',
              method,
              cod,
              method === 'cash' || method === 'digital' ? cod : 0,
              intentId,
              reason,
              closedAt,
              closed,
              deviceId,
              shiftId,
              seq,
            ])
            await add('orderTimes', [
              orderId,
              depotId,
              day,
              courierId,
              stopId,
              scanned,
              closed,
              failed ? 'failed' : 'delivered',
            ])
            if (failed) {
              day_.failed++
              failures.set(reason!, (failures.get(reason!) ?? 0) + 1)
            } else {
              deliveries++
              day_.delivered++
              if (method === 'cash') {
                day_.cash++
                day_.cashFen += cod
              } else if (method === 'prepaid') {
                day_.prepaid++
              }
            }
            // A late payment after cash, now and then: a refund for the depot to make.
            if (method === 'cash' && random() < 0.004) {
              await add('flags', [
                `flg_B${pad(orderNumber, 8)}`,
                depotId,
                orderId,
                'late_payment_after_cash',
                null,
                `tx_L${pad(orderNumber, 8)}`,
                cod,
                `tx_L${pad(orderNumber, 8)}`,
                'paid digitally after cash was taken',
                closed + 120_000,
                random() < 0.5 ? closed + 3_600_000 : null,
              ])
            }
            // An event refused on business grounds (a scan of an order reassigned away), now and then.
            if (random() < 0.005) {
              seq++
              const eventId = `00000000-0000-4000-8000-${pad(orderNumber, 12)}`
              await add('events', [
                deviceId,
                seq,
                eventId,
                shiftId,
                'delivery.completed',
                orderId,
                '{}',
                closedAt,
                closed,
                closed + 5_000,
                'rejected',
                'delivery.already_recorded',
              ])
              await add('rejections', [
                deviceId,
                seq,
                depotId,
                day,
                courierId,
                eventId,
                'delivery.completed',
                orderId,
                'delivery.already_recorded',
                closedAt,
                closed,
                closed + 5_000,
              ])
            }
          }
          seq++
          const declaredFen = day_.cashFen - (random() < 0.1 ? 1000 : 0)
          const declaredMs = day_.last + 600_000
          await add('declarations', [
            deviceId,
            seq,
            shiftId,
            courierId,
            depotId,
            declaredFen,
            new Date(declaredMs).toISOString(),
            declaredMs,
          ])
          await add('courierDays', [
            depotId,
            day,
            courierId,
            day_.delivered,
            day_.failed,
            day_.digital,
            day_.digitalFen,
            day_.awaiting,
            day_.awaitingFen,
            day_.cash,
            day_.cashFen,
            day_.prepaid,
            declaredFen,
            new Date(declaredMs).toISOString(),
            declaredMs,
            day_.first,
            day_.last,
          ])
          for (const [reason, count] of failures) await add('failures', [depotId, day, courierId, reason, count])
          // Past days are reconciled: the supervisor recorded the cash received, with the audit entry.
          if (dayIndex < days.length - 1) {
            const received = declaredFen
            await add('handins', [
              depotId,
              day,
              courierId,
              received,
              received === day_.cashFen ? null : '少交，次日补交',
              1,
              supervisorId,
              declaredMs + 1_800_000,
            ])
            await add('audit', [
              `aud_B${pad(d, 3)}${pad(c, 4)}D${dayIndex}`,
              depotId,
              day,
              'cash',
              courierId,
              supervisorId,
              'recorded',
              null,
              received,
              day_.cashFen,
              declaredFen,
              received === day_.cashFen ? null : '少交，次日补交',
              declaredMs + 1_800_000,
            ])
          }
          const key = `${depotId}|${day}`
          const sum = expected.get(key) ?? { delivered: 0, failed: 0, cashFen: 0, digitalFen: 0 }
          sum.delivered += day_.delivered
          sum.failed += day_.failed
          sum.cashFen += day_.cashFen
          sum.digitalFen += day_.digitalFen
          expected.set(key, sum)
        }
      }
    }
    await sink.finish()
    // Each device has acknowledged through its last event: the highest sequence of its attempts and events.
    const ackSql = `update devices set acked_seq = coalesce((select max(seq) from cash_declarations where cash_declarations.device_id = devices.id), 0)`
    if (client) {
      await client.query(ackSql)
      await client.query('commit')
      // As autovacuum would leave a database in use: statistics for the planner, and the visibility map that
      // lets index-only scans skip the table.
      await client.query('vacuum analyze')
    } else {
      const db = new Database(target)
      db.exec(ackSql)
      db.close()
    }
  } catch (error) {
    if (client) await client.query('rollback').catch(() => undefined)
    throw error
  } finally {
    await client?.end()
  }
  return { deliveries, attempts: orderNumber, rows, depotIds, days, supervisors, expected }
}
