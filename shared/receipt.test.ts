import { generateKeyPairSync, sign, verify } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { TuotouError } from './errors'
import {
  base64UrlDecode,
  base64UrlEncode,
  formatReceiptToken,
  looksLikeReceipt,
  parseReceiptToken,
  receiptSignedText,
  type Receipt,
} from './receipt'

const receipt: Receipt = {
  intentId: 'pi_7Hk2mQ9xLp4s',
  amountFen: 6660,
  paidAt: '2026-11-26T09:15:02.000Z',
  transactionId: 'tx_0001',
}

describe('receipt token', () => {
  it('round-trips and verifies with Ed25519', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519')
    const signedText = receiptSignedText(receipt)
    const token = formatReceiptToken(signedText, sign(null, Buffer.from(signedText), privateKey))
    expect(looksLikeReceipt(token)).toBe(true)
    const parsed = parseReceiptToken(token)
    expect(parsed.receipt).toEqual(receipt)
    expect(verify(null, Buffer.from(parsed.signedText), publicKey, parsed.signature)).toBe(true)
  })

  it('refuses malformed tokens with receipt.malformed', () => {
    const good = formatReceiptToken(receiptSignedText(receipt), new Uint8Array(64))
    const [prefix, claims] = good.split('.')
    const badClaims = (value: unknown) => base64UrlEncode(new TextEncoder().encode(JSON.stringify(value)))
    for (const bad of [
      '',
      'TTR1',
      'TTR1..',
      `TTR2.${claims}.${good.split('.')[2]}`,
      `${prefix}.${claims}.${base64UrlEncode(new Uint8Array(10))}`,
      `${prefix}.${claims}!.${good.split('.')[2]}`,
      `${prefix}.${badClaims({ i: 'pi', a: 66.6, t: receipt.paidAt, x: 'tx' })}.${good.split('.')[2]}`,
      `${prefix}.${badClaims({ i: 'pi', a: -1, t: receipt.paidAt, x: 'tx' })}.${good.split('.')[2]}`,
      `${prefix}.${badClaims({ i: 'pi', a: 1, t: 'yesterday', x: 'tx' })}.${good.split('.')[2]}`,
      `${prefix}.${badClaims({ i: 'pi', a: 1, t: receipt.paidAt, x: 'tx', extra: 1 })}.${good.split('.')[2]}`,
      `${good}.more`,
    ]) {
      expect(() => parseReceiptToken(bad), bad).toThrow(TuotouError)
      try {
        parseReceiptToken(bad)
      } catch (error) {
        expect((error as TuotouError).code).toBe('receipt.malformed')
      }
    }
  })

  it('encodes base64url without padding and refuses other alphabets', () => {
    const bytes = Uint8Array.from([251, 255, 0, 1])
    expect(base64UrlEncode(bytes)).toBe('-_8AAQ')
    expect(base64UrlDecode('-_8AAQ')).toEqual(bytes)
    expect(() => base64UrlDecode('+/8AAQ==')).toThrow()
  })
})
