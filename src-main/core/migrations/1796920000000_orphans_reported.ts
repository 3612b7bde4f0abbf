import type { Migration } from '../db'

/**
 * When the backend took each evidence orphan from a heartbeat: until then every heartbeat carries it again, so an
 * orphan reaches the depot's work queue whatever the coverage, and is never dropped.
 */
export default {
  id: '1796920000000_orphans_reported',
  sql: `ALTER TABLE evidence_orphans ADD COLUMN reported_at TEXT;`,
} satisfies Migration
