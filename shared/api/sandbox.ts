import { z } from 'zod'
import { Fen } from '../money'
import {
  AcquirerChargeStatus,
  AcquirerIntentStatus,
  AcquirerNotificationType,
  ChargeFailure,
  ChargeNo,
} from './acquirer'
import { IntentId, Timestamp } from './ids'

/**
 * The sandbox acquirer's customer-facing API (enabled with `--sandbox`), used by its wallet page, by e2e
 * tests and by the round runner to play the customer.
 */

/** `POST /sandbox/acquirer/pay`: the customer's wallet pays the QR it scanned. */
export const SandboxPayRequest = z
  .object({ qrPayload: z.string().min(1).max(1024), walletId: z.string().regex(/^[A-Za-z0-9_-]{1,40}$/) })
  .strict()
export type SandboxPayRequest = z.infer<typeof SandboxPayRequest>

/** `POST /sandbox/acquirer/preview`: what the wallet shows before the customer pays. */
export const SandboxPreviewRequest = z.object({ qrPayload: z.string().min(1).max(1024) }).strict()
export type SandboxPreviewRequest = z.infer<typeof SandboxPreviewRequest>

export const SandboxPreviewResponse = z.object({
  intentId: IntentId,
  merchantName: z.string(),
  merchantCity: z.string(),
  /** The Chinese name and city from the QR's language template (tag 64), which the wallet shows first. */
  merchantNameZh: z.string().nullable().optional(),
  merchantCityZh: z.string().nullable().optional(),
  amountFen: Fen,
  waybill: z.string(),
  status: AcquirerIntentStatus,
  expiresAt: Timestamp,
})
export type SandboxPreviewResponse = z.infer<typeof SandboxPreviewResponse>

export const SandboxPayResponse = z.object({
  intentId: IntentId,
  transactionId: z.string(),
  amountFen: Fen,
  paidAt: Timestamp,
  merchantName: z.string(),
  waybill: z.string(),
  /** The signed receipt token (`TTR1.…`) the wallet shows as a QR. */
  receiptToken: z.string(),
})
export type SandboxPayResponse = z.infer<typeof SandboxPayResponse>

/**
 * `PUT /sandbox/acquirer/behaviour`: how the acquirer behaves, for tests and rounds (the whole behaviour: what is
 * left out is the healthy default). Delays are in ms; `duplicates` sends each notification that many extra times;
 * `outOfOrder` holds notifications back and releases them newest first.
 */
export const SandboxBehaviour = z
  .object({
    notifyDelayMs: z.number().int().min(0).max(120_000),
    duplicates: z.number().int().min(0).max(5),
    outOfOrder: z.boolean(),
    /** While true, no notification is sent at all (they queue, and go out when it turns false). */
    holdNotifications: z.boolean(),
    /** The merchant API answers 503 to everything (an outage); the customer's side still works. */
    outage: z.boolean().default(false),
    /** Every merchant query (intent, charge, refund) waits this long before it answers: a slow acquirer. */
    queryDelayMs: z.number().int().min(0).max(60_000).default(0),
    /** A charge is taken, but its answer is lost: the connection is dropped instead of answered. */
    dropChargeAnswers: z.boolean().default(false),
    /** A revoke of a charge awaiting the PIN answers "revoked", and the customer's PIN lands anyway just after. */
    revokeRace: z.boolean().default(false),
    /** How long an accepted refund takes to reach its result. */
    refundDelayMs: z.number().int().min(0).max(120_000).default(0),
    /** What accepted refunds come to: all succeed, all fail, or each fails its first attempt and then succeeds. */
    refundOutcome: z.enum(['succeed', 'fail', 'fail_first']).default('succeed'),
    /** The acquirer's fee on payments, in basis points (0.01 %), rounded half up to the fen. */
    feeBp: z.number().int().min(0).max(1000).default(6),
  })
  .strict()
export type SandboxBehaviour = z.output<typeof SandboxBehaviour>
export type SandboxBehaviourInput = z.input<typeof SandboxBehaviour>

/**
 * `GET /sandbox/acquirer/notifications`: the acquirer's outgoing notifications and how their delivery went,
 * newest first, so tests and rounds can wait for one to land.
 */
