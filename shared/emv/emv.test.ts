import { describe, expect, it } from 'vitest'
import { TuotouError } from '../errors'
import { decodeCollectionQr, encodeCollectionQr, type CollectionQr } from './collection-qr'
import { crc16CcittFalse, crcHex } from './crc'
import { decodeMpm } from './mpm'
import { decodeObjects, decodePayload, encodeObjects, withCrc } from './tlv'

/** The example payload printed in EMVCo's Merchant-Presented Mode specification (v1.1, CNY, with a ZH template). */
const EMVCO_SPEC_EXAMPLE =
  '00020101021229300012D156000000000510A93FO3230Q31280012D15600000001030812345678520441115802CN5914BEST TRANSPORT' +
  '6007BEIJING64200002ZH0104最佳运输0202北京540523.7253031565502016233030412340603***0708A60086670902ME91320016A0112' +
  '233449988770708123456786304A13A'
/** A published Cambodian (KHQR-style) dynamic payload in USD. */
const PUBLISHED_KH_EXAMPLE =
  '00020101021252044131153137210116372101160123456789ABCDE6016Banteay Meanchey5913Kuntheas Shop5802KH540510.00' +
  '5303840621201081234567863041FF2'

const order: CollectionQr = {
  acquirerId: 'cn.ecny.sandbox',
  merchantId: 'JDL-SZ-XC-001',
  amountFen: 6660,
  merchantName: 'JD Logistics Xiangcheng',
  merchantCity: 'Suzhou',
  waybill: 'JDVA00012345678',
  intentId: 'pi_7Hk2mQ9xLp4s',
  deviceId: 'dev_0001',
}

function refusal(payload: string, decode: (payload: string) => unknown = decodeCollectionQr): string {
  try {
    decode(payload)
  } catch (error) {
    if (error instanceof TuotouError) return error.code
    throw error
  }
  return 'accepted'
}

describe('CRC-16/CCITT-FALSE', () => {
  it('has the check value 29B1 for "123456789"', () => {
    expect(crc16CcittFalse('123456789')).toBe(0x29b1)
    expect(crcHex('123456789')).toBe('29B1')
  })

  it('reproduces the CRC of published payloads', () => {
    expect(crcHex(EMVCO_SPEC_EXAMPLE.slice(0, -4))).toBe('A13A')
    expect(crcHex(PUBLISHED_KH_EXAMPLE.slice(0, -4))).toBe('1FF2')
  })
})

describe('EMV data objects', () => {
  it('decode the EMVCo specification example, Chinese language template included', () => {
    const objects = decodePayload(EMVCO_SPEC_EXAMPLE)
    expect(objects.get('01')).toBe('12')
    expect(objects.get('53')).toBe('156')
    expect(objects.get('54')).toBe('23.72')
    expect(objects.get('59')).toBe('BEST TRANSPORT')
    expect(objects.get('60')).toBe('BEIJING')
    const language = new Map(decodeObjects(objects.get('64')!).map((o) => [o.tag, o.value]))
    expect(language.get('01')).toBe('最佳运输')
    expect(language.get('02')).toBe('北京')
    expect(new Map(decodeObjects(objects.get('62')!).map((o) => [o.tag, o.value])).get('07')).toBe('A6008667')
  })

  it('decode the published Cambodian example', () => {
    const objects = decodePayload(PUBLISHED_KH_EXAMPLE)
    expect(objects.get('59')).toBe('Kuntheas Shop')
    expect(objects.get('54')).toBe('10.00')
    expect(objects.get('53')).toBe('840')
  })

  it('refuse a published payload that is not a CNY courier collection, saying why', () => {
    expect(refusal(EMVCO_SPEC_EXAMPLE)).toBe('qr.bad_value')
    expect(refusal(PUBLISHED_KH_EXAMPLE)).toBe('qr.bad_value')
  })
})

