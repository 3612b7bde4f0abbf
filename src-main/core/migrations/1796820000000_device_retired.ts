import type { Migration } from '../db'

/**
 * The depot retired this device: when, and the supervisor's name, as the backend said. From then on the device
 * sends nothing and takes no new action; what it still holds stays on it.
 */
export default {
  id: '1796820000000_device_retired',
  sql: `ALTER TABLE device ADD COLUMN retired_at TEXT;
ALTER TABLE device ADD COLUMN retired_by TEXT;`,
} satisfies Migration
