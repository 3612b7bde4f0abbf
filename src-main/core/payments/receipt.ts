import { createPublicKey, verify, type KeyObject } from 'node:crypto'
import type { ScanRefusal, ScanSource } from '../../../shared/api/events'
import type { ScanOutcome } from '../../../shared/ipc/contract'
import { TuotouError } from '../../../shared/errors'
import { parseReceiptToken, type Receipt } from '../../../shared/receipt'
import type { CoreContext } from '../context'
import type { DeviceDb } from '../db'
import {
  findIntent,
  findOrder,
  orderView,
  paymentView,
  requireOrder,
  type IntentRow,
  type OrderRow,
} from '../manifest/views'
import { refuseScan } from '../scan/lookup'
import type { ShiftRow } from '../shift/store'
import { recordIntentUpdate, type Applied } from './apply'

export type ReceiptCheck =
  | { ok: true; receipt: Receipt; token: string; intent: IntentRow; order: OrderRow }
  | {
      ok: false
      reason: Extract<ScanRefusal, `receipt_${string}`>
      /** The order the refusal is about (the one on screen, or the receipt's), for the message. */
      order: OrderRow | null
    }

const keys = new Map<string, KeyObject>()

/** The acquirer's Ed25519 key from the manifest (raw 32 bytes, base64url), as Node's crypto wants it. */
function receiptKey(raw: string): KeyObject {
  let key = keys.get(raw)
  if (!key) {
    key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw }, format: 'jwk' })
    keys.set(raw, key)
  }
  return key
}

/**
 * Checks a receipt QR offline, in this order: it must be a well-formed token, carry the acquirer's Ed25519
 * signature (the key came with the manifest), be for an intent of an order on this shift's manifest (and for the
 * order on screen, when there is one), and state that intent's amount. A forged or edited receipt fails the
 * signature before any of its claims is believed. Reads only; the caller records the outcome.
 */
export function checkReceipt(db: DeviceDb, shift: ShiftRow, token: string, expectedOrderId?: string): ReceiptCheck {
  // The order on screen must be this device's: a receipt is never matched against an order it does not hold.
  const expected = expectedOrderId ? requireOrder(db, expectedOrderId) : null
  let parsed
  try {
    parsed = parseReceiptToken(token)
  } catch {
    return { ok: false, reason: 'receipt_malformed', order: expected }
  }
  if (!shift.receipt_public_key) {
    throw new TuotouError('manifest.not_loaded', 'the manifest with the acquirer key has not been downloaded yet')
  }
  const signed = verify(
    null,
    Buffer.from(parsed.signedText),
    receiptKey(shift.receipt_public_key),
    Buffer.from(parsed.signature),
  )
  if (!signed) return { ok: false, reason: 'receipt_bad_signature', order: expected }
  const intent = findIntent(db, parsed.receipt.intentId)
  const order = intent ? findOrder(db, intent.order_id) : null
  if (!intent || !order || order.shift_id !== shift.shift_id) {
    return { ok: false, reason: expected ? 'receipt_other_intent' : 'receipt_unknown_intent', order: expected }
  }
  if (expected && order.order_id !== expected.order_id) {
    return { ok: false, reason: 'receipt_other_intent', order: expected }
  }
  if (parsed.receipt.amountFen !== intent.amount_fen) return { ok: false, reason: 'receipt_wrong_amount', order }
  return { ok: true, receipt: parsed.receipt, token: token.trim(), intent, order }
}

export interface ReceiptScan {
  outcome: ScanOutcome
  /** What to publish after the commit; null when the receipt was refused or told the device nothing new. */
  applied: Applied | null
}

/**
 * A receipt QR scanned at the door (on the order's payment screen, or at the scan prompt): checked offline, then
 * either recorded as the payment ("paid, receipt verified", completing the delivery) or refused with the reason
 * and logged like any refused scan, in one transaction. A refusal changes no order and no payment.
 */
export function scanReceipt(
  ctx: CoreContext,
  shift: ShiftRow,
  token: string,
  source: ScanSource,
  at: string,
  expectedOrderId?: string,
): ReceiptScan {
  return ctx.db.transaction(() => {
    const check = checkReceipt(ctx.db, shift, token, expectedOrderId)
    if (!check.ok) {
      return { outcome: refuseScan(ctx.db, shift, token, source, check.reason, at, check.order).outcome, applied: null }
    }
    const { receipt } = check
    const applied = recordIntentUpdate(
      ctx,
      {
        intentId: receipt.intentId,
        status: 'paid',
        amountFen: receipt.amountFen,
        paidAt: receipt.paidAt,
        transactionId: receipt.transactionId,
      },
      'receipt',
      at,
      check.token,
    )
    const order = findOrder(ctx.db, check.order.order_id)!
    return {
      outcome: {
        outcome: 'receipt',
        order: orderView(ctx.db, order),
        payment: paymentView(findIntent(ctx.db, check.intent.intent_id)!, order.waybill),
        completed: applied?.update.completed ?? false,
        alreadyKnown: applied === null,
        flag: applied?.update.flag ?? null,
      },
      applied,
    }
  })
}
