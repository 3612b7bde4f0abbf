import type { Migration } from '../db'

export default {
  id: '1795723723438_settings',
  sql: `
CREATE TABLE settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
) STRICT;
`,
} satisfies Migration
