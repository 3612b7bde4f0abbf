import { sql, type Kysely, type Migration } from 'kysely'

/**
 * Login attempts are counted per account name, known or not (`backend/auth/lockout.ts`): `courier:<depot>` and
 * the staff ID, or `supervisor` and the login. A name nobody has is counted and locked like one somebody has,
 * so the answers say nothing about which exist. Wrong attempts and locks already held on the old columns
 * (`couriers.failed_pins`, `supervisors.failed_logins`, their `locked_until_ms`) carry over; those columns are no
 * longer written.
 */
export const loginAttempts: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('login_attempts')
      .addColumn('scope', 'text', (c) => c.notNull())
      .addColumn('subject', 'text', (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('in_flight', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('locked_until_ms', 'bigint')
      .addColumn('updated_ms', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('login_attempts_pk', ['scope', 'subject'])
      .execute()
    await db.schema.createIndex('login_attempts_updated_ms').on('login_attempts').column('updated_ms').execute()
    const now = Date.now()
    await sql`
      insert into login_attempts (scope, subject, attempts, in_flight, locked_until_ms, updated_ms)
      select 'courier:' || depot_id, staff_id, failed_pins, 0, locked_until_ms, ${now} from couriers
      where failed_pins > 0 or locked_until_ms is not null`.execute(db)
    await sql`
      insert into login_attempts (scope, subject, attempts, in_flight, locked_until_ms, updated_ms)
      select 'supervisor', login, failed_logins, 0, locked_until_ms, ${now} from supervisors
      where failed_logins > 0 or locked_until_ms is not null`.execute(db)
  },

  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable('login_attempts').execute()
  },
}
