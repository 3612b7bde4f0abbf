import { sql, type Kysely, type Migration } from 'kysely'

/**
 * The withdrawal queue (`backend/intents/withdrawals.ts`): intents the backend closed because the courier moved
 * on (cash taken, cancelled offline, the order cancelled or reassigned), to withdraw at the acquirer. A row is
 * written in the transaction that closes the intent, so a crash after the commit still has it; the worker marks
 * it done once, when the acquirer has answered.
 */
export const intentWithdrawals: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('intent_withdrawals')
      .addColumn('intent_id', 'text', (c) => c.primaryKey().references('payment_intents.id'))
      .addColumn('depot_id', 'text', (c) => c.notNull().references('depots.id'))
      .addColumn('queued_ms', 'bigint', (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('next_attempt_ms', 'bigint', (c) => c.notNull())
      .addColumn('claimed_until_ms', 'bigint')
      .addColumn('done_ms', 'bigint')
      .addColumn('outcome', 'text')
      .addColumn('last_error', 'text')
      .execute()
    await db.schema
      .createIndex('intent_withdrawals_due')
      .on('intent_withdrawals')
      .column('next_attempt_ms')
      .where(sql.ref('done_ms'), 'is', null)
      .execute()
  },

  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable('intent_withdrawals').execute()
  },
}
