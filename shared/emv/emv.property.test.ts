import { fc, test } from '@fast-check/vitest'
import { describe, expect } from 'vitest'
import { TuotouError } from '../errors'
import { propertyParameters, propertyTimeout } from '../testing/property'
import { decodeCollectionQr, encodeCollectionQr, type CollectionQr } from './collection-qr'
import { decodeMpm } from './mpm'
import { encodeObjects, withCrc } from './tlv'

const ascii = (max: number) =>
  fc.string({
    unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
    minLength: 1,
    maxLength: max,
  })
const chinese = (max: number) =>
  fc.string({
    unit: fc.integer({ min: 0x4e00, max: 0x9fa5 }).map((c) => String.fromCharCode(c)),
    minLength: 1,
    maxLength: max,
  })

const collection: fc.Arbitrary<CollectionQr> = fc
  .record(
    {
      acquirerId: ascii(32),
      merchantId: ascii(32),
      amountFen: fc.integer({ min: 1, max: 99_999_999 }),
      merchantName: ascii(25),
      merchantCity: ascii(15),
      waybill: ascii(25),
      intentId: ascii(25),
      deviceId: ascii(25),
      merchantNameZh: chinese(25),
      merchantCityZh: chinese(15),
    },
    {
      requiredKeys: [
        'acquirerId',
        'merchantId',
        'amountFen',
        'merchantName',
        'merchantCity',
        'waybill',
        'intentId',
        'deviceId',
      ],
    },
  )
  .filter((qr) => qr.merchantCityZh === undefined || qr.merchantNameZh !== undefined)

const BUDGET_MS = 3_000

describe('collection QR, generated', () => {
  test.prop([collection], propertyParameters(300, BUDGET_MS))(
    'round-trips whatever fits EMVCo',
    (qr) => {
      expect(decodeCollectionQr(encodeCollectionQr(qr))).toEqual(qr)
    },
    propertyTimeout(BUDGET_MS),
  )

  test.prop([collection, fc.nat(), fc.integer({ min: 0, max: 9 })], propertyParameters(500, BUDGET_MS))(
    'a digit changed anywhere under a recomputed CRC is refused, or read as exactly what it now says',
    (qr, at, digit) => {
      const body = encodeCollectionQr(qr).slice(0, -8)
      const digits = [...body].flatMap((c, i) => (/\d/.test(c) ? [i] : []))
      const index = digits[at % digits.length]!
      const chars = [...body]
      chars[index] = String(digit)
      const payload = withCrc(chars.join(''))
      let decoded: CollectionQr
      try {
        decoded = decodeCollectionQr(payload)
      } catch (error) {
        expect(error).toBeInstanceOf(TuotouError)
        return
      }
      // Accepted: then every length held, at the top and inside every template, so writing back exactly what was
      // read gives the very same payload; and the fields a collection needs are the ones its templates hold.
      const mpm = decodeMpm(payload)
      expect(encodeObjects(mpm.objects)).toBe(payload)
      for (const [tag, inner] of mpm.templates) {
        expect(encodeObjects([...inner].map(([t, value]) => ({ tag: t, value })))).toBe(mpm.values.get(tag))
      }
      expect(decoded.intentId).toBe(mpm.templates.get('62')!.get('05'))
    },
    propertyTimeout(BUDGET_MS),
  )
})