describe('collection QR', () => {
  it('carries the fields DESIGN section 5 lays out, in order, with the CRC last', () => {
    const payload = encodeCollectionQr(order)
    expect(payload.startsWith('000201010212')).toBe(true)
    const objects = decodePayload(payload)
    expect([...objects.keys()]).toEqual(['00', '01', '26', '52', '53', '54', '58', '59', '60', '62', '63'])
    expect(objects.get('52')).toBe('4215')
    expect(objects.get('53')).toBe('156')
    expect(objects.get('54')).toBe('66.60')
    expect(objects.get('58')).toBe('CN')
    expect(objects.get('63')).toBe(crcHex(payload.slice(0, -4)))
  })

  it('round-trips', () => {
    expect(decodeCollectionQr(encodeCollectionQr(order))).toEqual(order)
    for (const amountFen of [1, 99, 100, 19900, 123456789]) {
      expect(decodeCollectionQr(encodeCollectionQr({ ...order, amountFen })).amountFen).toBe(amountFen)
    }
  })

  it('refuses a tampered amount through the CRC', () => {
    const payload = encodeCollectionQr(order)
    expect(refusal(payload.replace('540566.60', '540506.60'))).toBe('qr.bad_crc')
  })

  it('refuses a truncated payload, a wrong length and a missing tag', () => {
    const payload = encodeCollectionQr(order)
    expect(refusal(payload.slice(0, 30))).toBe('qr.malformed')
    expect(refusal('')).toBe('qr.bad_length')
    expect(refusal('x'.repeat(600))).toBe('qr.bad_length')
    // 59 claims 30 characters: re-signed, so only the length is wrong and everything after it misaligns.
    const longName = payload.slice(0, -4).replace('5923JD Logistics Xiangcheng', '5930JD Logistics Xiangcheng')
    expect(['qr.bad_length', 'qr.malformed']).toContain(refusal(longName + crcHex(longName)))
    expect(() => decodeObjects('5930JD Logistics')).toThrow(expect.objectContaining({ code: 'qr.bad_length' }))
    const withoutCity = payload.slice(0, -8).replace('6006Suzhou', '') + '6304'
    expect(refusal(withoutCity + crcHex(withoutCity))).toBe('qr.missing_tag')
  })

  it('refuses a static QR and an amount that is not a plain decimal', () => {
    const body = encodeCollectionQr(order).slice(0, -8)
    const resign = (text: string) => `${text}6304${crcHex(`${text}6304`)}`
    expect(refusal(resign(body.replace('010212', '010211')))).toBe('qr.bad_value')
    expect(refusal(resign(body.replace('540566.60', '54056.6e1')))).toBe('qr.bad_value')
    expect(refusal(resign(body.replace('540566.60', '5405-6.60')))).toBe('qr.bad_value')
  })

  it('refuses to write what EMVCo cannot carry instead of truncating it', () => {
    expect(() => encodeCollectionQr({ ...order, merchantName: 'J'.repeat(26) })).toThrow(RangeError)
    expect(() => encodeCollectionQr({ ...order, merchantCity: '苏州' })).toThrow(RangeError)
    expect(() => encodeCollectionQr({ ...order, amountFen: 66.6 })).toThrow(RangeError)
    expect(() => encodeCollectionQr({ ...order, amountFen: 0 })).toThrow(RangeError)
  })
})

