import type { Migration } from '../db'

/**
 * Payments without coverage: how the device learned an intent was paid (the acquirer through the backend, or the
 * customer's signed receipt), the receipt itself, and when the courier recorded "paid, to be verified".
 */
export default {
  id: '1795900000000_offline',
  sql: `
ALTER TABLE intents ADD COLUMN confirmed_via TEXT CHECK (confirmed_via IN ('push', 'poll', 'receipt'));
ALTER TABLE intents ADD COLUMN receipt TEXT;
ALTER TABLE intents ADD COLUMN unverified_at TEXT;
CREATE INDEX intents_unverified ON intents (unverified_at) WHERE unverified_at IS NOT NULL;
`,
} satisfies Migration
