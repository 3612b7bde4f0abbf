import { createHmac, timingSafeEqual } from 'node:crypto'

/** The webhook signature: HMAC-SHA256 over `<unix seconds>.<raw body>` with the shared secret, lower-case hex. */
export function signNotification(secret: string, timestampSeconds: number, rawBody: string): string {
  return createHmac('sha256', secret).update(`${timestampSeconds}.${rawBody}`).digest('hex')
}

export type SignatureCheck =
  | { ok: true; timestampSeconds: number }
  | { ok: false; code: 'webhook.unsigned' | 'webhook.bad_signature' | 'webhook.stale'; message: string }

/**
 * Checks a delivery's signature in constant time, then its timestamp against the tolerance. The signature is
 * checked first so an unsigned caller learns nothing about our clock.
 */
export function checkNotificationSignature(options: {
  secret: string
  timestampHeader: string | undefined
  signatureHeader: string | undefined
  rawBody: string
  nowMs: number
  toleranceSeconds: number
}): SignatureCheck {
  const { timestampHeader, signatureHeader } = options
  if (!timestampHeader || !signatureHeader) {
    return { ok: false, code: 'webhook.unsigned', message: 'notifications must carry a timestamp and a signature' }
  }
  if (!/^\d{1,12}$/.test(timestampHeader) || !/^[0-9a-f]{64}$/.test(signatureHeader)) {
    return { ok: false, code: 'webhook.bad_signature', message: 'the signature or timestamp is malformed' }
  }
  const timestampSeconds = Number(timestampHeader)
  const expected = Buffer.from(signNotification(options.secret, timestampSeconds, options.rawBody), 'hex')
  const given = Buffer.from(signatureHeader, 'hex')
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { ok: false, code: 'webhook.bad_signature', message: 'the signature does not match the body' }
  }
  if (Math.abs(options.nowMs / 1000 - timestampSeconds) > options.toleranceSeconds) {
    return {
      ok: false,
      code: 'webhook.stale',
      message: `the timestamp is more than ${options.toleranceSeconds} s from the backend's clock`,
    }
  }
  return { ok: true, timestampSeconds }
}