export const SandboxNotification = z.object({
  notificationId: z.string(),
  type: AcquirerNotificationType,
  intentId: IntentId,
  transactionId: z.string(),
  /** `pending` (queued, held or retrying), `delivered` (a 2xx came back) or `failed` (gave up). */
  status: z.enum(['pending', 'delivered', 'failed']),
  attempts: z.number().int().min(0),
  lastError: z.string().nullable(),
  createdAt: Timestamp,
  deliveredAt: Timestamp.nullable(),
})
export type SandboxNotification = z.infer<typeof SandboxNotification>
export const SandboxNotificationsResponse = z.object({ notifications: z.array(SandboxNotification) })
export type SandboxNotificationsResponse = z.infer<typeof SandboxNotificationsResponse>

/**
 * Sandbox wallets, with the tiers an e-CNY wallet has: a per-payment and a per-day limit each (tier 1 has none).
 * A wallet nobody set up is `tier2` with a large balance and no PIN.
 */
export const WalletTier = z.enum(['tier1', 'tier2', 'tier3', 'tier4'])
export type WalletTier = z.infer<typeof WalletTier>

export const WALLET_LIMITS: Record<WalletTier, { perPaymentFen: number | null; perDayFen: number | null }> = {
  tier1: { perPaymentFen: null, perDayFen: null },
  tier2: { perPaymentFen: 50_000_00, perDayFen: 100_000_00 },
  tier3: { perPaymentFen: 5_000_00, perDayFen: 10_000_00 },
  tier4: { perPaymentFen: 2_000_00, perDayFen: 5_000_00 },
}

export const WalletId = z.string().regex(/^[A-Za-z0-9_-]{1,40}$/)

/**
 * `PUT /sandbox/acquirer/wallets/:walletId`: a wallet's settings. `pin`: the customer must type it for every
 * charge of their code (the wallet page asks; the runner types it); `payingMs`: without a PIN, the customer takes
 * this long to confirm on the phone (the charge answers "user paying" meanwhile); `fail`: every payment fails so.
 */
export const SandboxWalletSettings = z
  .object({
    tier: WalletTier.default('tier2'),
    balanceFen: Fen.default(1_000_000_00),
    pin: z
      .string()
      .regex(/^\d{6}$/)
      .nullable()
      .default(null),
    payingMs: z.number().int().min(0).max(120_000).default(0),
    fail: z.enum(['insufficient_balance', 'user_cancelled']).nullable().default(null),
  })
  .strict()
export type SandboxWalletSettings = z.output<typeof SandboxWalletSettings>

/** A charge of this wallet's code waiting for the customer, as the wallet page shows it. */
export const SandboxPendingCharge = z.object({
  chargeNo: ChargeNo,
  amountFen: Fen,
  merchantName: z.string(),
  merchantNameZh: z.string().nullable(),
  needsPin: z.boolean(),
  pinAttemptsLeft: z.number().int().min(0),
})
export type SandboxPendingCharge = z.infer<typeof SandboxPendingCharge>

/** `GET /sandbox/acquirer/wallets/:walletId`: the wallet, its current payment code (made when none is valid). */
export const SandboxWallet = z.object({
  walletId: WalletId,
  settings: SandboxWalletSettings,
  limits: z.object({ perPaymentFen: Fen.nullable(), perDayFen: Fen.nullable() }),
  spentTodayFen: Fen,
  /** The current payment code: single-use, and replaced every 60 s. */
  paymentCode: z.object({ code: z.string(), expiresAt: Timestamp }),
  pending: z.array(SandboxPendingCharge),
  /** The wallet's last charges, newest first. */
  recent: z.array(
    z.object({
      chargeNo: ChargeNo,
      amountFen: Fen,
      status: AcquirerChargeStatus,
      failure: ChargeFailure.nullable(),
      at: Timestamp,
    }),
  ),
})
export type SandboxWallet = z.infer<typeof SandboxWallet>

/** `POST /sandbox/acquirer/wallets/:walletId/confirm`: the customer types their PIN for a charge. */
export const SandboxConfirmRequest = z.object({ chargeNo: ChargeNo, pin: z.string().regex(/^\d{6}$/) }).strict()
/** `POST /sandbox/acquirer/wallets/:walletId/decline`: the customer cancels the charge on the phone. */
export const SandboxDeclineRequest = z.object({ chargeNo: ChargeNo }).strict()
