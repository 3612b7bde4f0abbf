import { sql, type Kysely, type Migration } from 'kysely'

/**
 * The logistics schema: depots and their people, devices, routes with stops, orders and parcels, payment
 * intents and what the acquirer told us, device events, cash declarations, settlements, flags, and the
 * per-device stream. Times the courier set are kept as the ISO text the device sent (with its offset) next to
 * epoch milliseconds for ordering; money is integer fen in bigint columns.
 */
export const logistics: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('depots')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('city', 'text', (c) => c.notNull())
      .addColumn('district', 'text', (c) => c.notNull())
      .addColumn('time_zone', 'text', (c) => c.notNull())
      .addColumn('merchant_name', 'text', (c) => c.notNull())
      .addColumn('merchant_city', 'text', (c) => c.notNull())
      .addColumn('unverified_per_order_fen', 'bigint', (c) => c.notNull())
      .addColumn('unverified_per_shift_fen', 'bigint', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute()

    await db.schema
      .createTable('supervisors')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('depot_id', 'text', (c) => c.notNull().references('depots.id'))
      .addColumn('login', 'text', (c) => c.notNull().unique())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('password_hash', 'text', (c) => c.notNull())
      .addColumn('failed_logins', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('locked_until_ms', 'bigint')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute()

    await db.schema
      .createTable('supervisor_sessions')
      .addColumn('token_hash', 'text', (c) => c.primaryKey())
      .addColumn('supervisor_id', 'text', (c) => c.notNull().references('supervisors.id'))
      .addColumn('depot_id', 'text', (c) => c.notNull().references('depots.id'))
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('expires_ms', 'bigint', (c) => c.notNull())
      .execute()

    await db.schema
      .createTable('couriers')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('depot_id', 'text', (c) => c.notNull().references('depots.id'))
      .addColumn('staff_id', 'text', (c) => c.notNull().unique())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('pin_hash', 'text', (c) => c.notNull())
      .addColumn('failed_pins', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('locked_until_ms', 'bigint')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute()

    await db.schema
      .createTable('devices')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('depot_id', 'text', (c) => c.notNull().references('depots.id'))
      .addColumn('label', 'text', (c) => c.notNull())
      .addColumn('token_hash', 'text', (c) => c.notNull().unique())
      .addColumn('enrolled_at', 'text', (c) => c.notNull())
      .addColumn('revoked_at', 'text')
      // Highest event sequence held (applied, duplicate or rejected); the next push must start after it.
      .addColumn('acked_seq', 'bigint', (c) => c.notNull().defaultTo(0))
      // The backlog the device reported in its last heartbeat, for the depot dashboard.
      .addColumn('pending_count', 'integer')
      .addColumn('oldest_pending_at', 'text')
      .addColumn('app_version', 'text')
      .addColumn('last_sync_at', 'text')
      .addColumn('heartbeat_sent_at', 'text')
      .addColumn('last_contact_ms', 'bigint')
      .execute()

    await db.schema
      .createTable('enrollment_codes')
      .addColumn('code', 'text', (c) => c.primaryKey())
      .addColumn('depot_id', 'text', (c) => c.notNull().references('depots.id'))
      .addColumn('created_by', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('expires_ms', 'bigint', (c) => c.notNull())
      .addColumn('used_at', 'text')
      .addColumn('device_id', 'text')
      .execute()

    await db.schema
      .createTable('routes')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('depot_id', 'text', (c) => c.notNull().references('depots.id'))
      .addColumn('courier_id', 'text', (c) => c.notNull().references('couriers.id'))
      .addColumn('route_date', 'text', (c) => c.notNull())
      .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addUniqueConstraint('routes_courier_date', ['courier_id', 'route_date'])
      .execute()

    await db.schema
      .createTable('stops')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('route_id', 'text', (c) => c.notNull().references('routes.id'))
      .addColumn('sequence', 'integer', (c) => c.notNull())
      .addColumn('address', 'text', (c) => c.notNull())
      .addUniqueConstraint('stops_route_sequence', ['route_id', 'sequence'])
      .execute()

    await db.schema
      .createTable('orders')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('depot_id', 'text', (c) => c.notNull().references('depots.id'))
      .addColumn('route_id', 'text', (c) => c.notNull().references('routes.id'))
      .addColumn('stop_id', 'text', (c) => c.notNull().references('stops.id'))
      .addColumn('position', 'integer', (c) => c.notNull())
      // The courier it is assigned to now; a reassignment changes it and the old manifest loses the order.
      .addColumn('courier_id', 'text', (c) => c.notNull().references('couriers.id'))
      .addColumn('route_date', 'text', (c) => c.notNull())
      .addColumn('waybill', 'text', (c) => c.notNull().unique())
      .addColumn('cod_fen', 'bigint', (c) => c.notNull())
      .addColumn('recipient_name', 'text', (c) => c.notNull())
      .addColumn('recipient_phone', 'text', (c) => c.notNull())
      .addColumn('address', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('attempt', 'integer', (c) => c.notNull().defaultTo(1))
      // How many intents were ever created for it: the next intent's key is cod:{orderId}:{intent_attempts + 1}.
      .addColumn('intent_attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('delivered_method', 'text')
      .addColumn('collected_cash_fen', 'bigint', (c) => c.notNull().defaultTo(0))
      .addColumn('closed_at', 'text')
      .addColumn('closed_ms', 'bigint')
      .addColumn('failure_reason', 'text')
      .execute()
    await db.schema.createIndex('orders_route').on('orders').columns(['route_id', 'position']).execute()
    await db.schema.createIndex('orders_courier').on('orders').columns(['courier_id', 'route_date']).execute()

    await db.schema
      .createTable('parcels')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('order_id', 'text', (c) => c.notNull().references('orders.id'))
      .addColumn('barcode', 'text', (c) => c.notNull().unique())
      .addColumn('idx', 'integer', (c) => c.notNull())
      .addColumn('count', 'integer', (c) => c.notNull())
      .execute()
    await db.schema.createIndex('parcels_order').on('parcels').column('order_id').execute()

    await db.schema
      .createTable('shifts')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('depot_id', 'text', (c) => c.notNull().references('depots.id'))
      .addColumn('courier_id', 'text', (c) => c.notNull().references('couriers.id'))
      .addColumn('device_id', 'text', (c) => c.notNull().references('devices.id'))
      .addColumn('route_id', 'text', (c) => c.references('routes.id'))
      .addColumn('route_date', 'text', (c) => c.notNull())
      .addColumn('token_hash', 'text', (c) => c.notNull().unique())
      .addColumn('started_at', 'text', (c) => c.notNull())
      .addColumn('started_ms', 'bigint', (c) => c.notNull())
      .addColumn('expires_ms', 'bigint', (c) => c.notNull())
      // Set when a newer login of the same courier supersedes it: its token stops working.
      .addColumn('ended_ms', 'bigint')
      // The courier's own "shift closed", with the courier's time.
      .addColumn('closed_at', 'text')
      .execute()
    await db.schema.createIndex('shifts_courier').on('shifts').columns(['courier_id', 'started_ms']).execute()

    await db.schema
      .createTable('payment_intents')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('order_id', 'text', (c) => c.notNull().references('orders.id'))
      .addColumn('depot_id', 'text', (c) => c.notNull().references('depots.id'))
      .addColumn('attempt', 'integer', (c) => c.notNull())
      .addColumn('acquirer_key', 'text', (c) => c.notNull().unique())
      .addColumn('amount_fen', 'bigint', (c) => c.notNull())
      .addColumn('qr_payload', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'text', (c) => c.notNull())
      .addColumn('expires_ms', 'bigint', (c) => c.notNull())
      .addColumn('paid_at', 'text')
      .addColumn('transaction_id', 'text')
      .addColumn('device_id', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      // When the backend last asked the acquirer about it, so a polling device does not hammer the acquirer.
      .addColumn('checked_ms', 'bigint')
      .addUniqueConstraint('payment_intents_order_attempt', ['order_id', 'attempt'])
      .execute()
    // At most one intent per order is open for payment.
    await db.schema
      .createIndex('payment_intents_one_pending')
      .on('payment_intents')
      .column('order_id')
      .unique()
      .where(sql.ref('status'), '=', 'pending')
      .execute()

    await db.schema
      .createTable('payments')
      .addColumn('transaction_id', 'text', (c) => c.primaryKey())
      .addColumn('intent_id', 'text', (c) => c.notNull().references('payment_intents.id'))
      .addColumn('order_id', 'text', (c) => c.notNull().references('orders.id'))
      .addColumn('depot_id', 'text', (c) => c.notNull())
      .addColumn('amount_fen', 'bigint', (c) => c.notNull())
      .addColumn('paid_at', 'text', (c) => c.notNull())
      .addColumn('paid_ms', 'bigint', (c) => c.notNull())
      // succeeded: money moved. refused_duplicate: a second payment the acquirer turned away.
      .addColumn('outcome', 'text', (c) => c.notNull())
      // notification (webhook) or query (the backend asked the acquirer).
      .addColumn('source', 'text', (c) => c.notNull())
      .addColumn('recorded_ms', 'bigint', (c) => c.notNull())
      .execute()
    await db.schema.createIndex('payments_order').on('payments').column('order_id').execute()
    await db.schema.createIndex('payments_intent').on('payments').column('intent_id').execute()

    await db.schema
      .createTable('acquirer_notifications')
      .addColumn('notification_id', 'text', (c) => c.primaryKey())
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('intent_id', 'text', (c) => c.notNull())
      .addColumn('transaction_id', 'text', (c) => c.notNull())
      .addColumn('amount_fen', 'bigint', (c) => c.notNull())
      .addColumn('occurred_at', 'text', (c) => c.notNull())
      .addColumn('raw_body', 'text', (c) => c.notNull())
      .addColumn('signed_at', 'bigint', (c) => c.notNull())
      .addColumn('received_ms', 'bigint', (c) => c.notNull())
      // received → applied | rejected; a notification still `received` after a crash is processed on redelivery.
      .addColumn('outcome', 'text', (c) => c.notNull())
      .addColumn('reason', 'text')
      .addColumn('processed_ms', 'bigint')
      .execute()

    // Every accepted webhook signature, so an identical request replayed inside the tolerance is refused.
    await db.schema
      .createTable('webhook_signatures')
      .addColumn('signature', 'text', (c) => c.primaryKey())
      .addColumn('received_ms', 'bigint', (c) => c.notNull())
      .execute()

    await db.schema
      .createTable('device_events')
      .addColumn('device_id', 'text', (c) => c.notNull().references('devices.id'))
      .addColumn('seq', 'bigint', (c) => c.notNull())
      .addColumn('event_id', 'text', (c) => c.notNull())
      .addColumn('shift_id', 'text', (c) => c.notNull())
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('order_id', 'text')
      .addColumn('payload', 'text', (c) => c.notNull())
      .addColumn('occurred_at', 'text', (c) => c.notNull())
      .addColumn('occurred_ms', 'bigint', (c) => c.notNull())
      .addColumn('received_ms', 'bigint', (c) => c.notNull())
      // applied | rejected | duplicate (the same event ID arrived again under a new sequence)
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('reason', 'text')
      .addPrimaryKeyConstraint('device_events_pk', ['device_id', 'seq'])
      .execute()
    await db.schema.createIndex('device_events_event').on('device_events').columns(['device_id', 'event_id']).execute()
    await db.schema
      .createIndex('device_events_shift')
      .on('device_events')
      .columns(['shift_id', 'occurred_ms'])
      .execute()
    await db.schema.createIndex('device_events_order').on('device_events').column('order_id').execute()

    await db.schema
      .createTable('delivery_attempts')
      .addColumn('order_id', 'text', (c) => c.notNull().references('orders.id'))
      .addColumn('attempt', 'integer', (c) => c.notNull())
      .addColumn('outcome', 'text', (c) => c.notNull())
      .addColumn('method', 'text')
      .addColumn('due_fen', 'bigint', (c) => c.notNull())
      // What the device says it took; digital money counts only from `payments`.
      .addColumn('collected_fen', 'bigint', (c) => c.notNull())
      .addColumn('intent_id', 'text')
      .addColumn('failure_reason', 'text')
      .addColumn('occurred_at', 'text', (c) => c.notNull())
      .addColumn('occurred_ms', 'bigint', (c) => c.notNull())
      .addColumn('device_id', 'text', (c) => c.notNull())
      .addColumn('shift_id', 'text', (c) => c.notNull())
      .addColumn('seq', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('delivery_attempts_pk', ['order_id', 'attempt'])
      .execute()
    await db.schema
      .createIndex('delivery_attempts_shift')
      .on('delivery_attempts')
      .columns(['shift_id', 'occurred_ms'])
      .execute()

    await db.schema
      .createTable('cash_declarations')
      .addColumn('device_id', 'text', (c) => c.notNull())
      .addColumn('seq', 'bigint', (c) => c.notNull())
      .addColumn('shift_id', 'text', (c) => c.notNull().references('shifts.id'))
      .addColumn('courier_id', 'text', (c) => c.notNull())
      .addColumn('depot_id', 'text', (c) => c.notNull())
      .addColumn('declared_fen', 'bigint', (c) => c.notNull())
      .addColumn('declared_at', 'text', (c) => c.notNull())
      .addColumn('declared_ms', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('cash_declarations_pk', ['device_id', 'seq'])
      .execute()
    await db.schema.createIndex('cash_declarations_shift').on('cash_declarations').column('shift_id').execute()

    await db.schema
      .createTable('settlements')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('intent_id', 'text', (c) => c.notNull().unique().references('payment_intents.id'))
      .addColumn('order_id', 'text', (c) => c.notNull())
      .addColumn('device_id', 'text', (c) => c.notNull())
      .addColumn('shift_id', 'text', (c) => c.notNull())
      .addColumn('depot_id', 'text', (c) => c.notNull())
      .addColumn('claimed_fen', 'bigint', (c) => c.notNull())
      // unverified: "paid, to be verified"; confirmed: the device saw a confirmation the backend has not yet.
      .addColumn('kind', 'text', (c) => c.notNull())
      // pending | verified | not_found | amount_mismatch
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('transaction_id', 'text')
      .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('next_attempt_ms', 'bigint', (c) => c.notNull())
      .addColumn('claimed_until_ms', 'bigint')
      .addColumn('last_error', 'text')
      .addColumn('created_ms', 'bigint', (c) => c.notNull())
      .addColumn('settled_ms', 'bigint')
      .execute()
    await db.schema.createIndex('settlements_due').on('settlements').columns(['status', 'next_attempt_ms']).execute()

    await db.schema
      .createTable('flags')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('depot_id', 'text', (c) => c.notNull())
      .addColumn('order_id', 'text', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('intent_id', 'text')
      .addColumn('transaction_id', 'text')
      .addColumn('amount_fen', 'bigint', (c) => c.notNull())
      // What makes it the same flag again (a transaction, an intent), so reprocessing never flags twice.
      .addColumn('dedupe_key', 'text', (c) => c.notNull())
      .addColumn('note', 'text', (c) => c.notNull())
      .addColumn('created_ms', 'bigint', (c) => c.notNull())
      .addColumn('resolved_ms', 'bigint')
      .addUniqueConstraint('flags_dedupe', ['order_id', 'kind', 'dedupe_key'])
      .execute()
    await db.schema.createIndex('flags_depot').on('flags').columns(['depot_id', 'created_ms']).execute()

    await db.schema
      .createTable('stream_cursors')
      .addColumn('device_id', 'text', (c) => c.primaryKey())
      .addColumn('last_seq', 'bigint', (c) => c.notNull())
      .execute()

    await db.schema
      .createTable('stream_messages')
      .addColumn('device_id', 'text', (c) => c.notNull())
      .addColumn('seq', 'bigint', (c) => c.notNull())
      .addColumn('depot_id', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('data', 'text', (c) => c.notNull())
      .addColumn('created_ms', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('stream_messages_pk', ['device_id', 'seq'])
      .execute()
  },

  async down(db: Kysely<unknown>): Promise<void> {
    for (const table of [
      'stream_messages',
      'stream_cursors',
      'flags',
      'settlements',
      'cash_declarations',
      'delivery_attempts',
      'device_events',
      'webhook_signatures',
      'acquirer_notifications',
      'payments',
      'payment_intents',
      'shifts',
      'parcels',
      'orders',
      'stops',
      'routes',
      'enrollment_codes',
      'devices',
      'couriers',
      'supervisor_sessions',
      'supervisors',
      'depots',
    ]) {
      await db.schema.dropTable(table).execute()
    }
  },
}
