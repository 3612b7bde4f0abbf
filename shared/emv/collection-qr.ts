import { TuotouError } from '../errors'
import { fenToDecimal, MAX_FEN, parseYuan } from '../money'
import { decodeObjects, decodePayload, encodeObjects, withCrc } from './tlv'

/** Merchant category code for courier services. */
export const MCC_COURIER = '4215'
/** ISO 4217 numeric code for the renminbi. */
export const CURRENCY_CNY = '156'

/** What a dynamic collection QR says: who collects, how much, and for which waybill, intent and device. */
export interface CollectionQr {
  /** Tag 26.00: the acquirer's globally unique identifier. */
  acquirerId: string
  /** Tag 26.01: the merchant's account with that acquirer. */
  merchantId: string
  amountFen: number
  /** Tag 59, at most 25 characters. */
  merchantName: string
  /** Tag 60, at most 15 characters. */
  merchantCity: string
  /** Tag 62.01 (bill number). */
  waybill: string
  /** Tag 62.05 (reference label). */
  intentId: string
  /** Tag 62.07 (terminal label). */
  deviceId: string
}

const PRINTABLE = /^[\x20-\x7e]+$/

function field(value: string, name: string, max: number): string {
  if (value.length === 0 || value.length > max || !PRINTABLE.test(value)) {
    throw new RangeError(`${name} must be 1 to ${max} printable ASCII characters`)
  }
  return value
}

/**
 * Writes an EMVCo Merchant-Presented Mode payload, dynamic (tag 01 = 12), in CNY, for one order's payment.
 * Refuses what EMVCo cannot carry (a merchant name over 25 characters, a fractional amount) rather than
 * truncating it.
 */
export function encodeCollectionQr(qr: CollectionQr): string {
  if (!Number.isSafeInteger(qr.amountFen) || qr.amountFen <= 0 || qr.amountFen > MAX_FEN) {
    throw new RangeError(`amount must be a positive integer of fen, not ${qr.amountFen}`)
  }
  const account = encodeObjects([
    { tag: '00', value: field(qr.acquirerId, 'acquirerId', 32) },
    { tag: '01', value: field(qr.merchantId, 'merchantId', 32) },
  ])
  const additional = encodeObjects([
    { tag: '01', value: field(qr.waybill, 'waybill', 25) },
    { tag: '05', value: field(qr.intentId, 'intentId', 25) },
    { tag: '07', value: field(qr.deviceId, 'deviceId', 25) },
  ])
  return withCrc(
    encodeObjects([
      { tag: '00', value: '01' },
      { tag: '01', value: '12' },
      { tag: '26', value: account },
      { tag: '52', value: MCC_COURIER },
      { tag: '53', value: CURRENCY_CNY },
      { tag: '54', value: fenToDecimal(qr.amountFen) },
      { tag: '58', value: 'CN' },
      { tag: '59', value: field(qr.merchantName, 'merchantName', 25) },
      { tag: '60', value: field(qr.merchantCity, 'merchantCity', 15) },
      { tag: '62', value: additional },
    ]),
  )
}

function required(objects: Map<string, string>, tag: string, where: string): string {
  const value = objects.get(tag)
  if (value === undefined) {
    throw new TuotouError('qr.missing_tag', `${where} has no tag ${tag}`, {
      tag: where === 'payload' ? tag : `${where}.${tag}`,
    })
  }
  return value
}

function expect(condition: boolean, tag: string, message: string): void {
  if (!condition) throw new TuotouError('qr.bad_value', `tag ${tag}: ${message}`, { tag })
}

/**
 * Reads a collection QR back, checking the CRC, every length, and every tag a collection needs. A static QR,
 * another currency or country, or an amount that is not a plain decimal is refused with a code that says so.
 */
export function decodeCollectionQr(payload: string): CollectionQr {
  const top = decodePayload(payload)
  expect(required(top, '00', 'payload') === '01', '00', 'payload format indicator must be 01')
  expect(required(top, '01', 'payload') === '12', '01', 'a collection QR is dynamic (12)')
  expect(required(top, '52', 'payload') === MCC_COURIER, '52', `merchant category must be ${MCC_COURIER}`)
  expect(required(top, '53', 'payload') === CURRENCY_CNY, '53', `currency must be ${CURRENCY_CNY} (CNY)`)
  expect(required(top, '58', 'payload') === 'CN', '58', 'country must be CN')
  const amountText = required(top, '54', 'payload')
  const amountFen = parseYuan(amountText)
  expect(amountFen !== null && amountFen > 0, '54', `amount ${JSON.stringify(amountText)} is not a positive decimal`)
  const merchantName = required(top, '59', 'payload')
  const merchantCity = required(top, '60', 'payload')
  expect(merchantName.length <= 25, '59', 'merchant name is at most 25 characters')
  expect(merchantCity.length <= 15, '60', 'merchant city is at most 15 characters')
  const account = new Map(decodeObjects(required(top, '26', 'payload'), '26').map((o) => [o.tag, o.value]))
  const additional = new Map(decodeObjects(required(top, '62', 'payload'), '62').map((o) => [o.tag, o.value]))
  return {
    acquirerId: required(account, '00', '26'),
    merchantId: required(account, '01', '26'),
    amountFen: amountFen!,
    merchantName,
    merchantCity,
    waybill: required(additional, '01', '62'),
    intentId: required(additional, '05', '62'),
    deviceId: required(additional, '07', '62'),
  }
}
