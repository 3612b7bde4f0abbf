import type { Kysely, Migration } from 'kysely'

/**
 * Split payments: an intent for a part of the order's amount (the rest is taken in cash) carries the key the
 * device made for that split, so a retry of the same split finds its intent instead of opening a second one.
 * Whole-amount intents keep a null key; the unique index counts only keyed rows (NULLs are distinct in both
 * SQLite and PostgreSQL).
 */
export const splitPayments: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable('payment_intents').addColumn('split_key', 'text').execute()
    await db.schema
      .createIndex('payment_intents_split_key')
      .on('payment_intents')
      .columns(['order_id', 'split_key'])
      .unique()
      .execute()
  },

  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropIndex('payment_intents_split_key').execute()
    await db.schema.alterTable('payment_intents').dropColumn('split_key').execute()
  },
}