describe('the general MPM decoder', () => {
  it("reads the EMVCo specification's own example, every template inside it", () => {
    const mpm = decodeMpm(EMVCO_SPEC_EXAMPLE)
    expect(mpm.dynamic).toBe(true)
    expect(mpm.values.get('52')).toBe('4111')
    expect([...mpm.templates.keys()]).toEqual(['29', '31', '64', '62', '91'])
    expect(mpm.templates.get('29')!.get('00')).toBe('D15600000000')
    expect(mpm.templates.get('31')!.get('03')).toBe('12345678')
    expect(mpm.templates.get('62')!.get('09')).toBe('ME')
    expect(mpm.templates.get('91')!.get('07')).toBe('12345678')
    expect(mpm.language).toEqual({ code: 'ZH', name: '最佳运输', city: '北京' })
  })

  it("holds a published payload to the specification: the KHQR example's 16-character city is one too many", () => {
    expect(() => decodeMpm(PUBLISHED_KH_EXAMPLE)).toThrow(
      expect.objectContaining({ code: 'qr.bad_value', details: { tag: '60' } }),
    )
  })

  it('refuses an inner length changed under a recomputed CRC, in every kind of template', () => {
    const resign = (text: string) => withCrc(text.slice(0, -8))
    // 29.05 claims 9 characters instead of 10: the template no longer divides into objects.
    const account = resign(EMVCO_SPEC_EXAMPLE.replace('0510A93FO3230Q', '0509A93FO3230Q'))
    expect(['qr.bad_length', 'qr.malformed']).toContain(refusal(account, decodeMpm))
    // 64.01 claims 3 characters of the 4 of 最佳运输.
    const language = resign(EMVCO_SPEC_EXAMPLE.replace('0104最佳运输', '0103最佳运输'))
    expect(['qr.bad_length', 'qr.malformed']).toContain(refusal(language, decodeMpm))
    // 91.07 claims 9 of 8 characters.
    const unreserved = resign(EMVCO_SPEC_EXAMPLE.replace('070812345678630', '070912345678630'))
    expect(['qr.bad_length', 'qr.malformed']).toContain(refusal(unreserved, decodeMpm))
  })

  it('refuses a template without its identifier, a Chinese name in tag 59, and tag 00 out of place', () => {
    const body = EMVCO_SPEC_EXAMPLE.slice(0, -8)
    expect(refusal(withCrc(body.replace('29300012D156000000000510A93FO3230Q', '29140510A93FO3230Q')), decodeMpm)).toBe(
      'qr.missing_tag',
    )
    expect(refusal(withCrc(body.replace('5914BEST TRANSPORT', '5904最佳运输')), decodeMpm)).toBe('qr.bad_value')
    const moved = withCrc(`5802CN${body.replace('5802CN', '')}`)
    expect(['qr.malformed', 'qr.bad_value']).toContain(refusal(moved, decodeMpm))
  })
})

describe('collection QR with the Chinese merchant name (tag 64)', () => {
  const zh: CollectionQr = { ...order, merchantNameZh: '京东物流相城营业部', merchantCityZh: '苏州' }

  it('carries ZH, the name and the city in tag 64, lengths in characters and the CRC over UTF-8', () => {
    const payload = encodeCollectionQr(zh)
    const mpm = decodeMpm(payload)
    expect(mpm.language).toEqual({ code: 'ZH', name: '京东物流相城营业部', city: '苏州' })
    expect(mpm.values.get('64')).toBe('0002ZH0109京东物流相城营业部0202苏州')
    expect(mpm.values.get('59')).toBe(order.merchantName)
    expect(payload.slice(-4)).toBe(crcHex(payload.slice(0, -4)))
    expect(decodeCollectionQr(payload)).toEqual(zh)
  })

  it('refuses an inner length of tag 64 changed under a recomputed CRC (accepted before the decoder read templates)', () => {
    const body = encodeCollectionQr(order).slice(0, -8)
    const language = encodeObjects([
      { tag: '00', value: 'ZH' },
      { tag: '01', value: '京东物流相城' },
      { tag: '02', value: '苏州' },
    ])
    expect(refusal(withCrc(body + encodeObjects([{ tag: '64', value: language }])))).toBe('accepted')
    const tampered = `64${String([...language].length).padStart(2, '0')}${language.replace('0106', '0105')}`
    expect(['qr.bad_length', 'qr.malformed']).toContain(refusal(withCrc(body + tampered)))
  })

  it('refuses a Chinese name over 25 characters or with a control character instead of truncating it', () => {
    expect(() => encodeCollectionQr({ ...zh, merchantNameZh: '京'.repeat(26) })).toThrow(RangeError)
    expect(() => encodeCollectionQr({ ...zh, merchantCityZh: '苏\n州' })).toThrow(RangeError)
  })
})
