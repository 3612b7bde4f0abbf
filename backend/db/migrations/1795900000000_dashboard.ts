import { sql, type Kysely, type Migration } from 'kysely'

/**
 * The depot dashboard's summary tables, kept up to date by event ingest and payment recording in the same
 * transaction as the facts they summarise, plus the cash hand-ins supervisors record and their audit trail,
 * and the indexes that key the dashboard's reads by depot and day. A database that already holds events is
 * backfilled from the base tables, so its summaries start right.
 */
export const dashboard: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    // One row per courier and route day: counters that only ever move by what one event or payment adds.
    await db.schema
      .createTable('dashboard_courier_days')
      .addColumn('depot_id', 'text', (c) => c.notNull())
      .addColumn('route_date', 'text', (c) => c.notNull())
      .addColumn('courier_id', 'text', (c) => c.notNull())
      .addColumn('delivered', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('failed', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('digital_count', 'integer', (c) => c.notNull().defaultTo(0))
      // Confirmed by the acquirer; what the device claimed but the acquirer has not confirmed is "awaiting".
      .addColumn('digital_fen', 'bigint', (c) => c.notNull().defaultTo(0))
      .addColumn('digital_awaiting_count', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('digital_awaiting_fen', 'bigint', (c) => c.notNull().defaultTo(0))
      .addColumn('cash_count', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('cash_fen', 'bigint', (c) => c.notNull().defaultTo(0))
      .addColumn('prepaid_count', 'integer', (c) => c.notNull().defaultTo(0))
      // The courier's latest cash declaration of the day, by the courier's clock.
      .addColumn('declared_fen', 'bigint')
      .addColumn('declared_at', 'text')
      .addColumn('declared_ms', 'bigint')
      .addColumn('first_action_ms', 'bigint')
      .addColumn('last_action_ms', 'bigint')
      .addPrimaryKeyConstraint('dashboard_courier_days_pk', ['depot_id', 'route_date', 'courier_id'])
      .execute()

    await db.schema
      .createTable('dashboard_failures')
      .addColumn('depot_id', 'text', (c) => c.notNull())
      .addColumn('route_date', 'text', (c) => c.notNull())
      .addColumn('courier_id', 'text', (c) => c.notNull())
      .addColumn('reason', 'text', (c) => c.notNull())
      .addColumn('failed', 'integer', (c) => c.notNull().defaultTo(0))
      .addPrimaryKeyConstraint('dashboard_failures_pk', ['depot_id', 'route_date', 'courier_id', 'reason'])
      .execute()

    // One row per order the courier touched: its first scan and its close, for stop times and hourly rates.
    await db.schema
      .createTable('dashboard_order_times')
      .addColumn('order_id', 'text', (c) => c.primaryKey())
      .addColumn('depot_id', 'text', (c) => c.notNull())
      .addColumn('route_date', 'text', (c) => c.notNull())
      .addColumn('courier_id', 'text', (c) => c.notNull())
      .addColumn('stop_id', 'text', (c) => c.notNull())
      .addColumn('first_scan_ms', 'bigint')
      .addColumn('closed_ms', 'bigint')
      // delivered | failed, once closed
      .addColumn('outcome', 'text')
      .execute()
    await db.schema
      .createIndex('dashboard_order_times_day')
      .on('dashboard_order_times')
      .columns(['depot_id', 'route_date', 'courier_id'])
      .execute()

    // Events refused on business grounds, keyed by depot and day (device_events is keyed by device).
    await db.schema
      .createTable('dashboard_rejections')
      .addColumn('device_id', 'text', (c) => c.notNull())
      .addColumn('seq', 'bigint', (c) => c.notNull())
      .addColumn('depot_id', 'text', (c) => c.notNull())
      .addColumn('route_date', 'text', (c) => c.notNull())
      .addColumn('courier_id', 'text')
      .addColumn('event_id', 'text', (c) => c.notNull())
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('order_id', 'text')
      .addColumn('reason', 'text', (c) => c.notNull())
      .addColumn('occurred_at', 'text', (c) => c.notNull())
      .addColumn('occurred_ms', 'bigint', (c) => c.notNull())
      .addColumn('received_ms', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('dashboard_rejections_pk', ['device_id', 'seq'])
      .execute()
    await db.schema
      .createIndex('dashboard_rejections_day')
      .on('dashboard_rejections')
      .columns(['depot_id', 'route_date', 'occurred_ms'])
      .execute()

    // What a supervisor received from a courier for a day; `version` guards against overwriting unseen.
    await db.schema
      .createTable('cash_handins')
      .addColumn('depot_id', 'text', (c) => c.notNull())
      .addColumn('route_date', 'text', (c) => c.notNull())
      .addColumn('courier_id', 'text', (c) => c.notNull())
      .addColumn('received_fen', 'bigint', (c) => c.notNull())
      .addColumn('note', 'text')
      .addColumn('version', 'integer', (c) => c.notNull())
      .addColumn('recorded_by', 'text', (c) => c.notNull())
      .addColumn('recorded_ms', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('cash_handins_pk', ['depot_id', 'route_date', 'courier_id'])
      .execute()

    // Every change a supervisor makes, with who and when; rows are only ever added.
    await db.schema
      .createTable('depot_audit')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('depot_id', 'text', (c) => c.notNull())
      .addColumn('route_date', 'text', (c) => c.notNull())
      // cash: a hand-in recorded or changed
      .addColumn('subject', 'text', (c) => c.notNull())
      .addColumn('courier_id', 'text', (c) => c.notNull())
      .addColumn('supervisor_id', 'text', (c) => c.notNull())
      .addColumn('action', 'text', (c) => c.notNull())
      .addColumn('previous_fen', 'bigint')
      .addColumn('amount_fen', 'bigint', (c) => c.notNull())
      .addColumn('expected_fen', 'bigint', (c) => c.notNull())
      .addColumn('declared_fen', 'bigint')
      .addColumn('note', 'text')
      .addColumn('at_ms', 'bigint', (c) => c.notNull())
      .execute()
    await db.schema
      .createIndex('depot_audit_day')
      .on('depot_audit')
      .columns(['depot_id', 'route_date', 'at_ms'])
      .execute()

    // The dashboard's reads of the base tables, keyed by depot and day. The orders index covers the stop count.
    await db.schema
      .createIndex('orders_depot_day')
      .on('orders')
      .columns(['depot_id', 'route_date', 'courier_id', 'stop_id', 'status'])
      .execute()
    await db.schema.createIndex('couriers_depot').on('couriers').column('depot_id').execute()
    await db.schema.createIndex('devices_depot').on('devices').column('depot_id').execute()
    await db.schema.createIndex('routes_depot_day').on('routes').columns(['depot_id', 'route_date']).execute()
    await db.schema
      .createIndex('shifts_depot_day')
      .on('shifts')
      .columns(['depot_id', 'route_date', 'started_ms'])
      .execute()
    await db.schema.createIndex('settlements_order').on('settlements').column('order_id').execute()

    await backfillDashboard(db)
  },

  async down(db: Kysely<unknown>): Promise<void> {
    for (const index of [
      'settlements_order',
      'shifts_depot_day',
      'routes_depot_day',
      'devices_depot',
      'couriers_depot',
      'orders_depot_day',
    ]) {
      await db.schema.dropIndex(index).execute()
    }
    for (const table of [
      'depot_audit',
      'cash_handins',
      'dashboard_rejections',
      'dashboard_order_times',
      'dashboard_failures',
      'dashboard_courier_days',
    ]) {
      await db.schema.dropTable(table).execute()
    }
  },
}

/**
 * Fills the summary tables from the base tables (applied events, delivery attempts, acquirer payments, cash
 * declarations), as ingest would have. It runs once, in this migration, on a database that already held events;
 * the dashboard tests also run it on live data to prove the incremental upkeep and this agree. Frozen with the
 * migration: it describes the tables as this migration creates them.
 */
export async function backfillDashboard(db: Kysely<unknown>): Promise<void> {
  // Orders touched: first applied scan and the latest recorded attempt, attributed to the order's courier.
  await sql`
    insert into dashboard_order_times (order_id, depot_id, route_date, courier_id, stop_id, first_scan_ms, closed_ms, outcome)
    select o.id, o.depot_id, o.route_date, o.courier_id, o.stop_id,
      (select min(e.occurred_ms) from device_events e
        where e.order_id = o.id and e.type = 'parcel.scanned' and e.status = 'applied'),
      (select a.occurred_ms from delivery_attempts a where a.order_id = o.id order by a.attempt desc limit 1),
      (select a.outcome from delivery_attempts a where a.order_id = o.id order by a.attempt desc limit 1)
    from orders o
    where exists (select 1 from delivery_attempts a where a.order_id = o.id)
      or exists (select 1 from device_events e
        where e.order_id = o.id and e.type = 'parcel.scanned' and e.status = 'applied')
  `.execute(db)

  await sql`
    insert into dashboard_courier_days (depot_id, route_date, courier_id, delivered, failed, digital_count,
      digital_fen, digital_awaiting_count, digital_awaiting_fen, cash_count, cash_fen, prepaid_count,
      first_action_ms, last_action_ms)
    select o.depot_id, o.route_date, s.courier_id,
      sum(case when a.outcome = 'delivered' then 1 else 0 end),
      sum(case when a.outcome = 'failed' then 1 else 0 end),
      sum(case when a.method = 'digital' then 1 else 0 end),
      sum(case when a.method = 'digital' then coalesce((select p.amount_fen from payments p
        where p.order_id = o.id and p.outcome = 'succeeded' order by p.paid_ms, p.transaction_id limit 1), 0) else 0 end),
      sum(case when a.method = 'digital' and not exists (select 1 from payments p
        where p.order_id = o.id and p.outcome = 'succeeded') then 1 else 0 end),
      sum(case when a.method = 'digital' and not exists (select 1 from payments p
        where p.order_id = o.id and p.outcome = 'succeeded') then a.collected_fen else 0 end),
      sum(case when a.method = 'cash' then 1 else 0 end),
      sum(case when a.method = 'cash' then a.collected_fen else 0 end),
      sum(case when a.method = 'prepaid' then 1 else 0 end),
      min(a.occurred_ms), max(a.occurred_ms)
    from delivery_attempts a
    join orders o on o.id = a.order_id
    join shifts s on s.id = a.shift_id
    group by o.depot_id, o.route_date, s.courier_id
  `.execute(db)

  // Scans before the first close move a courier's first action earlier; a day with scans only gets its row.
  await sql`
    insert into dashboard_courier_days (depot_id, route_date, courier_id, first_action_ms, last_action_ms)
    select s.depot_id, s.route_date, s.courier_id, min(e.occurred_ms), max(e.occurred_ms)
    from device_events e join shifts s on s.id = e.shift_id
    where e.type = 'parcel.scanned' and e.status = 'applied'
    group by s.depot_id, s.route_date, s.courier_id
    on conflict (depot_id, route_date, courier_id) do update set
      first_action_ms = case when dashboard_courier_days.first_action_ms is null
        or excluded.first_action_ms < dashboard_courier_days.first_action_ms
        then excluded.first_action_ms else dashboard_courier_days.first_action_ms end,
      last_action_ms = case when dashboard_courier_days.last_action_ms is null
        or excluded.last_action_ms > dashboard_courier_days.last_action_ms
        then excluded.last_action_ms else dashboard_courier_days.last_action_ms end
  `.execute(db)

  // The latest declaration per courier and day (by the courier's clock, then by sequence).
  await sql`
    insert into dashboard_courier_days (depot_id, route_date, courier_id, declared_fen, declared_at, declared_ms)
    select d.depot_id, s.route_date, d.courier_id, d.declared_fen, d.declared_at, d.declared_ms
    from cash_declarations d join shifts s on s.id = d.shift_id
    where not exists (select 1 from cash_declarations later join shifts ls on ls.id = later.shift_id
      where later.courier_id = d.courier_id and ls.route_date = s.route_date
        and (later.declared_ms > d.declared_ms
          or (later.declared_ms = d.declared_ms and (later.device_id > d.device_id
            or (later.device_id = d.device_id and later.seq > d.seq)))))
    on conflict (depot_id, route_date, courier_id) do update set
      declared_fen = excluded.declared_fen, declared_at = excluded.declared_at, declared_ms = excluded.declared_ms
  `.execute(db)

  await sql`
    insert into dashboard_failures (depot_id, route_date, courier_id, reason, failed)
    select o.depot_id, o.route_date, s.courier_id, a.failure_reason, count(*)
    from delivery_attempts a
    join orders o on o.id = a.order_id
    join shifts s on s.id = a.shift_id
    where a.outcome = 'failed' and a.failure_reason is not null
    group by o.depot_id, o.route_date, s.courier_id, a.failure_reason
  `.execute(db)

  await sql`
    insert into dashboard_rejections (device_id, seq, depot_id, route_date, courier_id, event_id, type, order_id,
      reason, occurred_at, occurred_ms, received_ms)
    select e.device_id, e.seq, d.depot_id, coalesce(s.route_date, substr(e.occurred_at, 1, 10)), s.courier_id,
      e.event_id, e.type, e.order_id, coalesce(e.reason, 'unknown'), e.occurred_at, e.occurred_ms, e.received_ms
    from device_events e
    join devices d on d.id = e.device_id
    left join shifts s on s.id = e.shift_id and s.device_id = e.device_id
    where e.status = 'rejected'
  `.execute(db)
}
