import type { Kysely, Migration } from 'kysely'

/** Stored stream messages are deleted by age (`backend/stream/prune.ts`): an index keeps that a range delete. */
export const streamRetention: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.createIndex('stream_messages_created_ms').on('stream_messages').column('created_ms').execute()
  },

  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropIndex('stream_messages_created_ms').execute()
  },
}
