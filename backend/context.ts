import type { EvidenceStore } from './proof/evidence-store'
import type { FastifyBaseLogger } from 'fastify'
import { DEFAULT_UNDO_WINDOW_MS } from '../shared/api/shift'
import { DEFAULT_MAX_ORDER_FEN } from '../shared/money'
import type { Kysely } from 'kysely'
import type { AcquirerClient } from './acquirer/client'
import type { BackendDb } from './db/connect'
import type { BackendSchema } from './db/schema'
import type { StreamHub } from './stream/hub'
import type { SmsProvider } from './proof/sms'
import type { TelephonyProvider } from './telephony/provider'

/** Tunables, with the defaults `defaultConfig` gives; tests shorten the times. */
export interface BackendConfig {
  version: string
  /** How long a payment intent stays payable: the whole shift, since it is created at shift start. */
  intentTtlMs: number
  /** How long a shift token lasts. */
  shiftTtlMs: number
  /**
   * The business ceiling on one COD order, fen (¥50,000 by default, at most `MAX_FEN`): no order above it is
   * made, and an event naming a larger amount is rejected `amount.over_ceiling`.
   */
  maxOrderFen: number
  /**
   * How far the courier's corrected time may fall before the shift's start or after the time of receipt and
   * still be taken as it is (a measured offset is only so exact); beyond, the bound is taken and flagged.
   */
  eventTimeToleranceMs: number
  /** Wrong PINs (or supervisor passwords) in a row before the account locks, and for how long. */
  lockout: { maxAttempts: number; lockMs: number }
  enrollmentCodeTtlMs: number
  supervisorSessionTtlMs: number
  /** Seconds between `: keep-alive` comments on device streams. */
  keepAliveMs: number
  /**
   * A polling device makes the backend ask the acquirer at most this often per intent, however many ask at once and
   * on however many instances (`intents/coalesce.ts`).
   */
  intentRecheckMs: number
  /** Settlement retries back off from `retryBaseMs` to `retryMaxMs` while the acquirer cannot be reached. */
  settlement: { pollMs: number; retryBaseMs: number; retryMaxMs: number }
  /** The withdrawal queue is looked at every `pollMs`; a withdrawal the acquirer did not answer backs off likewise. */
  withdrawals: { pollMs: number; retryBaseMs: number; retryMaxMs: number }
  /** How long device stream messages are kept for a device resuming with `Last-Event-ID`, and how often the
   * older ones are deleted. */
  stream: { retentionMs: number; pruneEveryMs: number }
  /** How long, by the courier's clock, a prepaid, cash or failed completion can be undone (told at login). */
  undoWindowMs: number
  /**
   * Charging a customer's payment code (付款码), by WeChat Pay's and Alipay's merchant rules: how long to wait for
   * the acquirer's answer, the query every 3 to 5 s while the charge is neither paid nor failed, and how long before
   * it is revoked. `pollMs`: how often the worker looks for due queries.
   */
  charge: { answerTimeoutMs: number; queryMinMs: number; queryMaxMs: number; queryForMs: number; pollMs: number }
  /**
   * The reconciliation worker: an intent that has not reached a final state `afterMs` after the courier left the
   * door is asked about and settled; while the acquirer cannot be reached it retries with backoff.
   */
  closure: { afterMs: number; pollMs: number; retryBaseMs: number; retryMaxMs: number }
  /** Refunds: an accepted one with no result after `queryAfterMs` is asked about, retried with backoff. */
  refunds: { queryAfterMs: number; pollMs: number; retryMaxMs: number }
  /** The acquirer's contracted fee on payments, in basis points: a statement listing another fee is a mismatch. */
  acquirerFeeBp: number
  /** Evidence files (personal data) are deleted this long after they were stored; the worker looks every `pollMs`. */
  evidenceRetention: { keepMs: number; pollMs: number }
}

/** The production defaults: intents and shifts last the working day; five wrong PINs lock for 15 minutes. */
export const defaultConfig = (version: string): BackendConfig => ({
  version,
  intentTtlMs: 12 * 60 * 60 * 1000,
  shiftTtlMs: 14 * 60 * 60 * 1000,
  maxOrderFen: DEFAULT_MAX_ORDER_FEN,
  eventTimeToleranceMs: 5 * 60 * 1000,
  lockout: { maxAttempts: 5, lockMs: 15 * 60 * 1000 },
  enrollmentCodeTtlMs: 24 * 60 * 60 * 1000,
  supervisorSessionTtlMs: 12 * 60 * 60 * 1000,
  keepAliveMs: 15_000,
  intentRecheckMs: 1_000,
  settlement: { pollMs: 1_000, retryBaseMs: 1_000, retryMaxMs: 60_000 },
  withdrawals: { pollMs: 1_000, retryBaseMs: 1_000, retryMaxMs: 60_000 },
  stream: { retentionMs: 7 * 24 * 60 * 60 * 1000, pruneEveryMs: 60 * 60 * 1000 },
  undoWindowMs: DEFAULT_UNDO_WINDOW_MS,
  charge: { answerTimeoutMs: 8_000, queryMinMs: 3_000, queryMaxMs: 5_000, queryForMs: 60_000, pollMs: 250 },
  closure: { afterMs: 10 * 60_000, pollMs: 5_000, retryBaseMs: 2_000, retryMaxMs: 60_000 },
  refunds: { queryAfterMs: 10_000, pollMs: 1_000, retryMaxMs: 60_000 },
  acquirerFeeBp: 6,
  evidenceRetention: { keepMs: 90 * 24 * 60 * 60 * 1000, pollMs: 60 * 60 * 1000 },
})

/** Everything a handler needs, built once by `buildBackend`. */
export interface BackendContext {
  database: BackendDb
  db: Kysely<BackendSchema>
  config: BackendConfig
  acquirer: AcquirerClient
  /** The secret the acquirer signs notifications with; null when no acquirer is configured. */
  webhookSecret: string | null
  hub: StreamHub
  log: FastifyBaseLogger
  /** Epoch milliseconds; tests may move it. */
  now(): number
  /** This backend's own base URL, where the acquirer sends notifications. */
  publicUrl(): string
  /** Asks the settlement worker to look for due work now rather than at its next tick. */
  wakeSettlement(): void
  /** The virtual-number service for calling customers; null when none is configured. */
  telephony: TelephonyProvider | null
  /** Asks the withdrawal worker to look for queued withdrawals now (`intents/withdrawals.ts`). */
  wakeWithdrawals(): void
  /** Asks the payment-closure workers (charge queries, refunds, reconciliation) to look for due work now. */
  wakeClosure(): void
  /** The SMS gateway that sends delivery codes; null when none is configured (codes are then not sent). */
  sms?: SmsProvider | null
  /** Where evidence files (photos, signatures) are kept: the filesystem by default. */
  evidence: EvidenceStore
  /**
   * Resolves once the backend listens. The background workers start their first pass after it, so a backlog to
   * settle never holds the start (`/health` answers at once) and the sandbox acquirer, reached at this backend's
   * own address, is there when they call.
   */
  listening: Promise<void>
}
