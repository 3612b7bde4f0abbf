import { describe, expect, it } from 'vitest'
import { TuotouError } from '../errors'
import { decodeCollectionQr, encodeCollectionQr, type CollectionQr } from './collection-qr'
import { crc16CcittFalse, crcHex } from './crc'
import { decodeObjects, decodePayload } from './tlv'

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

function refusal(payload: string): string {
  try {
    decodeCollectionQr(payload)
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
