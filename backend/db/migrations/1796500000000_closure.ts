import { sql, type Kysely, type Migration } from 'kysely'

/**
 * Payment closure (issue 12): charges of customers' payment codes (付款码) with the query-and-revoke schedule that
 * takes each to a final state; refunds with the refund number every retry reuses; the acquirer's daily
 * statements, line by line; the final state each intent reached by the acquirer's word and the reconciliation
 * worker's schedule for those that have not; the depot's Chinese merchant name and city for the QR's tag 64.
 */
export const closure: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('charges')
      .addColumn('charge_no', 'text', (c) => c.primaryKey())
      .addColumn('intent_id', 'text', (c) => c.notNull().references('payment_intents.id'))
      .addColumn('order_id', 'text', (c) => c.notNull())
      .addColumn('depot_id', 'text', (c) => c.notNull())
      .addColumn('device_id', 'text', (c) => c.notNull())
      .addColumn('shift_id', 'text', (c) => c.notNull())
      // The code itself is money until used: only its SHA-256 (to know a retry of the same code) and a masked form.
      .addColumn('code_hash', 'text', (c) => c.notNull())
      .addColumn('code_masked', 'text', (c) => c.notNull())
      .addColumn('amount_fen', 'bigint', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('failure', 'text')
      .addColumn('limit_fen', 'bigint')
      .addColumn('transaction_id', 'text')
      .addColumn('paid_at', 'text')
      .addColumn('created_ms', 'bigint', (c) => c.notNull())
      .addColumn('updated_ms', 'bigint', (c) => c.notNull())
      .addColumn('deadline_ms', 'bigint', (c) => c.notNull())
      .addColumn('next_query_ms', 'bigint')
      .addColumn('queries', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('claimed_until_ms', 'bigint')
      .addColumn('last_error', 'text')
      .addColumn('final_ms', 'bigint')
      .addUniqueConstraint('charges_intent_code', ['intent_id', 'code_hash'])
      .execute()
    await db.schema.createIndex('charges_due').on('charges').columns(['final_ms', 'next_query_ms']).execute()
    await db.schema.createIndex('charges_intent').on('charges').column('intent_id').execute()
    await db.schema.createIndex('charges_depot').on('charges').columns(['depot_id', 'created_ms']).execute()

    await db.schema
      .createTable('refunds')
      .addColumn('refund_no', 'text', (c) => c.primaryKey())
      .addColumn('depot_id', 'text', (c) => c.notNull())
      .addColumn('order_id', 'text', (c) => c.notNull())
      .addColumn('intent_id', 'text', (c) => c.notNull())
      .addColumn('transaction_id', 'text', (c) => c.notNull())
      .addColumn('flag_id', 'text')
      .addColumn('charge_no', 'text')
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('amount_fen', 'bigint', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('failure', 'text')
      .addColumn('approved_by', 'text')
      .addColumn('note', 'text', (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('created_ms', 'bigint', (c) => c.notNull())
      .addColumn('updated_ms', 'bigint', (c) => c.notNull())
      .addColumn('settled_ms', 'bigint')
      .addColumn('next_check_ms', 'bigint')
      .addColumn('claimed_until_ms', 'bigint')
      .addColumn('last_error', 'text')
      .execute()
    await db.schema.createIndex('refunds_due').on('refunds').columns(['status', 'next_check_ms']).execute()
    await db.schema.createIndex('refunds_depot').on('refunds').columns(['depot_id', 'created_ms']).execute()
    await db.schema.createIndex('refunds_transaction').on('refunds').column('transaction_id').execute()

    await db.schema
      .createTable('statements')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('merchant_id', 'text', (c) => c.notNull())
      // The depot whose supervisor imported it; null from the command line (every depot sees it).
      .addColumn('depot_id', 'text')
      .addColumn('statement_date', 'text', (c) => c.notNull())
      .addColumn('checksum', 'text', (c) => c.notNull().unique())
      .addColumn('rows', 'integer', (c) => c.notNull())
      .addColumn('imported_by', 'text', (c) => c.notNull())
      .addColumn('imported_ms', 'bigint', (c) => c.notNull())
      .execute()
    await db.schema
      .createIndex('statements_day')
      .on('statements')
      .columns(['merchant_id', 'statement_date', 'imported_ms'])
      .execute()
    await db.schema
      .createTable('statement_lines')
      .addColumn('statement_id', 'text', (c) => c.notNull().references('statements.id'))
      .addColumn('line', 'integer', (c) => c.notNull())
      .addColumn('transaction_id', 'text', (c) => c.notNull())
      .addColumn('intent_id', 'text', (c) => c.notNull())
      .addColumn('amount_fen', 'bigint', (c) => c.notNull())
      .addColumn('fee_fen', 'bigint', (c) => c.notNull())
      .addColumn('time_ms', 'bigint', (c) => c.notNull())
      .addColumn('type', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('statement_lines_pk', ['statement_id', 'line'])
      .execute()
    await db.schema.createIndex('statement_lines_transaction').on('statement_lines').column('transaction_id').execute()

    // The final state an intent reached, by the acquirer's word; null while it has none.
    await db.schema.alterTable('payment_intents').addColumn('final_state', 'text').execute()
    await db.schema.alterTable('payment_intents').addColumn('final_ms', 'bigint').execute()
    await db.schema
      .createIndex('payment_intents_open')
      .on('payment_intents')
      .columns(['final_ms', 'depot_id'])
      .execute()
    // An intent already paid is final; any other is left to the reconciliation worker to ask the acquirer about.
    await sql`update payment_intents set final_state = 'paid', final_ms = ${Date.now()} where status = 'paid'`.execute(
      db,
    )
    await db.schema
      .createTable('intent_closure')
      .addColumn('intent_id', 'text', (c) => c.primaryKey())
      .addColumn('attempts', 'integer', (c) => c.notNull())
      .addColumn('next_check_ms', 'bigint', (c) => c.notNull())
      .addColumn('claimed_until_ms', 'bigint')
      .addColumn('last_error', 'text')
      .execute()
    await db.schema.alterTable('depots').addColumn('merchant_name_zh', 'text').execute()
    await db.schema.alterTable('depots').addColumn('merchant_city_zh', 'text').execute()
  },

  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable('depots').dropColumn('merchant_city_zh').execute()
    await db.schema.alterTable('depots').dropColumn('merchant_name_zh').execute()
    await db.schema.dropTable('intent_closure').execute()
    await db.schema.dropIndex('payment_intents_open').execute()
    await db.schema.alterTable('payment_intents').dropColumn('final_ms').execute()
    await db.schema.alterTable('payment_intents').dropColumn('final_state').execute()
    await db.schema.dropTable('statement_lines').execute()
    await db.schema.dropTable('statements').execute()
    await db.schema.dropTable('refunds').execute()
    await db.schema.dropTable('charges').execute()
  },
}
