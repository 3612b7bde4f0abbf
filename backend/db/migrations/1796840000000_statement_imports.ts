import type { Kysely, Migration } from 'kysely'

/**
 * Who imported each statement (issue 12, section 4). A statement is the merchant's, stored once by its checksum;
 * each depot that imports it (or the command line, with no depot) gets one row here, so a repeated import by the
 * same importer changes nothing and another depot importing the same file sees it too.
 */
export const statementImports: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('statement_imports')
      // `<statementId>:<depotId>`, or `<statementId>:*` from the command line: one row per importer.
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('statement_id', 'text', (c) => c.notNull().references('statements.id'))
      .addColumn('depot_id', 'text')
      .addColumn('imported_by', 'text', (c) => c.notNull())
      .addColumn('imported_ms', 'bigint', (c) => c.notNull())
      .execute()
    await db.schema.createIndex('statement_imports_depot').on('statement_imports').column('depot_id').execute()
    await db.schema.createIndex('statement_lines_intent').on('statement_lines').column('intent_id').execute()
    await db.schema.createIndex('statements_date').on('statements').column('statement_date').execute()
    await db.schema.createIndex('payments_paid').on('payments').columns(['depot_id', 'paid_ms']).execute()
  },

  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropIndex('payments_paid').execute()
    await db.schema.dropIndex('statements_date').execute()
    await db.schema.dropIndex('statement_lines_intent').execute()
    await db.schema.dropTable('statement_imports').execute()
  },
}
