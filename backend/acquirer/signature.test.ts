import { describe, expect, it } from 'vitest'
import { checkNotificationSignature, signNotification } from './signature'

const secret = 'whsec_test'
const body = '{"notificationId":"ntf_1234"}'
const now = 1_800_000_000_000

function check(timestampSeconds: number, signature = signNotification(secret, timestampSeconds, body), raw = body) {
  return checkNotificationSignature({
    secret,
    timestampHeader: String(timestampSeconds),
    signatureHeader: signature,
    rawBody: raw,
    nowMs: now,
    toleranceSeconds: 300,
  })
}

describe('webhook signature', () => {
  it('accepts a signature up to 300 s either side of the clock, and refuses one past it', () => {
    expect(check(now / 1000)).toEqual({ ok: true, timestampSeconds: now / 1000 })
    expect(check(now / 1000 - 300).ok).toBe(true)
    expect(check(now / 1000 + 300).ok).toBe(true)
    expect(check(now / 1000 - 301)).toMatchObject({ ok: false, code: 'webhook.stale' })
    expect(check(now / 1000 + 301)).toMatchObject({ ok: false, code: 'webhook.stale' })
  })

  it('refuses a body or timestamp changed after signing, and a malformed or missing signature', () => {
    const at = now / 1000
    expect(check(at, undefined, body.replace('1234', '1235'))).toMatchObject({ code: 'webhook.bad_signature' })
    expect(check(at + 1, signNotification(secret, at, body))).toMatchObject({ code: 'webhook.bad_signature' })
    expect(check(at, signNotification('other', at, body))).toMatchObject({ code: 'webhook.bad_signature' })
    expect(check(at, 'A'.repeat(64))).toMatchObject({ code: 'webhook.bad_signature' })
    expect(check(at, 'short')).toMatchObject({ code: 'webhook.bad_signature' })
    const unsigned = checkNotificationSignature({
      secret,
      timestampHeader: undefined,
      signatureHeader: undefined,
      rawBody: body,
      nowMs: now,
      toleranceSeconds: 300,
    })
    expect(unsigned).toMatchObject({ ok: false, code: 'webhook.unsigned' })
    // A stale request with a wrong signature is reported as a bad signature: the clock is not revealed.
    expect(check(at - 1000, 'b'.repeat(64))).toMatchObject({ code: 'webhook.bad_signature' })
  })
})
