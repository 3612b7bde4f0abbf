import type { Migration } from '../db'

/**
 * The doorstep's rules that outlive a run of the core: how long the depot lets a completion be undone (from
 * login), and whether the shift moved to another terminal (a device swap), so this one takes no new action for it.
 */
export default {
  id: '1796100000000_doorstep',
  sql: `
ALTER TABLE shifts ADD COLUMN undo_window_ms INTEGER NOT NULL DEFAULT 10000 CHECK (undo_window_ms >= 0);
ALTER TABLE shifts ADD COLUMN moved_at TEXT;
ALTER TABLE shifts ADD COLUMN moved_to_device TEXT;
`,
} satisfies Migration
