import { z } from 'zod'
import { TuotouError } from './errors'
import { Fen } from './money'

/**
 * The receipt QR a customer's wallet shows after paying: a compact token the acquirer signs with Ed25519,
 * `TTR1.<claims>.<signature>` with both parts base64url. The device checks it offline with the acquirer's
 * public key from the manifest. Signing (backend) and verifying (device core) use Node's crypto; this module
 * only defines the format, so it stays importable everywhere.
 */
export const RECEIPT_PREFIX = 'TTR1'

export const ReceiptClaims = z
  .object({
    /** Payment intent. */
    i: z.string().min(1).max(64),
    /** Amount paid, fen. */
    a: Fen.refine((fen) => fen > 0, 'amount must be positive'),
    /** Paid at, ISO 8601. */
    t: z.iso.datetime({ offset: true }),
    /** Acquirer's transaction. */
    x: z.string().min(1).max(64),
  })
  .strict()
export type ReceiptClaims = z.infer<typeof ReceiptClaims>

export interface Receipt {
  intentId: string
  amountFen: number
  paidAt: string
  transactionId: string
}

export interface ParsedReceipt {
  receipt: Receipt
  /** The exact bytes the signature covers: `TTR1.<claims>`. */
  signedText: string
  signature: Uint8Array
}

export function base64UrlEncode(bytes: Uint8Array): string {
  let binary = ''
  for (const byte of bytes) binary += String.fromCharCode(byte)
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

export function base64UrlDecode(text: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) throw new Error('not base64url')
  const padded = text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4)
  return Uint8Array.from(atob(padded), (char) => char.charCodeAt(0))
}

/** `TTR1.<claims>`: what the acquirer signs. */
export function receiptSignedText(receipt: Receipt): string {
  const claims: ReceiptClaims = {
    i: receipt.intentId,
    a: receipt.amountFen,
    t: receipt.paidAt,
    x: receipt.transactionId,
  }
  return `${RECEIPT_PREFIX}.${base64UrlEncode(new TextEncoder().encode(JSON.stringify(ReceiptClaims.parse(claims))))}`
}

export function formatReceiptToken(signedText: string, signature: Uint8Array): string {
  return `${signedText}.${base64UrlEncode(signature)}`
}

/** Whether a scanned code is shaped like a receipt (so the scanner routes it to receipt checking). */
export function looksLikeReceipt(code: string): boolean {
  return code.trim().startsWith(`${RECEIPT_PREFIX}.`)
}

/** Splits a token into its claims and signature; anything malformed is refused with `receipt.malformed`. */
export function parseReceiptToken(token: string): ParsedReceipt {
  const malformed = (why: string): TuotouError => new TuotouError('receipt.malformed', `not a receipt: ${why}`)
  const parts = token.trim().split('.')
  if (parts.length !== 3 || parts[0] !== RECEIPT_PREFIX)
    throw malformed(`expected ${RECEIPT_PREFIX}.<claims>.<signature>`)
  let claims: ReceiptClaims
  let signature: Uint8Array
  try {
    claims = ReceiptClaims.parse(
      JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(base64UrlDecode(parts[1]!))),
    )
    signature = base64UrlDecode(parts[2]!)
  } catch (error) {
    throw malformed(error instanceof Error ? error.message.split('\n')[0]! : 'unreadable')
  }
  if (signature.length !== 64) throw malformed('an Ed25519 signature is 64 bytes')
  return {
    receipt: { intentId: claims.i, amountFen: claims.a, paidAt: claims.t, transactionId: claims.x },
    signedText: `${parts[0]}.${parts[1]}`,
    signature,
  }
}
