import type { Kysely, Migration } from 'kysely'

/**
 * Proof of delivery: each depot's proof rules (one row, the rules as JSON, who set them), and the delivery code
 * issued for an order's attempt, kept only as its salted scrypt hash (the code itself went to the recipient).
 */
export const proof: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('depot_proof_rules')
      .addColumn('depot_id', 'text', (col) => col.primaryKey())
      .addColumn('rules', 'text', (col) => col.notNull())
      .addColumn('updated_ms', 'bigint', (col) => col.notNull())
      .addColumn('updated_by', 'text')
      .execute()
    await db.schema
      .createTable('delivery_codes')
      .addColumn('order_id', 'text', (col) => col.notNull())
      .addColumn('attempt', 'integer', (col) => col.notNull())
      .addColumn('salt', 'text', (col) => col.notNull())
      .addColumn('hash', 'text', (col) => col.notNull())
      .addColumn('created_ms', 'bigint', (col) => col.notNull())
      .addPrimaryKeyConstraint('delivery_codes_pk', ['order_id', 'attempt'])
      .execute()
  },

  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable('delivery_codes').execute()
    await db.schema.dropTable('depot_proof_rules').execute()
  },
}
